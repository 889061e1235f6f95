package tofusecrets

import (
	"strings"
	"testing"
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
