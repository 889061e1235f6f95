package doapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

const clustersPath = "/v2/kubernetes/clusters"

func (s *Server) kubernetesRoutes(mux *http.ServeMux) {
	s.route(mux, "GET /v2/kubernetes/options", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, map[string]any{"options": godo.KubernetesOptions{Versions: kubeVersions, Regions: kubeRegions, Sizes: kubeSizes}})
	})
	s.route(mux, "POST "+clustersPath, s.createCluster)
	s.route(mux, "GET "+clustersPath, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		var out []*godo.KubernetesCluster
		for _, c := range s.clusters {
			out = append(out, c)
		}
		slices.SortFunc(out, func(a, b *godo.KubernetesCluster) int { return strings.Compare(a.Name, b.Name) })
		list(w, "kubernetes_clusters", out)
	})
	s.route(mux, "GET "+clustersPath+"/{id}", s.withCluster(func(w http.ResponseWriter, r *http.Request, c *godo.KubernetesCluster) {
		// Provisioning takes minutes on DOKS; here the first read after
		// the create finds it running.
		c.Status = &godo.KubernetesClusterStatus{State: godo.KubernetesClusterStatusRunning}
		reply(w, http.StatusOK, map[string]any{"kubernetes_cluster": c})
	}))
	s.route(mux, "PUT "+clustersPath+"/{id}", s.withCluster(s.updateCluster))
	s.route(mux, "DELETE "+clustersPath+"/{id}", s.withCluster(func(w http.ResponseWriter, r *http.Request, c *godo.KubernetesCluster) {
		delete(s.clusters, c.ID)
		s.unassign(c.URN())
		w.WriteHeader(http.StatusNoContent)
	}))
	s.route(mux, "PUT "+clustersPath+"/{id}/node_pools/{pool}", s.withCluster(s.updateNodePool))
	s.route(mux, "GET "+clustersPath+"/{id}/credentials", s.withCluster(func(w http.ResponseWriter, r *http.Request, c *godo.KubernetesCluster) {
		expiry := 7 * 24 * time.Hour
		if v := r.URL.Query().Get("expiry_seconds"); v != "" && v != "0" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				invalid(w, "expiry_seconds must be a non-negative integer")
				return
			}
			expiry = time.Duration(n) * time.Second
		}
		reply(w, http.StatusOK, godo.KubernetesClusterCredentials{
			Server: s.opts.Kube.Server, CertificateAuthorityData: s.opts.Kube.CA,
			Token: s.opts.Kube.Token, ExpiresAt: time.Now().Add(expiry).UTC(),
		})
	}))
	s.route(mux, "GET "+clustersPath+"/{id}/kubeconfig", s.withCluster(func(w http.ResponseWriter, r *http.Request, c *godo.KubernetesCluster) {
		name := fmt.Sprintf("do-%s-%s", c.RegionSlug, c.Name)
		w.Header().Set("Content-Type", "application/yaml")
		fmt.Fprintf(w, `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: %s
contexts:
- context:
    cluster: %s
    user: %s-admin
  name: %s
current-context: %s
users:
- name: %s-admin
  user:
    token: %s
`, base64.StdEncoding.EncodeToString(s.opts.Kube.CA), s.opts.Kube.Server, name, name, name, name, name, name, s.opts.Kube.Token)
	}))
}

// withCluster resolves {id} under the lock, or answers 404.
func (s *Server) withCluster(h func(http.ResponseWriter, *http.Request, *godo.KubernetesCluster)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, ok := s.clusters[r.PathValue("id")]
		if !ok {
			notFound(w)
			return
		}
		h(w, r, c)
	}
}

