package testreport

import (
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name                  string
		in                    string
		passed, failed, skips int
		ok                    bool
		wantOut               []string
	}{
		{
			name: "all pass",
			in: `{"Action":"run","Package":"p","Test":"A"}
{"Action":"pass","Package":"p","Test":"A"}
{"Action":"skip","Package":"p","Test":"B"}
{"Action":"pass","Package":"p"}`,
			passed: 1, skips: 1, ok: true,
			wantOut: []string{"ok   p", "tests: 1 passed, 0 failed, 1 skipped"},
		},
		{
			name: "failed test shows its output",
			in: `{"Action":"output","Package":"p","Test":"A","Output":"boom happened\n"}
{"Action":"fail","Package":"p","Test":"A"}
{"Action":"fail","Package":"p"}`,
			failed:  1,
			wantOut: []string{"boom happened", "FAIL p", "p.A", "tests: 0 passed, 1 failed, 0 skipped"},
		},
		{
			name: "build failure counts as a failure",
			in: `# p
p/x.go:1: syntax error
{"Action":"output","Package":"p","Output":"FAIL\tp [build failed]\n"}
{"Action":"fail","Package":"p"}`,
			failed:  1,
			wantOut: []string{"syntax error", "build failed", "tests: 0 passed, 1 failed"},
		},
		{
			name:    "no test ran is not ok",
			in:      `{"Action":"skip","Package":"p"}`,
			wantOut: []string{"tests: 0 passed, 0 failed, 0 skipped"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			s, err := Read(strings.NewReader(tt.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if s.Passed != tt.passed || s.Failed != tt.failed || s.Skipped != tt.skips {
				t.Errorf("counts = %d/%d/%d, want %d/%d/%d", s.Passed, s.Failed, s.Skipped, tt.passed, tt.failed, tt.skips)
			}
			if s.OK() != tt.ok {
				t.Errorf("OK() = %v, want %v", s.OK(), tt.ok)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
