// Package doapi is a stand-in for DigitalOcean's public API, served on
// 127.0.0.1 from memory, for the calls the stacks make through the real
// digitalocean provider: Kubernetes clusters (options, credentials,
// kubeconfig), VPCs, domains and records, projects and their resources, and
// load balancers (read). Spaces buckets go to a real S3 server through a
// proxy that answers for the regional Spaces host names.
//
// Bodies are godo's types, so the JSON shapes are the API's. Each handler
// refuses what the API reference says the API refuses for the fields the
// stacks set (unknown region or size slug, a Kubernetes version that is not
// offered, a malformed record, a second object with the same name, a VPC
// that still has members), with the API's error shape and status. What a
// stand-in cannot prove (quotas, provisioning time, real load balancers) is
// out of its reach and said so in the README.
package doapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/godo"
)

// Credentials are what the API hands out for every cluster it runs: the
// local test cluster's server, CA and token, as DOKS hands out its own.
type Credentials struct {
	Server string
	CA     []byte
	Token  string
}

// Options configure a Server.
type Options struct {
	// Token is the only API token accepted; any other gets 401.
	Token string
	// Kube is served as the credentials and kubeconfig of every cluster.
	Kube Credentials
	// LoadBalancers lists what DigitalOcean's cloud controller would have
	// created for the cluster's LoadBalancer Services (nil: none).
	LoadBalancers func(context.Context) ([]godo.LoadBalancer, error)
	// Spaces, when set, is the S3 server behind the Spaces host names of
	// SpacesRegion (see SpacesProxy).
	Spaces          string
	SpacesRegion    string
	SpacesAccessKey string
}

// Server is a running stand-in.
type Server struct {
	opts Options
	url  string

	mu       sync.Mutex
	clusters map[string]*godo.KubernetesCluster // by id
	vpcs     map[string]*godo.VPC
	domains  map[string]*godo.Domain
	records  map[string]map[int]*godo.DomainRecord // domain -> id -> record
	projects map[string]*project
	// lifecycles: bucket -> configuration (see lifecycle.go)
	lifecycles map[string]lifecycleConfig
	nextID     int
	calls      map[string]int // "METHOD /route" -> count
}

type project struct {
	godo.Project
	resources map[string]string // urn -> assigned_at
}

// Start serves the stand-in on a free port of 127.0.0.1 until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{
		opts:       opts,
		clusters:   map[string]*godo.KubernetesCluster{},
		vpcs:       map[string]*godo.VPC{},
		domains:    map[string]*godo.Domain{},
		records:    map[string]map[int]*godo.DomainRecord{},
		projects:   map[string]*project{},
		calls:      map[string]int{},
		nextID:     1000,
		lifecycles: map[string]lifecycleConfig{},
	}
	def := &project{Project: godo.Project{ID: newUUID(), Name: "Default", Purpose: "Other", Environment: "Development", IsDefault: true,
		CreatedAt: now(), UpdatedAt: now()}, resources: map[string]string{}}
	s.projects[def.ID] = def

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + l.Addr().String()
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// URL is the API's base URL (the provider's api_endpoint).
func (s *Server) URL() string { return s.url }

// Calls lists the routes served so far, "METHOD /route: count", sorted.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, k := range slices.Sorted(maps.Keys(s.calls)) {
		out = append(out, fmt.Sprintf("%s: %d", k, s.calls[k]))
	}
	return out
}

// route registers h for pattern ("GET /v2/..."), counting its calls and
// checking the token first.
func (s *Server) route(mux *http.ServeMux, pattern string, h func(w http.ResponseWriter, r *http.Request)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[pattern]++
		s.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
			apiError(w, http.StatusUnauthorized, "unauthorized", "Unable to authenticate you")
			return
		}
		h(w, r)
	})
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	s.kubernetesRoutes(mux)
	s.vpcRoutes(mux)
	s.domainRoutes(mux)
	s.projectRoutes(mux)
	s.route(mux, "GET /v2/load_balancers", s.listLoadBalancers)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// The Spaces proxy receives absolute URLs (HTTP_PROXY).
		if r.URL.IsAbs() || !strings.HasPrefix(r.URL.Path, "/v2/") {
			s.spaces(w, r)
			return
		}
		s.mu.Lock()
		s.calls["unserved "+r.Method+" "+r.URL.Path]++
		s.mu.Unlock()
		apiError(w, http.StatusNotFound, "not_found", "The resource you were accessing could not be found (the stand-in does not serve "+r.Method+" "+r.URL.Path+").")
	})
	return mux
}

// apiError writes the API's error body.
func apiError(w http.ResponseWriter, status int, id, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "message": message, "request_id": newUUID()})
}

func invalid(w http.ResponseWriter, format string, args ...any) {
	apiError(w, http.StatusUnprocessableEntity, "unprocessable_entity", fmt.Sprintf(format, args...))
}

func notFound(w http.ResponseWriter) {
	apiError(w, http.StatusNotFound, "not_found", "The resource you were accessing could not be found.")
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// list writes a one-page list under key, with the links and meta godo reads.
func list[T any](w http.ResponseWriter, key string, items []T) {
	if items == nil {
		items = []T{}
	}
	reply(w, http.StatusOK, map[string]any{key: items, "links": map[string]any{}, "meta": map[string]int{"total": len(items)}})
}

// decode reads a JSON body, refusing unknown fields the way the API
// refuses a body it cannot parse.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }

// Records lists the records of domain, sorted by id.
func (s *Server) Records(domain string) []godo.DomainRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []godo.DomainRecord
	for _, id := range slices.Sorted(maps.Keys(s.records[domain])) {
		out = append(out, *s.records[domain][id])
	}
	return out
}

// Counts is how many clusters, VPCs, domains and projects (besides the
// default one) the stand-in holds.
func (s *Server) Counts() (clusters, vpcs, domains, projects int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clusters), len(s.vpcs), len(s.domains), len(s.projects) - 1
}