func (s *Server) createCluster(w http.ResponseWriter, r *http.Request) {
	var req godo.KubernetesClusterCreateRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Name == "" || len(req.Name) > 255 {
		invalid(w, "name is required and must be at most 255 characters")
		return
	}
	for _, c := range s.clusters {
		if c.Name == req.Name {
			invalid(w, "a cluster with this name already exists")
			return
		}
	}
	if !hasRegion(req.RegionSlug) {
		invalid(w, "region %q is not a valid region for Kubernetes clusters", req.RegionSlug)
		return
	}
	version := req.VersionSlug
	if version == "latest" {
		version = kubeVersions[0].Slug
	}
	if !hasVersion(version) {
		invalid(w, "version %q is not a supported Kubernetes version (GET /v2/kubernetes/options lists them)", req.VersionSlug)
		return
	}
	if req.VPCUUID != "" {
		vpc, ok := s.vpcs[req.VPCUUID]
		if !ok {
			invalid(w, "vpc %s not found", req.VPCUUID)
			return
		}
		if vpc.RegionSlug != req.RegionSlug {
			invalid(w, "vpc %s is in region %s, not in the cluster's region %s", vpc.Name, vpc.RegionSlug, req.RegionSlug)
			return
		}
	}
	if len(req.NodePools) == 0 {
		invalid(w, "a cluster needs at least one node pool")
		return
	}
	id := newUUID()
	c := &godo.KubernetesCluster{
		ID: id, Name: req.Name, RegionSlug: req.RegionSlug, VersionSlug: version,
		ClusterSubnet: or(req.ClusterSubnet, "10.244.0.0/16"), ServiceSubnet: or(req.ServiceSubnet, "10.245.0.0/16"),
		IPv4: "127.0.0.1", Endpoint: "https://" + id + ".k8s.ondigitalocean.com",
		Tags: append(slices.Clone(req.Tags), "k8s", "k8s:"+id), VPCUUID: req.VPCUUID,
		AutoUpgrade: req.AutoUpgrade, SurgeUpgrade: req.SurgeUpgrade,
		MaintenancePolicy: &godo.KubernetesMaintenancePolicy{StartTime: "00:00", Duration: "4h0m0s", Day: godo.KubernetesMaintenanceDayAny},
		Status:            &godo.KubernetesClusterStatus{State: godo.KubernetesClusterStatusProvisioning, Message: "provisioning"},
		CreatedAt:         time.Now().UTC(), UpdatedAt: time.Now().UTC(),
	}
	if req.HA != nil {
		c.HA = *req.HA
	}
	if mp := req.MaintenancePolicy; mp != nil {
		if !validStartTime(mp.StartTime) {
			invalid(w, "maintenance_policy.start_time %q must be HH:MM (UTC)", mp.StartTime)
			return
		}
		c.MaintenancePolicy = &godo.KubernetesMaintenancePolicy{StartTime: mp.StartTime, Duration: "4h0m0s", Day: mp.Day}
	}
	names := map[string]bool{}
	for _, p := range req.NodePools {
		if names[p.Name] {
			invalid(w, "node pool names must be unique within a cluster: %q", p.Name)
			return
		}
		names[p.Name] = true
		pool, msg := s.newPool(id, p)
		if msg != "" {
			invalid(w, "%s", msg)
			return
		}
		c.NodePools = append(c.NodePools, pool)
	}
	s.clusters[id] = c
	reply(w, http.StatusCreated, map[string]any{"kubernetes_cluster": c})
}

func (s *Server) newPool(clusterID string, p *godo.KubernetesNodePoolCreateRequest) (*godo.KubernetesNodePool, string) {
	if p.Name == "" {
		return nil, "node pool name is required"
	}
	if !hasSize(p.Size) {
		return nil, fmt.Sprintf("node pool %s: size %q is not a valid size for Kubernetes nodes", p.Name, p.Size)
	}
	count := p.Count
	if p.AutoScale {
		if p.MaxNodes < 1 || p.MinNodes < 0 || p.MinNodes > p.MaxNodes {
			return nil, fmt.Sprintf("node pool %s: auto_scale needs 0 <= min_nodes <= max_nodes and max_nodes >= 1", p.Name)
		}
		if count == 0 {
			count = p.MinNodes
		}
		if count < p.MinNodes || count > p.MaxNodes {
			return nil, fmt.Sprintf("node pool %s: count %d is outside min_nodes..max_nodes", p.Name, count)
		}
	} else if count < 1 {
		return nil, fmt.Sprintf("node pool %s: count must be at least 1", p.Name)
	}
	pool := &godo.KubernetesNodePool{
		ID: newUUID(), Name: p.Name, Size: p.Size, Count: count, Labels: p.Labels, Taints: p.Taints,
		Tags:      append(slices.Clone(p.Tags), "k8s", "k8s:"+clusterID, "k8s:worker"),
		AutoScale: p.AutoScale, MinNodes: p.MinNodes, MaxNodes: p.MaxNodes,
	}
	pool.Nodes = nodes(pool.Name, count)
	return pool, ""
}

