package doctor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// regenerate is the fix for a doctor.json that cannot be used.
const regenerate = "make it again with APP_ENV=prod ./scripts/tofu-secrets.sh output -json doctor > doctor.json"

// Expect is what the platform stack says the cluster should look like: the
// `doctor` output of stacks/platform (docs/doctor.md).
type Expect struct {
	Environment          string            `json:"environment"`
	RootDomain           string            `json:"root_domain"`
	NameServers          []string          `json:"name_servers"`
	LoadBalancerHostname string            `json:"load_balancer_hostname"`
	Hosts                []string          `json:"hosts"`
	MailHost             string            `json:"mail_host"`
	DNSRecords           []Record          `json:"dns_records"`
	Backups              Backups           `json:"backups"`
	AppNamespaces        map[string]string `json:"app_namespaces"`
}

// Record is one DNS record the stack manages, with the field names of
// external-dns's DNSEndpoint spec.endpoints[].
type Record struct {
	DNSName    string   `json:"dnsName"`
	RecordType string   `json:"recordType"`
	Targets    []string `json:"targets"`
	RecordTTL  int      `json:"recordTTL"`
}

// Backups says where the backups are and what produces them.
type Backups struct {
	S3              S3Location `json:"s3"`
	Databases       []Database `json:"databases"`
	VeleroNamespace string     `json:"velero_namespace"`
	VeleroSchedules []string   `json:"velero_schedules"`
}

// S3Location is the backup bucket.
type S3Location struct {
	Endpoint string `json:"endpoint"`
	Bucket   string `json:"bucket"`
	Region   string `json:"region"`
}

// Database is one database server and its backup jobs.
type Database struct {
	Engine              string `json:"engine"`
	Namespace           string `json:"namespace"`
	BackupCronJob       string `json:"backup_cronjob"`
	RestoreCheckCronJob string `json:"restore_check_cronjob"`
	S3Prefix            string `json:"s3_prefix"`
}

// topKeys are the keys the contract says are always present: a missing one
// means the file is not the doctor output (or an older one).
var topKeys = []string{"environment", "root_domain", "name_servers", "load_balancer_hostname",
	"hosts", "mail_host", "dns_records", "backups", "app_namespaces"}

// LoadExpect reads and checks a doctor.json file.
func LoadExpect(path string) (Expect, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Expect{}, fmt.Errorf("read the expected state: %w (%s)", err, regenerate)
	}
	e, err := ParseExpect(data)
	if err != nil {
		return Expect{}, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// ParseExpect decodes the doctor output. It accepts both the bare object and
// the {"sensitive":..,"type":..,"value":{...}} wrapper of `tofu output -json`
// without a name, so either form of the command works.
func ParseExpect(data []byte) (Expect, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Expect{}, fmt.Errorf("not a JSON object: %w (%s)", err, regenerate)
	}
	if v, ok := top["value"]; ok && top["root_domain"] == nil {
		data = v
		top = nil
		if err := json.Unmarshal(data, &top); err != nil {
			return Expect{}, fmt.Errorf("value is not a JSON object: %w (%s)", err, regenerate)
		}
	}
	var missing []string
	for _, k := range topKeys {
		if _, ok := top[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return Expect{}, fmt.Errorf("missing keys %s: this is not the doctor output of stacks/platform (%s)", strings.Join(missing, ", "), regenerate)
	}
	var e Expect
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&e); err != nil {
		return Expect{}, fmt.Errorf("decode: %w (%s)", err, regenerate)
	}
	if err := e.validate(); err != nil {
		return Expect{}, fmt.Errorf("%w (%s)", err, regenerate)
	}
	e.normalize()
	return e, nil
}

func (e *Expect) validate() error {
	var errs []error
	if e.RootDomain == "" {
		errs = append(errs, errors.New("root_domain is empty"))
	}
	for i, r := range e.DNSRecords {
		if r.DNSName == "" || r.RecordType == "" {
			errs = append(errs, fmt.Errorf("dns_records[%d] needs dnsName and recordType", i))
		}
	}
	for i, d := range e.Backups.Databases {
		if d.Engine == "" || d.S3Prefix == "" {
			errs = append(errs, fmt.Errorf("backups.databases[%d] needs engine and s3_prefix", i))
		}
	}
	return errors.Join(errs...)
}

// normalize lower-cases names and drops trailing dots, the forms the checks
// compare.
func (e *Expect) normalize() {
	e.RootDomain = fqdnKey(e.RootDomain)
	e.LoadBalancerHostname = fqdnKey(e.LoadBalancerHostname)
	e.MailHost = fqdnKey(e.MailHost)
	for i, n := range e.NameServers {
		e.NameServers[i] = fqdnKey(n)
	}
	for i, h := range e.Hosts {
		e.Hosts[i] = fqdnKey(h)
	}
	for i := range e.DNSRecords {
		e.DNSRecords[i].DNSName = fqdnKey(e.DNSRecords[i].DNSName)
		e.DNSRecords[i].RecordType = strings.ToUpper(e.DNSRecords[i].RecordType)
	}
}

// namespaces are the namespaces whose pods the cluster checks look at: the
// apps' and the databases', sorted, without duplicates.
func (e *Expect) namespaces() []string {
	var ns []string
	for _, n := range e.AppNamespaces {
		ns = append(ns, n)
	}
	for _, d := range e.Backups.Databases {
		if d.Namespace != "" {
			ns = append(ns, d.Namespace)
		}
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// fqdnKey is a DNS name in the form the checks compare: lower case, no
// trailing dot.
func fqdnKey(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}
