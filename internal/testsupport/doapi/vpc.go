package doapi

import (
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

var vpcName = regexp.MustCompile(`^[a-zA-Z0-9\-.]{1,255}$`)

// Ranges DigitalOcean keeps for itself (DOKS pod and service networks, and
// the internal range of some regions): a VPC may not overlap them.
var reservedRanges = []netip.Prefix{
	netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("10.245.0.0/16"), netip.MustParsePrefix("10.246.0.0/24"),
}

var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
}

func (s *Server) vpcRoutes(mux *http.ServeMux) {
	s.route(mux, "POST /v2/vpcs", s.createVPC)
	s.route(mux, "GET /v2/vpcs", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		var out []*godo.VPC
		for _, v := range s.vpcs {
			out = append(out, v)
		}
		slices.SortFunc(out, func(a, b *godo.VPC) int { return strings.Compare(a.Name, b.Name) })
		list(w, "vpcs", out)
	})
	s.route(mux, "GET /v2/vpcs/{id}", s.withVPC(func(w http.ResponseWriter, r *http.Request, v *godo.VPC) {
		reply(w, http.StatusOK, map[string]any{"vpc": v})
	}))
	update := s.withVPC(func(w http.ResponseWriter, r *http.Request, v *godo.VPC) {
		var req godo.VPCUpdateRequest
		if !decode(w, r, &req) {
			return
		}
		if req.Name != "" {
			if !vpcName.MatchString(req.Name) {
				invalid(w, "name must be letters, digits, hyphens and dots, at most 255 characters")
				return
			}
			v.Name = req.Name
		}
		v.Description = req.Description
		reply(w, http.StatusOK, map[string]any{"vpc": v})
	})
	s.route(mux, "PUT /v2/vpcs/{id}", update)
	s.route(mux, "PATCH /v2/vpcs/{id}", update)
	s.route(mux, "DELETE /v2/vpcs/{id}", s.withVPC(func(w http.ResponseWriter, r *http.Request, v *godo.VPC) {
		for _, c := range s.clusters {
			if c.VPCUUID == v.ID {
				apiError(w, http.StatusForbidden, "forbidden", "Can not delete VPC with members")
				return
			}
		}
		delete(s.vpcs, v.ID)
		w.WriteHeader(http.StatusNoContent)
	}))
}

func (s *Server) withVPC(h func(http.ResponseWriter, *http.Request, *godo.VPC)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		v, ok := s.vpcs[r.PathValue("id")]
		if !ok {
			notFound(w)
			return
		}
		h(w, r, v)
	}
}

func (s *Server) createVPC(w http.ResponseWriter, r *http.Request) {
	var req godo.VPCCreateRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !vpcName.MatchString(req.Name) {
		invalid(w, "name must be letters, digits, hyphens and dots, at most 255 characters")
		return
	}
	if !slices.Contains(vpcRegions, req.RegionSlug) {
		invalid(w, "region %q is not a valid region", req.RegionSlug)
		return
	}
	inRegion := false
	for _, v := range s.vpcs {
		if v.Name == req.Name {
			apiError(w, http.StatusConflict, "conflict", "A VPC with this name already exists")
			return
		}
		inRegion = inRegion || v.RegionSlug == req.RegionSlug
	}
	p, err := netip.ParsePrefix(req.IPRange)
	if req.IPRange != "" {
		switch {
		case err != nil || !p.Addr().Is4() || p.Masked() != p:
			invalid(w, "ip_range %q is not a valid IPv4 network in CIDR notation", req.IPRange)
			return
		case p.Bits() < 16 || p.Bits() > 24:
			invalid(w, "ip_range must be between /16 and /24")
			return
		case !slices.ContainsFunc(privateRanges, func(r netip.Prefix) bool { return r.Contains(p.Addr()) && r.Bits() <= p.Bits() }):
			invalid(w, "ip_range must be within a private range (RFC 1918)")
			return
		case slices.ContainsFunc(reservedRanges, p.Overlaps):
			invalid(w, "ip_range %s overlaps a range reserved by DigitalOcean", req.IPRange)
			return
		}
		for _, v := range s.vpcs {
			if o, err := netip.ParsePrefix(v.IPRange); err == nil && o.Overlaps(p) {
				invalid(w, "ip_range %s overlaps the VPC %s (%s)", req.IPRange, v.Name, v.IPRange)
				return
			}
		}
	} else {
		req.IPRange = "10.110.0.0/20"
	}
	id := newUUID()
	v := &godo.VPC{ID: id, URN: "do:vpc:" + id, Name: req.Name, Description: req.Description, IPRange: req.IPRange,
		RegionSlug: req.RegionSlug, CreatedAt: time.Now().UTC(), Default: !inRegion}
	s.vpcs[id] = v
	reply(w, http.StatusCreated, map[string]any{"vpc": v})
}
