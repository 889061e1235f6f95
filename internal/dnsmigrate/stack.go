package dnsmigrate

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Stack is what the platform serves itself, from the `doctor` output of
// stacks/platform (APP_ENV=prod ./scripts/tofu-secrets.sh output -json
// doctor > doctor.json); only the DNS part is read here.
type Stack struct {
	Environment          string     `json:"environment"`
	RootDomain           string     `json:"root_domain"`
	NameServers          []string   `json:"name_servers"`
	LoadBalancerHostname string     `json:"load_balancer_hostname"`
	Hosts                []string   `json:"hosts"`
	MailHost             string     `json:"mail_host"`
	DNSRecords           []Endpoint `json:"dns_records"`
}

// Endpoint is one record set in external-dns's DNSEndpoint shape.
type Endpoint struct {
	DNSName    string   `json:"dnsName"`
	RecordType string   `json:"recordType"`
	Targets    []string `json:"targets"`
	RecordTTL  int      `json:"recordTTL"`
}

const doctorHowTo = "make it with: APP_ENV=prod ./scripts/tofu-secrets.sh output -json doctor > doctor.json"

// ReadStack decodes doctor.json and checks the keys this command needs.
func ReadStack(r io.Reader, file string) (*Stack, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, fmt.Errorf("%s is not the JSON of the stack's doctor output: %v (%s)", file, err, doctorHowTo)
	}
	var missing []string
	for _, k := range []string{"environment", "root_domain", "name_servers", "load_balancer_hostname", "hosts", "mail_host", "dns_records"} {
		if _, ok := keys[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s lacks %s: is it `tofu output -json doctor` of stacks/platform? (%s)", file, strings.Join(missing, ", "), doctorHowTo)
	}
	var s Stack
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %v (%s)", file, err, doctorHowTo)
	}
	if s.Environment != "prod" {
		return nil, fmt.Errorf("%s is the %q environment's: only prod has public DNS (%s)", file, s.Environment, doctorHowTo)
	}
	s.RootDomain = host(s.RootDomain)
	if s.RootDomain == "" || s.RootDomain == "." {
		return nil, fmt.Errorf("%s has no root_domain (%s)", file, doctorHowTo)
	}
	for i, e := range s.DNSRecords {
		if e.DNSName == "" || e.RecordType == "" || len(e.Targets) == 0 {
			return nil, fmt.Errorf("%s: dns_records[%d] needs dnsName, recordType and targets", file, i)
		}
	}
	return &s, nil
}

// stackView answers what the stack does with a name.
type stackView struct {
	root, lb string
	// hosts are the ingress hosts other than the apex, and lb: external-dns
	// or the stack gives each a CNAME or A record of its own, and nothing
	// else may share the name (a CNAME shares it with nothing).
	hosts map[string]bool
	// sets are the stack's own record sets (dns_records), by "name type".
	sets map[string][]string
	// names are the names of those sets, with their types.
	names map[string][]string
	// mail: the stack receives the mail (it publishes the root's MX), so
	// the box's mail records give way. Until then the box still receives
	// it, even while the stack's mail server already runs (mail_host set,
	// mail_mx_switched false: only its DKIM key is published).
	mail     bool
	mailHost string
	// count is the number of records the stack serves itself.
	count int
}

func newStackView(s *Stack) *stackView {
	v := &stackView{root: s.RootDomain, lb: host(s.LoadBalancerHostname), hosts: map[string]bool{},
		sets: map[string][]string{}, names: map[string][]string{}, mailHost: host(s.MailHost)}
	for _, h := range s.Hosts {
		if h = host(h); h != v.root {
			v.hosts[h] = true
		}
	}
	if v.lb != "" {
		v.hosts[v.lb] = true
	}
	// The apex and lb have A records to the load balancer; each other host
	// a CNAME to lb (external-dns, from the ingress).
	v.count = len(v.hosts)
	if slices.Contains(s.Hosts, s.RootDomain) || v.lb != "" {
		v.count++ // the apex A record (modules/k8s-config)
	}
	for _, e := range s.DNSRecords {
		n, t := host(e.DNSName), strings.ToUpper(e.RecordType)
		k := n + " " + t
		for _, target := range e.Targets {
			if !slices.Contains(v.sets[k], target) {
				v.sets[k] = append(v.sets[k], target)
				v.count++
			}
		}
		if !slices.Contains(v.names[n], t) {
			v.names[n] = append(v.names[n], t)
		}
	}
	v.mail = len(v.sets[v.root+" MX"]) > 0
	if v.mail && v.mailHost == "" {
		v.mailHost = strings.Join(v.sets[v.root+" MX"], ", ")
	}
	return v
}
