package wpmigrate

import (
	"strconv"
	"testing"
)

func ser(s string) string { return "s:" + strconv.Itoa(len(s)) + ":\"" + s + "\";" }

func TestReplace(t *testing.T) {
	r := NewReplacer("http://old.example.com", "https://fullfrontend.be/")
	inner := "a:1:{s:3:\"url\";" + ser("http://old.example.com/x") + "}"
	tests := []struct{ name, in, want string }{
		{"plain text", `<a href="http://old.example.com/contact">`, `<a href="https://fullfrontend.be/contact">`},
		{"no URL", `a:1:{i:0;s:3:"abc";}`, `a:1:{i:0;s:3:"abc";}`},
		{"serialized string", ser("http://old.example.com/wp-content/logo.png"), ser("https://fullfrontend.be/wp-content/logo.png")},
		{"array with nested array", "a:2:{s:4:\"home\";" + ser("http://old.example.com") + "s:4:\"list\";a:1:{i:0;" + ser("see http://old.example.com/a and http://old.example.com/b") + "}}",
			"a:2:{s:4:\"home\";" + ser("https://fullfrontend.be") + "s:4:\"list\";a:1:{i:0;" + ser("see https://fullfrontend.be/a and https://fullfrontend.be/b") + "}}"},
		{"object", "O:8:\"stdClass\":1:{s:3:\"url\";" + ser("http://old.example.com/") + "}", "O:8:\"stdClass\":1:{s:3:\"url\";" + ser("https://fullfrontend.be/") + "}"},
		{"double serialized", ser(inner), ser("a:1:{s:3:\"url\";" + ser("https://fullfrontend.be/x") + "}")},
		{"multibyte content", ser("café http://old.example.com/é"), ser("café https://fullfrontend.be/é")},
		{"quote and semicolon inside", ser(`say "hi"; http://old.example.com`), ser(`say "hi"; https://fullfrontend.be`)},
		{"JSON-escaped", `{"url":"http:\/\/old.example.com\/a"}`, `{"url":"https:\/\/fullfrontend.be\/a"}`},
		{"scalars kept", "a:3:{i:0;b:1;i:1;d:0.5;i:2;" + ser("http://old.example.com") + "}", "a:3:{i:0;b:1;i:1;d:0.5;i:2;" + ser("https://fullfrontend.be") + "}"},
		// Broken length: not valid serialized data, so a plain replace.
		{"broken serialized", `s:99:"http://old.example.com";`, `s:99:"https://fullfrontend.be";`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Replace(tt.in); got != tt.want {
				t.Errorf("Replace(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// A plain replace (what sed does) breaks the lengths: the check the
// parser is there for.
func TestPlainReplaceWouldBreakSerializedData(t *testing.T) {
	r := NewReplacer("http://old.example.com", "https://fullfrontend.be")
	in := ser("http://old.example.com/logo.png")
	p := parser{s: r.plain(in), r: r}
	if _, ok := p.value(); ok {
		t.Fatalf("a plain replace of %q still parses: the test data does not change the length", in)
	}
	p = parser{s: r.Replace(in), r: r}
	if _, ok := p.value(); !ok || p.pos != len(p.s) {
		t.Fatalf("Replace(%q) = %q does not parse", in, r.Replace(in))
	}
}

// Every form a real site holds its address in, from one --old-url (and
// --also), each rewritten once and counted.
func TestReplaceEveryForm(t *testing.T) {
	r := NewReplacer("http://www.old.example", "https://fullfrontend.be", "shop.old.example")
	in := `<a href="http://www.old.example/a">` + // the form given
		`<a href="https://www.old.example/b">` + // https
		`<a href="http://old.example/c">` + // without www
		`<img src="//www.old.example/d.png">` + // protocol-relative
		`{"u":"https:\/\/old.example\/e"}` + // JSON-escaped
		`?redirect_to=http%3A%2F%2Fwww.old.example%2Ff` + // URL-encoded
		`&r=https%3a%2f%2fold.example%2fg` + // URL-encoded, lower case
		`<a href="https://shop.old.example/h">` + // --also
		`<a href="https://fullfrontend.be/already">` // the new address: untouched
	want := `<a href="https://fullfrontend.be/a">` +
		`<a href="https://fullfrontend.be/b">` +
		`<a href="https://fullfrontend.be/c">` +
		`<img src="//fullfrontend.be/d.png">` +
		`{"u":"https:\/\/fullfrontend.be\/e"}` +
		`?redirect_to=https%3A%2F%2Ffullfrontend.be%2Ff` +
		`&r=https%3a%2f%2ffullfrontend.be%2fg` +
		`<a href="https://fullfrontend.be/h">` +
		`<a href="https://fullfrontend.be/already">`
	if got := r.Replace(in); got != want {
		t.Fatalf("Replace\n got %s\nwant %s", got, want)
	}
	if again := r.Replace(want); again != want {
		t.Errorf("a second pass changes the result: %s", again)
	}
	counts := map[string]int64{}
	var total int64
	for _, f := range r.Forms() {
		counts[f.Form] = f.Count
		total += f.Count
	}
	for form, n := range map[string]int64{
		"http://www.old.example": 1, "https://www.old.example": 1, "http://old.example": 1, "//www.old.example": 1,
		`https:\/\/old.example`: 1, "http%3A%2F%2Fwww.old.example": 1, "https%3a%2f%2fold.example": 1, "https://shop.old.example": 1,
	} {
		if counts[form] != n {
			t.Errorf("form %s counted %d times, want %d", form, counts[form], n)
		}
	}
	if total != 8 {
		t.Errorf("%d rewrites counted, want 8 (each occurrence once)", total)
	}
}

// Inside a serialized value, each occurrence is counted once, though the
// structure is checked before it is rewritten.
func TestReplaceCountsSerializedOnce(t *testing.T) {
	r := NewReplacer("http://old.example", "https://fullfrontend.be")
	r.Replace("a:1:{i:0;" + ser("http://old.example/x") + "}")
	var total int64
	for _, f := range r.Forms() {
		total += f.Count
	}
	if total != 1 {
		t.Errorf("%d rewrites counted, want 1", total)
	}
}
