package journal

import (
	"os"
	"strings"
	"testing"
)

type rec struct {
	K string `json:"k"`
	V int    `json:"v"`
}

func key(r rec) string { return r.K }

func TestJournal(t *testing.T) {
	ids := []string{"src", "alice", "dst", "alice"}
	tests := []struct {
		name    string
		content string // the file before Open
		want    map[string]rec
		wantErr string
	}{
		{"new", "", map[string]rec{}, ""},
		{"newest per key, compacted", `{"k":"a","v":1}` + "\n" + `{"k":"a","v":2}` + "\n" + `{"k":"b","v":1}` + "\n", map[string]rec{"a": {"a", 2}, "b": {"b", 1}}, ""},
		{"last line cut by a crash", `{"k":"a","v":1}` + "\n" + `{"k":"b","v`, map[string]rec{"a": {"a", 1}}, ""},
		{"damaged line before the last", `{"k":"a","v":1}` + "\n" + `garbage` + "\n" + `{"k":"b","v":1}` + "\n", nil, "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.content != "" {
				j0, err := Open(dir, "alice", ids, key)
				if err != nil {
					t.Fatal(err)
				}
				path := j0.Path
				j0.Close()
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			j, err := Open(dir, "alice", ids, key)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(j.Recs) != len(tt.want) {
				t.Errorf("records %v, want %v", j.Recs, tt.want)
			}
			for k, r := range tt.want {
				if got, ok := j.Get(k); !ok || got != r {
					t.Errorf("%s: %v, want %v", k, got, r)
				}
			}
			// Compacted on open: one line per key.
			data, _ := os.ReadFile(j.Path)
			if n := strings.Count(string(data), "\n"); n != len(tt.want) {
				t.Errorf("%d lines after open, want %d", n, len(tt.want))
			}
			// What is put survives a reopen.
			if err := j.Put(rec{"c", 7}); err != nil {
				t.Fatal(err)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			j2, err := Open(dir, "alice", ids, key)
			if err != nil {
				t.Fatal(err)
			}
			defer j2.Close()
			if r, ok := j2.Get("c"); !ok || r.V != 7 {
				t.Errorf("after reopen: %v %v", r, ok)
			}
		})
	}
}

func TestOneJournalPerPair(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, "alice", []string{"src", "alice", "dst", "alice"}, key)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir, "alice", []string{"src", "alice", "other", "alice"}, key)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Path == b.Path {
		t.Errorf("same journal %s for two targets", a.Path)
	}
	if c, err := Open(t.TempDir()+"/x", "../a/b", nil, key); err != nil {
		t.Errorf("a user name with slashes must still give a file: %v", err)
	} else {
		c.Close()
	}
	if _, err := Open("", "alice", nil, key); err == nil || !strings.Contains(err.Error(), "state directory not set") {
		t.Errorf("no state directory: err = %v", err)
	}
}
