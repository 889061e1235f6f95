package doapi

import (
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/digitalocean/godo"
)

var (
	domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
	hostName   = regexp.MustCompile(`^(@|\*|([a-zA-Z0-9_*]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?)*\.?)$`)
	srvName    = regexp.MustCompile(`^_[a-z0-9-]+\._(tcp|udp|tls)(\.|$)`)
)

func (s *Server) domainRoutes(mux *http.ServeMux) {
	s.route(mux, "POST /v2/domains", func(w http.ResponseWriter, r *http.Request) {
		var req godo.DomainCreateRequest
		if !decode(w, r, &req) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if !domainName.MatchString(req.Name) || len(req.Name) > 253 {
			invalid(w, "name %q is not a valid domain name", req.Name)
			return
		}
		if _, ok := s.domains[req.Name]; ok {
			invalid(w, "Name already exists")
			return
		}
		d := &godo.Domain{Name: req.Name, TTL: 1800}
		s.domains[req.Name] = d
		s.records[req.Name] = map[int]*godo.DomainRecord{}
		// A new zone gets DigitalOcean's SOA and name servers.
		s.addRecord(req.Name, godo.DomainRecord{Type: "SOA", Name: "@", Data: "1800", TTL: 1800})
		for _, ns := range []string{"ns1", "ns2", "ns3"} {
			s.addRecord(req.Name, godo.DomainRecord{Type: "NS", Name: "@", Data: ns + ".digitalocean.com", TTL: 1800})
		}
		if req.IPAddress != "" {
			s.addRecord(req.Name, godo.DomainRecord{Type: "A", Name: "@", Data: req.IPAddress, TTL: 1800})
		}
		reply(w, http.StatusCreated, map[string]any{"domain": d})
	})
	s.route(mux, "GET /v2/domains", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		var out []*godo.Domain
		for _, k := range slices.Sorted(maps.Keys(s.domains)) {
			out = append(out, s.domains[k])
		}
		list(w, "domains", out)
	})
	s.route(mux, "GET /v2/domains/{domain}", s.withDomain(func(w http.ResponseWriter, r *http.Request, d string) {
		reply(w, http.StatusOK, map[string]any{"domain": s.domains[d]})
	}))
	s.route(mux, "DELETE /v2/domains/{domain}", s.withDomain(func(w http.ResponseWriter, r *http.Request, d string) {
		delete(s.domains, d)
		delete(s.records, d)
		s.unassign("do:domain:" + d)
		w.WriteHeader(http.StatusNoContent)
	}))
	s.route(mux, "GET /v2/domains/{domain}/records", s.withDomain(func(w http.ResponseWriter, r *http.Request, d string) {
		var out []*godo.DomainRecord
		for _, id := range slices.Sorted(maps.Keys(s.records[d])) {
			rec := s.records[d][id]
			if (r.URL.Query().Get("type") == "" || rec.Type == r.URL.Query().Get("type")) && (r.URL.Query().Get("name") == "" || rec.Name == r.URL.Query().Get("name")) {
				out = append(out, rec)
			}
		}
		list(w, "domain_records", out)
	}))
	s.route(mux, "POST /v2/domains/{domain}/records", s.withDomain(func(w http.ResponseWriter, r *http.Request, d string) {
		var req godo.DomainRecordEditRequest
		if !decode(w, r, &req) {
			return
		}
		rec := fromEdit(req)
		if msg := s.checkRecord(d, 0, &rec); msg != "" {
			invalid(w, "%s", msg)
			return
		}
		reply(w, http.StatusCreated, map[string]any{"domain_record": s.addRecord(d, rec)})
	}))
	s.route(mux, "GET /v2/domains/{domain}/records/{id}", s.withRecord(func(w http.ResponseWriter, r *http.Request, d string, rec *godo.DomainRecord) {
		reply(w, http.StatusOK, map[string]any{"domain_record": rec})
	}))
	s.route(mux, "PUT /v2/domains/{domain}/records/{id}", s.withRecord(func(w http.ResponseWriter, r *http.Request, d string, rec *godo.DomainRecord) {
		var req godo.DomainRecordEditRequest
		if !decode(w, r, &req) {
			return
		}
		next := fromEdit(req)
		next.ID = rec.ID
		if next.Type == "" {
			next.Type = rec.Type
		}
		if next.Type != rec.Type {
			invalid(w, "the type of a record cannot change")
			return
		}
		if msg := s.checkRecord(d, rec.ID, &next); msg != "" {
			invalid(w, "%s", msg)
			return
		}
		*rec = next
		reply(w, http.StatusOK, map[string]any{"domain_record": rec})
	}))
	s.route(mux, "DELETE /v2/domains/{domain}/records/{id}", s.withRecord(func(w http.ResponseWriter, r *http.Request, d string, rec *godo.DomainRecord) {
		delete(s.records[d], rec.ID)
		w.WriteHeader(http.StatusNoContent)
	}))
}

