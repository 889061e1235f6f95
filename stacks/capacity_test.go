package stacks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fullfrontend.be/infra/internal/cost"
)

// capacityRow is one row of docs/capacity.md's table: a container of the
// platform, its request and limit, and the published figure they come from.
type capacityRow struct {
	line               int
	cpu, memory, limit string
	figure, source     string
	matched            bool
}

// readCapacityTable reads the rows of the table whose header starts with
// "| objet | conteneur |", keyed "<object> / <container>".
func readCapacityTable(t *testing.T, path string) map[string]*capacityRow {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]*capacityRow{}
	in := false
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| objet | conteneur |") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			in = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for j := range cells {
			cells[j] = strings.Trim(strings.TrimSpace(cells[j]), "`")
		}
		if len(cells) != 7 {
			t.Errorf("%s:%d: %d cells, want 7 (objet, conteneur, CPU, mémoire, limite, chiffre, source)", path, i+1, len(cells))
			continue
		}
		key := cells[0] + " / " + cells[1]
		if _, dup := rows[key]; dup {
			t.Errorf("%s:%d: %s listed twice", path, i+1, key)
		}
		rows[key] = &capacityRow{line: i + 1, cpu: cells[2], memory: cells[3], limit: cells[4], figure: cells[5], source: cells[6]}
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no row under a \"| objet | conteneur |\" header", path)
	}
	return rows
}

// jobHash is the digest some Job names end with (their spec's), which
// changes with every change of the Job.
var jobHash = regexp.MustCompile(`-[0-9a-f]{10}$`)

// checkCapacityDoc holds docs/capacity.md to the plan: every container the
// platform runs has its row, with the request and limit the plan gives it
// and a figure and a source; no row names a container that is gone.
func checkCapacityDoc(t *testing.T, rep cost.Report) {
	t.Helper()
	path := filepath.Join("..", "docs", "capacity.md")
	rows := readCapacityTable(t, path)
	for _, w := range rep.Workloads {
		for _, c := range w.Containers {
			key := jobHash.ReplaceAllString(w.Object, "-<hash>") + " / " + c.Name
			r, ok := rows[key]
			if !ok {
				t.Errorf("docs/capacity.md has no row for %s (requests %s, %s, limit %s): add it with the figure it comes from",
					key, milli(c.CPU), mebi(c.Memory), mebi(c.LimitMemory))
				continue
			}
			r.matched = true
			for _, f := range []struct{ name, doc, plan string }{
				{"CPU request", r.cpu, milli(c.CPU)}, {"memory request", r.memory, mebi(c.Memory)}, {"memory limit", r.limit, mebi(c.LimitMemory)},
			} {
				if f.doc != f.plan {
					t.Errorf("docs/capacity.md:%d: %s: %s %q, the plan gives %q", r.line, key, f.name, f.doc, f.plan)
				}
			}
			if r.figure == "" || r.source == "" {
				t.Errorf("docs/capacity.md:%d: %s has no figure or no source", r.line, key)
			}
		}
	}
	for key, r := range rows {
		if !r.matched {
			t.Errorf("docs/capacity.md:%d: %s runs in no pod of the plan: remove the row", r.line, key)
		}
	}
}

func milli(v int64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%dm", v)
}

func mebi(v int64) string {
	switch {
	case v == 0:
		return "-"
	case v%(1<<30) == 0:
		return fmt.Sprintf("%dGi", v>>30)
	case v%(1<<20) == 0:
		return fmt.Sprintf("%dMi", v>>20)
	}
	return fmt.Sprint(v)
}
