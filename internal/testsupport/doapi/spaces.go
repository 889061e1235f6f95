package doapi

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// SpacesDomain stands for digitaloceanspaces.com: the provider's
// spaces_endpoint is http://{{.Region}}.<SpacesDomain>, and its requests
// reach the stand-in through HTTP_PROXY (see SpacesProxy), so no name is
// ever resolved. A reserved top-level domain, so that a request that
// missed the proxy cannot reach anything.
const SpacesDomain = "digitaloceanspaces.test"

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// SpacesEndpoint is the provider's spaces_endpoint template.
func SpacesEndpoint() string { return "http://{{.Region}}." + SpacesDomain }

// SpacesVirtualDomain is the base domain the S3 server must serve
// virtual-host buckets for (versitygw --virtual-domain): the region's host.
func SpacesVirtualDomain(region string) string { return region + "." + SpacesDomain }

// SpacesProxy is the HTTP proxy URL that carries the Spaces host names to
// the S3 server given in Options.Spaces.
func (s *Server) SpacesProxy() string { return s.url }

// spaces forwards a proxied request for <bucket>.<region>.<SpacesDomain>
// to the S3 server, Host unchanged (it is part of the request's signature).
func (s *Server) spaces(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Hostname()
	rest, ok := strings.CutSuffix(host, "."+SpacesDomain)
	labels := strings.Split(rest, ".")
	region := labels[len(labels)-1]
	var ops []string
	for k := range r.URL.Query() {
		ops = append(ops, "?"+k)
	}
	sort.Strings(ops)
	s.mu.Lock()
	s.calls[strings.TrimSpace("Spaces "+r.Method+" "+strings.Join(ops, "&"))]++
	s.mu.Unlock()
	switch {
	case !ok || !slices.Contains(spacesRegions, region):
		http.Error(w, "dial tcp: lookup "+host+": no such host", http.StatusBadGateway)
		return
	case s.opts.Spaces == "" || region != s.opts.SpacesRegion:
		http.Error(w, "the stand-in serves Spaces in region "+s.opts.SpacesRegion+" only, not "+region, http.StatusBadGateway)
		return
	}
	if _, ok := r.URL.Query()["lifecycle"]; ok && len(labels) == 2 {
		s.lifecycle(w, r, labels[0])
		return
	}
	target, err := url.Parse(s.opts.Spaces)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host
	}, ModifyResponse: func(resp *http.Response) error {
		// A deleted bucket takes its lifecycle configuration with it.
		if r.Method == http.MethodDelete && len(labels) == 2 && len(ops) == 0 && resp.StatusCode == http.StatusNoContent {
			s.mu.Lock()
			delete(s.lifecycles, labels[0])
			s.mu.Unlock()
		}
		return nil
	}}
	proxy.ServeHTTP(w, r)
}

// listLoadBalancers answers with what DigitalOcean's cloud controller made
// for the cluster's LoadBalancer Services.
func (s *Server) listLoadBalancers(w http.ResponseWriter, r *http.Request) {
	if s.opts.LoadBalancers == nil {
		list[any](w, "load_balancers", nil)
		return
	}
	lbs, err := s.opts.LoadBalancers(r.Context())
	if err != nil {
		apiError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	list(w, "load_balancers", lbs)
}