func (s *Server) withDomain(h func(http.ResponseWriter, *http.Request, string)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		d := r.PathValue("domain")
		if _, ok := s.domains[d]; !ok {
			notFound(w)
			return
		}
		h(w, r, d)
	}
}

func (s *Server) withRecord(h func(http.ResponseWriter, *http.Request, string, *godo.DomainRecord)) func(http.ResponseWriter, *http.Request) {
	return s.withDomain(func(w http.ResponseWriter, r *http.Request, d string) {
		id, err := strconv.Atoi(r.PathValue("id"))
		rec, ok := s.records[d][id]
		if err != nil || !ok {
			notFound(w)
			return
		}
		h(w, r, d, rec)
	})
}

func (s *Server) addRecord(domain string, rec godo.DomainRecord) *godo.DomainRecord {
	s.nextID++
	rec.ID = s.nextID
	s.records[domain][rec.ID] = &rec
	return &rec
}

// checkRecord applies the API's rules for a record of domain (self: the
// record being edited, 0 for a new one) and fills the default TTL.
func (s *Server) checkRecord(domain string, self int, rec *godo.DomainRecord) string {
	if rec.TTL == 0 {
		rec.TTL = 1800
	}
	host := func(v string) bool { return v != "" && len(v) <= 253 && hostName.MatchString(v) }
	switch {
	case !slices.Contains([]string{"A", "AAAA", "CAA", "CNAME", "MX", "NS", "SRV", "TXT"}, rec.Type):
		return fmt.Sprintf("type %q is not a record type the API creates (A, AAAA, CAA, CNAME, MX, NS, SRV, TXT)", rec.Type)
	case !host(rec.Name):
		return fmt.Sprintf("name %q is not a valid record name", rec.Name)
	case rec.TTL < 30:
		return "ttl must be at least 30 seconds"
	case rec.Data == "":
		return "data is required"
	}
	switch rec.Type {
	case "A", "AAAA":
		a, err := netip.ParseAddr(rec.Data)
		if err != nil || a.Is4() != (rec.Type == "A") {
			return fmt.Sprintf("data %q is not an %s address", rec.Data, map[string]string{"A": "IPv4", "AAAA": "IPv6"}[rec.Type])
		}
	case "CNAME", "NS", "MX", "SRV":
		if !host(rec.Data) {
			return fmt.Sprintf("data %q is not a valid host name", rec.Data)
		}
	case "CAA":
		if !slices.Contains([]string{"issue", "issuewild", "iodef"}, rec.Tag) {
			return fmt.Sprintf("tag %q is not a CAA tag (issue, issuewild, iodef)", rec.Tag)
		}
		if rec.Flags < 0 || rec.Flags > 255 {
			return "flags must be between 0 and 255"
		}
	}
	if rec.Type == "SRV" {
		if !srvName.MatchString(rec.Name) {
			return fmt.Sprintf("name %q of an SRV record must be _service._protocol", rec.Name)
		}
		if rec.Port < 1 || rec.Port > 65535 || rec.Weight < 0 || rec.Weight > 65535 {
			return "SRV records need a port (1-65535) and a weight (0-65535)"
		}
	}
	if (rec.Type == "MX" || rec.Type == "SRV") && (rec.Priority < 0 || rec.Priority > 65535) {
		return "priority must be between 0 and 65535"
	}
	for _, o := range s.records[domain] {
		if o.ID == self || !strings.EqualFold(o.Name, rec.Name) {
			continue
		}
		if rec.Type == "CNAME" || o.Type == "CNAME" {
			return fmt.Sprintf("a CNAME record cannot share its name %q with another record", rec.Name)
		}
	}
	if rec.Type == "CNAME" && rec.Name == "@" {
		return "a CNAME record cannot be at the apex (@)"
	}
	// Host names, and the issuer of a CAA issue or issuewild, must be
	// absolute (422 otherwise); the API keeps them without the root's dot,
	// which the provider adds back when it reads them.
	if slices.Contains([]string{"CNAME", "MX", "NS", "SRV", "CAA"}, rec.Type) && rec.Tag != "iodef" && rec.Data != "@" {
		if !strings.HasSuffix(rec.Data, ".") {
			return fmt.Sprintf("data %q of a %s record must end in a dot (.)", rec.Data, rec.Type)
		}
		rec.Data = strings.TrimSuffix(rec.Data, ".")
	}
	return ""
}

func fromEdit(r godo.DomainRecordEditRequest) godo.DomainRecord {
	return godo.DomainRecord{Type: r.Type, Name: r.Name, Data: r.Data, Priority: r.Priority, Port: r.Port,
		TTL: r.TTL, Weight: r.Weight, Flags: r.Flags, Tag: r.Tag}
}
