// Package testreport turns `go test -json` output into a short report: the
// output of each failed test, then one closing line
// "tests: N passed, N failed, N skipped" that CI and humans read.
package testreport

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// event is the subset of test2json's TestEvent this report needs.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// Summary counts test results. Packages that failed without a failing test
// (build errors, panics in TestMain) count as failures too.
type Summary struct {
	Passed, Failed, Skipped int
	FailedNames             []string
}

// OK reports whether nothing failed and at least one test ran.
func (s Summary) OK() bool { return s.Failed == 0 && s.Passed > 0 }

// Read consumes a test2json stream, echoes package results and the output of
// failing tests to out, and returns the counts.
func Read(r io.Reader, out io.Writer) (Summary, error) {
	var s Summary
	outputs := map[string]*strings.Builder{} // key: package + "\x00" + test
	failedTests := map[string]int{}          // package -> failed tests seen
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			// Build errors reach stdout as plain text; keep them visible.
			fmt.Fprintln(out, string(line))
			continue
		}
		key := ev.Package + "\x00" + ev.Test
		switch ev.Action {
		case "output":
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			b.WriteString(ev.Output)
		case "pass":
			if ev.Test != "" {
				s.Passed++
			} else {
				fmt.Fprintf(out, "ok   %s\n", ev.Package)
			}
		case "skip":
			if ev.Test != "" {
				s.Skipped++
			} else {
				fmt.Fprintf(out, "--   %s (no tests)\n", ev.Package)
			}
		case "fail":
			if ev.Test != "" {
				s.Failed++
				failedTests[ev.Package]++
				s.FailedNames = append(s.FailedNames, ev.Package+"."+ev.Test)
				if b := outputs[key]; b != nil {
					fmt.Fprintf(out, "--- FAIL %s %s\n%s", ev.Package, ev.Test, b.String())
				}
				continue
			}
			if failedTests[ev.Package] == 0 {
				s.Failed++
				s.FailedNames = append(s.FailedNames, ev.Package)
				if b := outputs[key]; b != nil {
					fmt.Fprint(out, b.String())
				}
			}
			fmt.Fprintf(out, "FAIL %s\n", ev.Package)
		}
		if ev.Action != "output" {
			delete(outputs, key)
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("read go test output: %w", err)
	}
	sort.Strings(s.FailedNames)
	if len(s.FailedNames) > 0 {
		fmt.Fprintf(out, "\nfailed:\n  %s\n", strings.Join(s.FailedNames, "\n  "))
	}
	fmt.Fprintf(out, "\ntests: %d passed, %d failed, %d skipped\n", s.Passed, s.Failed, s.Skipped)
	return s, nil
}
