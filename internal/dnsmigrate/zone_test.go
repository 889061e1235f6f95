package dnsmigrate

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseZone(t *testing.T) {
	long := strings.Repeat("a", 200) + strings.Repeat("b", 200)
	tests := []struct {
		name, zone string
		origin     string
		want       []string // "name TYPE value ttl", in file order
		defaultTTL uint32
		dups       int
	}{
		{
			name: "origin, $TTL, relative and absolute names, own TTL",
			zone: "$ORIGIN fullfrontend.be.\n$TTL 86400\n@ IN A 198.51.100.20\nwww IN CNAME fullfrontend.be.\nshop.fullfrontend.be. 300 IN CNAME shops.example.net.\n",
			want: []string{"fullfrontend.be A 198.51.100.20 86400", "www.fullfrontend.be CNAME fullfrontend.be 86400", "shop.fullfrontend.be CNAME shops.example.net 300"},
			// The $TTL line sets the records' default.
			defaultTTL: 86400,
		},
		{
			name:       "BIND units, a second $ORIGIN, upper case",
			zone:       "$TTL 1h\n$ORIGIN dev.fullfrontend.be.\nAPI IN A 203.0.113.5\n$ORIGIN fullfrontend.be.\n* 5m IN A 203.0.113.6\n",
			want:       []string{"api.dev.fullfrontend.be A 203.0.113.5 3600", "*.fullfrontend.be A 203.0.113.6 300"},
			defaultTTL: 3600,
		},
		{
			name: "multi-string TXT with quotes, backslash, decimal escape and more than 255 characters",
			zone: "$TTL 3600\n@ IN TXT \"say \\\"hi\\\"\" \" back\\\\slash \\065\"\nlong IN TXT \"" + long[:255] + "\" \"" + long[255:] + "\"\n",
			want: []string{`fullfrontend.be TXT say "hi" back\slash A 3600`, "long.fullfrontend.be TXT " + long + " 3600"},
		},
		{
			name: "MX, null MX, SRV, CAA, NS, AAAA in its short form, SSHFP with parentheses",
			zone: "$TTL 60\n@ IN MX 10 Box.FullFrontend.be.\nx IN MX 0 .\n_imaps._tcp IN SRV 0 1 993 mail.fullfrontend.be.\n@ IN CAA 0 issue \"letsencrypt.org\"\nsub IN NS ns1.example.net.\nbox IN AAAA 2001:DB8:0:0::7\nbox IN SSHFP 1 2 ( ABCDEF0123 )\n",
			want: []string{"fullfrontend.be MX 10 box.fullfrontend.be 60", "x.fullfrontend.be MX 0 . 60", "_imaps._tcp.fullfrontend.be SRV 0 1 993 mail.fullfrontend.be 60",
				`fullfrontend.be CAA 0 issue "letsencrypt.org" 60`, "sub.fullfrontend.be NS ns1.example.net 60", "box.fullfrontend.be AAAA 2001:db8::7 60", "box.fullfrontend.be SSHFP 1 2 ABCDEF0123 60"},
			defaultTTL: 60,
		},
		{
			name: "a record given twice is held once",
			zone: "$TTL 60\nwww IN A 198.51.100.7\nwww 60 IN A 198.51.100.7\n",
			want: []string{"www.fullfrontend.be A 198.51.100.7 60"}, defaultTTL: 60, dups: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, err := ParseZone(strings.NewReader(tt.zone), "fullfrontend.be", "zone.txt")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range z.Records {
				got = append(got, r.Name+" "+r.Type+" "+r.Value+" "+strconv.FormatUint(uint64(r.TTL), 10))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.defaultTTL != 0 && z.DefaultTTL != tt.defaultTTL {
				t.Errorf("DefaultTTL = %d, want %d", z.DefaultTTL, tt.defaultTTL)
			}
			if z.Duplicates != tt.dups {
				t.Errorf("Duplicates = %d, want %d", z.Duplicates, tt.dups)
			}
		})
	}
}

func TestParseZoneRefuses(t *testing.T) {
	tests := []struct{ name, zone, want string }{
		{"a name outside the zone", "$TTL 60\nwww.example.org. IN A 198.51.100.7\n", "outside the zone fullfrontend.be"},
		{"syntax", "$TTL 60\nwww IN A not-an-address\n", "is it Mail-in-a-Box's zone file export"},
		{"$INCLUDE", "$TTL 60\n$INCLUDE /etc/passwd\n", "parse the zone file"},
		{"empty", "; nothing\n", "holds no record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseZone(strings.NewReader(tt.zone), "fullfrontend.be", "zone.txt")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want an error with %q, got %v", tt.want, err)
			}
		})
	}
}

func TestParseTTL(t *testing.T) {
	for in, want := range map[string]uint32{"300": 300, "1h": 3600, "1h30m": 5400, "1d": 86400, "2W": 1209600} {
		if got, ok := parseTTL(in); !ok || got != want {
			t.Errorf("parseTTL(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "h", "1x", "-5"} {
		if _, ok := parseTTL(in); ok {
			t.Errorf("parseTTL(%q) accepted", in)
		}
	}
}
