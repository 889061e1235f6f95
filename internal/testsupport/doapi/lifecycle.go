package doapi

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The S3 server behind the proxy (versitygw 1.8.0) does not implement
// bucket lifecycle (501), which Spaces does: the proxy keeps the
// configurations itself, with Spaces' rules (expiration and aborting
// incomplete uploads only; Spaces has no storage classes to move to).

type lifecycleConfig struct {
	XMLName xml.Name        `xml:"LifecycleConfiguration"`
	Xmlns   string          `xml:"xmlns,attr,omitempty"`
	Rules   []lifecycleRule `xml:"Rule"`
}

type lifecycleRule struct {
	ID     string  `xml:"ID,omitempty"`
	Status string  `xml:"Status"`
	Prefix *string `xml:"Prefix,omitempty"`
	Filter *struct {
		Prefix string `xml:"Prefix"`
	} `xml:"Filter,omitempty"`
	Expiration *struct {
		Days int    `xml:"Days,omitempty"`
		Date string `xml:"Date,omitempty"`
	} `xml:"Expiration,omitempty"`
	AbortIncompleteMultipartUpload *struct {
		DaysAfterInitiation int `xml:"DaysAfterInitiation"`
	} `xml:"AbortIncompleteMultipartUpload,omitempty"`
	NoncurrentVersionExpiration *struct {
		NoncurrentDays int `xml:"NoncurrentDays"`
	} `xml:"NoncurrentVersionExpiration,omitempty"`
	Transition *struct{} `xml:"Transition,omitempty"`
}

// lifecycle serves ?lifecycle for bucket; the caller checked the region.
func (s *Server) lifecycle(w http.ResponseWriter, r *http.Request, bucket string) {
	if !strings.Contains(r.Header.Get("Authorization"), "Credential="+s.opts.SpacesAccessKey+"/") {
		s3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		cfg, ok := s.lifecycles[bucket]
		if !ok {
			s3Error(w, http.StatusNotFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_ = xml.NewEncoder(w).Encode(cfg)
	case http.MethodDelete:
		delete(s.lifecycles, bucket)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var cfg lifecycleConfig
		if err == nil {
			err = xml.Unmarshal(body, &cfg)
		}
		if err != nil {
			s3Error(w, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed: "+err.Error())
			return
		}
		if msg := checkLifecycle(cfg); msg != "" {
			s3Error(w, http.StatusBadRequest, "InvalidArgument", msg)
			return
		}
		cfg.Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"
		s.lifecycles[bucket] = cfg
		w.WriteHeader(http.StatusOK)
	default:
		s3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
}

func checkLifecycle(cfg lifecycleConfig) string {
	if len(cfg.Rules) == 0 || len(cfg.Rules) > 1000 {
		return "a lifecycle configuration holds 1 to 1000 rules"
	}
	ids := map[string]bool{}
	for _, rule := range cfg.Rules {
		switch {
		case len(rule.ID) > 255:
			return "rule ID must be at most 255 characters"
		case rule.ID != "" && ids[rule.ID]:
			return fmt.Sprintf("rule ID %q is used twice", rule.ID)
		case rule.Status != "Enabled" && rule.Status != "Disabled":
			return fmt.Sprintf("rule %s: Status must be Enabled or Disabled", rule.ID)
		case rule.Transition != nil:
			return fmt.Sprintf("rule %s: Spaces has no storage class to transition to", rule.ID)
		case rule.Expiration == nil && rule.AbortIncompleteMultipartUpload == nil && rule.NoncurrentVersionExpiration == nil:
			return fmt.Sprintf("rule %s: at least one action needs to be specified in a rule", rule.ID)
		case rule.Expiration != nil && (rule.Expiration.Days < 0 || (rule.Expiration.Days == 0) == (rule.Expiration.Date == "")):
			return fmt.Sprintf("rule %s: Expiration needs either a positive Days or a Date", rule.ID)
		case rule.AbortIncompleteMultipartUpload != nil && rule.AbortIncompleteMultipartUpload.DaysAfterInitiation < 1:
			return fmt.Sprintf("rule %s: DaysAfterInitiation must be a positive integer", rule.ID)
		}
		ids[rule.ID] = true
	}
	return ""
}

func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, message)
}
