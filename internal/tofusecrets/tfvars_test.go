package tofusecrets

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func TestStringValues(t *testing.T) {
	tests := []struct {
		name    string
		tfvars  string
		want    map[string]string
		wantErr []string // substrings of the error
		notErr  string   // a secret that must not appear in the error
	}{
		{
			name:   "reads the named strings",
			tfvars: clearSecrets,
			want:   map[string]string{"spaces_access_key_id": "AKIA", "do_token": "tok'en\"$x"},
		},
		{
			name:   "heredoc",
			tfvars: "spaces_access_key_id = <<EOT\nAKIA\nEOT\n",
			want:   map[string]string{"spaces_access_key_id": "AKIA\n"},
		},
		{
			name:    "lists every missing name",
			tfvars:  "do_token = \"x\"\n",
			wantErr: []string{"do not set spaces_access_key_id, spaces_secret_access_key"},
		},
		{
			name:    "not a string",
			tfvars:  "spaces_access_key_id = [\"AKIA-LIST\"]\nspaces_secret_access_key = \"s\"\n",
			wantErr: []string{"spaces_access_key_id (line 1)", "literal string"},
			notErr:  "AKIA-LIST",
		},
		{
			name:    "a reference is not a value",
			tfvars:  "spaces_access_key_id = var.x\nspaces_secret_access_key = \"s\"\n",
			wantErr: []string{"spaces_access_key_id (line 1)"},
		},
		{
			name:    "invalid HCL never quotes the source",
			tfvars:  "spaces_access_key_id = \"AKIA-OOPS\nspaces_secret_access_key = \"s\"\n",
			wantErr: []string{"not valid tfvars"},
			notErr:  "AKIA-OOPS",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := []string{"spaces_access_key_id", "spaces_secret_access_key"}
			if tt.want != nil {
				names = names[:0]
				for n := range tt.want {
					names = append(names, n)
				}
			}
			got, err := StringValues([]byte(tt.tfvars), names...)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, got %v", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if tt.notErr != "" && strings.Contains(err.Error(), tt.notErr) {
					t.Errorf("error leaks the value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// The clear file OpenTofu reads holds literals only: a value with "${" or
// "%{" is the password the operator typed, and a value OpenTofu would have
// to evaluate is refused without being printed.
func TestSelectVariablesWritesLiterals(t *testing.T) {
	declared := map[string]bool{"a": true, "b": true, "c": true, "d": true, "m": true}
	tests := []struct {
		name, tfvars string
		want         map[string]string // name -> value as OpenTofu reads the written file
		wantErr      string
		secret       string // never in the error
	}{
		{name: "template sequences are the password's", tfvars: "a = \"pa${ss}\"\nb = \"x%{if y}z\"\nc = \"kept$${as-is}\"\n",
			want: map[string]string{"a": "pa${ss}", "b": "x%{if y}z", "c": "kept${as-is}"}},
		{name: "heredoc", tfvars: "d = <<EOT\nline ${one}\nEOT\n", want: map[string]string{"d": "line ${one}\n"}},
		{name: "undeclared names are left out", tfvars: "a = \"1\"\nz = \"2\"\n", want: map[string]string{"a": "1"}},
		{name: "map values", tfvars: "m = { k = \"v${1}\" }\n", want: map[string]string{"m": `{"k":"v${1}"}`}},
		{name: "an unquoted word", tfvars: "a = hunter2-Secret\n", wantErr: "secret a (line 1): not a literal value", secret: "hunter2-Secret"},
		{name: "a reference", tfvars: "b = var.x\n", wantErr: "secret b (line 1): not a literal value", secret: "var.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := selectVariables([]byte(tt.tfvars), declared)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), tt.secret) {
					t.Fatalf("error %v: want %q, without %q", err, tt.wantErr, tt.secret)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Read back as OpenTofu does: evaluated without any variable.
			file, diags := hclsyntax.ParseConfig(out, "x.tfvars", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("written file does not parse: %v\n%s", diags, out)
			}
			attrs := file.Body.(*hclsyntax.Body).Attributes
			if len(attrs) != len(tt.want) {
				t.Errorf("written %d values, want %d:\n%s", len(attrs), len(tt.want), out)
			}
			for name, want := range tt.want {
				attr, ok := attrs[name]
				if !ok {
					t.Errorf("%s not written:\n%s", name, out)
					continue
				}
				v, diags := attr.Expr.Value(nil)
				if diags.HasErrors() {
					t.Errorf("%s: not a literal once written: %v\n%s", name, diags, out)
					continue
				}
				got := ""
				if v.Type() == cty.String {
					got = v.AsString()
				} else {
					b, _ := ctyjson.Marshal(v, v.Type())
					got = string(b)
				}
				if got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}