func nodes(pool string, n int) []*godo.KubernetesNode {
	var out []*godo.KubernetesNode
	for i := range n {
		out = append(out, &godo.KubernetesNode{ID: newUUID(), Name: fmt.Sprintf("%s-%d", pool, i), DropletID: strconv.Itoa(400000000 + i),
			Status: &godo.KubernetesNodeStatus{State: "running"}, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()})
	}
	return out
}

func (s *Server) updateCluster(w http.ResponseWriter, r *http.Request, c *godo.KubernetesCluster) {
	var req godo.KubernetesClusterUpdateRequest
	if !decode(w, r, &req) {
		return
	}
	if req.HA != nil {
		if c.HA && !*req.HA {
			invalid(w, "a highly available control plane cannot be turned off")
			return
		}
		c.HA = *req.HA
	}
	if req.Name != "" {
		c.Name = req.Name
	}
	c.Tags = append(slices.Clone(req.Tags), "k8s", "k8s:"+c.ID)
	if req.AutoUpgrade != nil {
		c.AutoUpgrade = *req.AutoUpgrade
	}
	c.SurgeUpgrade = req.SurgeUpgrade
	if mp := req.MaintenancePolicy; mp != nil {
		if !validStartTime(mp.StartTime) {
			invalid(w, "maintenance_policy.start_time %q must be HH:MM (UTC)", mp.StartTime)
			return
		}
		c.MaintenancePolicy = &godo.KubernetesMaintenancePolicy{StartTime: mp.StartTime, Duration: "4h0m0s", Day: mp.Day}
	}
	c.UpdatedAt = time.Now().UTC()
	reply(w, http.StatusAccepted, map[string]any{"kubernetes_cluster": c})
}

func (s *Server) updateNodePool(w http.ResponseWriter, r *http.Request, c *godo.KubernetesCluster) {
	i := slices.IndexFunc(c.NodePools, func(p *godo.KubernetesNodePool) bool { return p.ID == r.PathValue("pool") })
	if i < 0 {
		notFound(w)
		return
	}
	var req godo.KubernetesNodePoolUpdateRequest
	if !decode(w, r, &req) {
		return
	}
	p := *c.NodePools[i]
	if req.Name != "" {
		p.Name = req.Name
	}
	if req.Tags != nil {
		p.Tags = append(slices.Clone(req.Tags), "k8s", "k8s:"+c.ID, "k8s:worker")
	}
	if req.Labels != nil {
		p.Labels = req.Labels
	}
	if req.AutoScale != nil {
		p.AutoScale = *req.AutoScale
	}
	if req.MinNodes != nil {
		p.MinNodes = *req.MinNodes
	}
	if req.MaxNodes != nil {
		p.MaxNodes = *req.MaxNodes
	}
	if req.Count != nil {
		p.Count = *req.Count
	}
	if p.AutoScale && (p.MaxNodes < 1 || p.MinNodes > p.MaxNodes) {
		invalid(w, "node pool %s: auto_scale needs 0 <= min_nodes <= max_nodes and max_nodes >= 1", p.Name)
		return
	}
	if p.AutoScale {
		p.Count = min(max(p.Count, p.MinNodes), p.MaxNodes)
	}
	p.Nodes = nodes(p.Name, p.Count)
	c.NodePools[i] = &p
	reply(w, http.StatusAccepted, map[string]any{"node_pool": p})
}

func validStartTime(v string) bool {
	t, err := time.Parse("15:04", v)
	return err == nil && t.Format("15:04") == v
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
