package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestMisuseShowsUsage: a missing argument or an unknown flag names the
// command's usage and its help, whatever the command.
func TestMisuseShowsUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"restore", "db"}, []string{"accepts 1 arg(s), received 0", "usage: infra restore db <app> [flags]", "(infra restore db --help"}},
		{[]string{"db", "ensure"}, []string{"accepts 1 arg(s), received 0", "usage: infra db ensure <app> [flags]"}},
		{[]string{"restore", "volumes", "n8n", "--bakup", "x"}, []string{"unknown flag: --bakup", "usage: infra restore volumes <app> [flags]"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			root := newRoot()
			root.SetArgs(tt.args)
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			err := root.Execute()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
