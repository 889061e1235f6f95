package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is the outcome of one check.
type Status string

// The three outcomes. A warning needs attention soon; an error means
// something is broken now (and makes the command exit non-zero).
const (
	OK      Status = "ok"
	Warning Status = "warning"
	Error   Status = "error"
)

// Groups, in the order of the report.
const (
	GroupDNS     = "dns"
	GroupTLS     = "tls"
	GroupMail    = "mail"
	GroupBackups = "backups"
	GroupCluster = "cluster"
)

// AllGroups lists every group in report order.
var AllGroups = []string{GroupDNS, GroupTLS, GroupMail, GroupBackups, GroupCluster}

// Check is one line of the report.
type Check struct {
	Group  string `json:"group"`
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail says what was found, on one line.
	Detail string `json:"detail"`
	// Fix says, on one line, what to do; empty when the check is ok.
	Fix string `json:"fix,omitempty"`
}

// Report is the result of a run.
type Report struct {
	Environment string    `json:"environment"`
	RootDomain  string    `json:"root_domain"`
	CheckedAt   time.Time `json:"checked_at"`
	Checks      []Check   `json:"checks"`
	Summary     Summary   `json:"summary"`
}

// Summary counts the checks by status.
type Summary struct {
	OK       int `json:"ok"`
	Warnings int `json:"warnings"`
	Errors   int `json:"errors"`
}

func (r *Report) summarize() {
	r.Summary = Summary{}
	for _, c := range r.Checks {
		switch c.Status {
		case OK:
			r.Summary.OK++
		case Warning:
			r.Summary.Warnings++
		default:
			r.Summary.Errors++
		}
	}
}

// Failed reports whether any check is an error.
func (r *Report) Failed() bool { return r.Summary.Errors > 0 }

// WriteTable prints the report for people: one line per check, and the fix
// under each check that is not ok.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "STATUS\tGROUP\tCHECK\tDETAIL\n")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", statusLabel(c.Status), c.Group, oneLine(c.Name), oneLine(c.Detail))
		if c.Status != OK && c.Fix != "" {
			// Under the detail; as a line's last cell it widens no column.
			fmt.Fprintf(tw, "\t\t\t-> fix: %s\n", oneLine(c.Fix))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s %s: %d ok, %d warnings, %d errors\n",
		r.Environment, r.RootDomain, r.Summary.OK, r.Summary.Warnings, r.Summary.Errors)
	return err
}

// WriteJSON prints the report for machines.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func statusLabel(s Status) string {
	switch s {
	case OK:
		return "ok"
	case Warning:
		return "WARNING"
	default:
		return "ERROR"
	}
}

// oneLine keeps a table row on one line whatever a server answered.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// checks collects the results of one group.
type checks struct {
	group string
	list  []Check
}

func (c *checks) ok(name, format string, args ...any) {
	c.list = append(c.list, Check{Group: c.group, Name: name, Status: OK, Detail: fmt.Sprintf(format, args...)})
}

func (c *checks) warn(name, detail, fix string) {
	c.list = append(c.list, Check{Group: c.group, Name: name, Status: Warning, Detail: detail, Fix: fix})
}

func (c *checks) fail(name, detail, fix string) {
	c.list = append(c.list, Check{Group: c.group, Name: name, Status: Error, Detail: detail, Fix: fix})
}

func (c *checks) add(ch Check) {
	ch.Group = c.group
	c.list = append(c.list, ch)
}
