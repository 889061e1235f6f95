package doapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/digitalocean/godo"
)

var urn = regexp.MustCompile(`^do:(kubernetes|domain|space|droplet|volume|loadbalancer|floatingip|database|app):[^:]+$`)

func (s *Server) projectRoutes(mux *http.ServeMux) {
	s.route(mux, "POST /v2/projects", func(w http.ResponseWriter, r *http.Request) {
		var req godo.CreateProjectRequest
		if !decode(w, r, &req) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if msg := s.checkProject(req.Name, req.Purpose, req.Environment, ""); msg != "" {
			invalid(w, "%s", msg)
			return
		}
		p := &project{Project: godo.Project{ID: newUUID(), Name: req.Name, Description: req.Description, Purpose: req.Purpose,
			Environment: req.Environment, CreatedAt: now(), UpdatedAt: now()}, resources: map[string]string{}}
		s.projects[p.ID] = p
		reply(w, http.StatusCreated, map[string]any{"project": p.Project})
	})
	s.route(mux, "GET /v2/projects", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		var out []godo.Project
		for _, p := range s.projects {
			out = append(out, p.Project)
		}
		slices.SortFunc(out, func(a, b godo.Project) int { return strings.Compare(a.Name, b.Name) })
		list(w, "projects", out)
	})
	s.route(mux, "GET /v2/projects/{id}", s.withProject(func(w http.ResponseWriter, r *http.Request, p *project) {
		reply(w, http.StatusOK, map[string]any{"project": p.Project})
	}))
	update := s.withProject(func(w http.ResponseWriter, r *http.Request, p *project) {
		var req map[string]json.RawMessage
		if !decode(w, r, &req) {
			return
		}
		next := p.Project
		for k, v := range req {
			var dst any
			switch k {
			case "name":
				dst = &next.Name
			case "description":
				dst = &next.Description
			case "purpose":
				dst = &next.Purpose
			case "environment":
				dst = &next.Environment
			case "is_default":
				dst = &next.IsDefault
			default:
				invalid(w, "unknown field %q", k)
				return
			}
			if string(v) == "null" {
				continue
			}
			if err := json.Unmarshal(v, dst); err != nil {
				invalid(w, "%s: %v", k, err)
				return
			}
		}
		if msg := s.checkProject(next.Name, next.Purpose, next.Environment, p.ID); msg != "" {
			invalid(w, "%s", msg)
			return
		}
		next.UpdatedAt = now()
		p.Project = next
		reply(w, http.StatusOK, map[string]any{"project": p.Project})
	})
	s.route(mux, "PATCH /v2/projects/{id}", update)
	s.route(mux, "PUT /v2/projects/{id}", update)
	s.route(mux, "DELETE /v2/projects/{id}", s.withProject(func(w http.ResponseWriter, r *http.Request, p *project) {
		switch {
		case p.IsDefault:
			invalid(w, "cannot delete the default project")
		case len(p.resources) > 0:
			apiError(w, http.StatusPreconditionFailed, "precondition_failed", "cannot delete a project with resources")
		default:
			delete(s.projects, p.ID)
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	s.route(mux, "GET /v2/projects/{id}/resources", s.withProject(func(w http.ResponseWriter, r *http.Request, p *project) {
		var out []godo.ProjectResource
		for _, u := range slices.Sorted(maps.Keys(p.resources)) {
			out = append(out, godo.ProjectResource{URN: u, AssignedAt: p.resources[u], Status: "ok",
				Links: &godo.ProjectResourceLinks{Self: s.url + "/v2/" + strings.ReplaceAll(strings.TrimPrefix(u, "do:"), ":", "s/")}})
		}
		list(w, "resources", out)
	}))
	s.route(mux, "POST /v2/projects/{id}/resources", s.withProject(func(w http.ResponseWriter, r *http.Request, p *project) {
		var req struct {
			Resources []string `json:"resources"`
		}
		if !decode(w, r, &req) {
			return
		}
		for _, u := range req.Resources {
			if msg := s.checkURN(u); msg != "" {
				invalid(w, "%s", msg)
				return
			}
		}
		var out []godo.ProjectResource
		for _, u := range req.Resources {
			s.unassign(u) // a resource belongs to one project
			p.resources[u] = now()
			out = append(out, godo.ProjectResource{URN: u, AssignedAt: p.resources[u], Status: "ok"})
		}
		list(w, "resources", out)
	}))
}

// GET /v2/projects/default is matched by {id}: resolve it there.
func (s *Server) withProject(h func(http.ResponseWriter, *http.Request, *project)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		id := r.PathValue("id")
		for _, p := range s.projects {
			if p.ID == id || (id == "default" && p.IsDefault) {
				h(w, r, p)
				return
			}
		}
		notFound(w)
	}
}

func (s *Server) checkProject(name, purpose, env, self string) string {
	switch {
	case name == "" || len(name) > 175:
		return "name is required and must be at most 175 characters"
	case purpose == "" || len(purpose) > 255:
		return "purpose is required and must be at most 255 characters"
	case env != "" && !slices.Contains([]string{"Development", "Staging", "Production"}, env):
		return fmt.Sprintf("environment %q must be Development, Staging or Production", env)
	}
	for _, p := range s.projects {
		if p.ID != self && p.Name == name {
			return fmt.Sprintf("a project named %q already exists", name)
		}
	}
	return ""
}

// checkURN accepts the URN of a resource that exists (clusters and domains
// are known here; a Space's name must be a valid bucket name).
func (s *Server) checkURN(u string) string {
	m := urn.FindStringSubmatch(u)
	if m == nil {
		return fmt.Sprintf("%q is not a resource URN (do:<type>:<id>)", u)
	}
	id := u[len("do:"+m[1]+":"):]
	switch m[1] {
	case "kubernetes":
		if _, ok := s.clusters[id]; !ok {
			return fmt.Sprintf("resource %s not found", u)
		}
	case "domain":
		if _, ok := s.domains[id]; !ok {
			return fmt.Sprintf("resource %s not found", u)
		}
	case "space":
		if !bucketName.MatchString(id) {
			return fmt.Sprintf("resource %s not found", u)
		}
	default:
		return fmt.Sprintf("resource %s not found (the stand-in holds no %s)", u, m[1])
	}
	return ""
}

// unassign drops urn from every project, as the API does when a resource is
// deleted or moves to another project.
func (s *Server) unassign(u string) {
	for _, p := range s.projects {
		delete(p.resources, u)
	}
}
