package davmigrate

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestJournal(t *testing.T) {
	src := Endpoint{URL: "https://box.example.be/cloud/remote.php/dav/", User: "alice@example.be"}
	tgt := Endpoint{URL: "https://cloud.example.be/remote.php/dav/", User: "alice"}
	line := func(r record) string {
		b, _ := json.Marshal(r)
		return string(b) + "\n"
	}
	a1 := record{Kind: Calendar, Coll: "work", Src: "a.ics", Tgt: "a.ics", SrcETag: `"1"`, SrcHash: "h1", TgtETag: `"t1"`}
	a2 := a1
	a2.SrcETag, a2.TgtETag = `"2"`, `"t2"`
	b1 := record{Kind: AddressBook, Coll: "contacts", Src: "b.vcf", Tgt: "b.vcf", SrcETag: `"x"`}
	for _, c := range []struct {
		name    string
		content string // journal file before opening
		want    map[string]record
		lines   int // lines after the compaction
		wantErr string
	}{
		{"new", "", map[string]record{}, 0, ""},
		{"last write wins, compacted", line(a1) + line(b1) + line(a2), map[string]record{a2.key(): a2, b1.key(): b1}, 2, ""},
		{"line cut by a crash", line(a1) + `{"k":"calendar","c":"wo`, map[string]record{a1.key(): a1}, 1, ""},
		{"damaged line inside", line(a1) + "garbage\n" + line(b1), nil, 0, "line 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			j0, err := openJournal(dir, src, tgt)
			if err != nil {
				t.Fatal(err)
			}
			path := j0.Path
			j0.Close()
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			j, err := openJournal(dir, src, tgt)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(j.Recs) != len(c.want) {
				t.Errorf("%d records, want %d", len(j.Recs), len(c.want))
			}
			for k, r := range c.want {
				if j.Recs[k] != r {
					t.Errorf("%s: %+v, want %+v", k, j.Recs[k], r)
				}
			}
			// Appends survive a reopen.
			if err := j.Put(b1); err != nil {
				t.Fatal(err)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			if n := strings.Count(string(data), "\n"); n != c.lines+1 {
				t.Errorf("%d lines after compaction and one append, want %d:\n%s", n, c.lines+1, data)
			}
		})
	}

	t.Run("one journal per pair of accounts", func(t *testing.T) {
		dir := t.TempDir()
		j1, err := openJournal(dir, src, tgt)
		if err != nil {
			t.Fatal(err)
		}
		defer j1.Close()
		other := tgt
		other.User = "alice2"
		j2, err := openJournal(dir, src, other)
		if err != nil {
			t.Fatal(err)
		}
		defer j2.Close()
		if j1.Path == j2.Path {
			t.Errorf("same journal %s for two target accounts", j1.Path)
		}
	})
	t.Run("state directory required", func(t *testing.T) {
		if _, err := openJournal("", src, tgt); err == nil {
			t.Error("no error without a state directory")
		}
	})
}
