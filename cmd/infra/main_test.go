package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
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

// Every command shows how it is run, and the examples stay true: each
// `infra ...` line names this command and only flags it has.
func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			walk(s)
		}
		if !c.Runnable() || c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no Example", c.CommandPath())
			return
		}
		for _, line := range strings.Split(c.Example, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "infra ") {
				continue // bin/ and scripts/ wrappers, make, pipes into the command
			}
			line, _, _ = strings.Cut(line, "#")
			line, _, _ = strings.Cut(line, "|")
			line, _, _ = strings.Cut(line, ">")
			fields := strings.Fields(line)
			path := strings.Fields(c.CommandPath())
			if len(fields) < len(path) || strings.Join(fields[:len(path)], " ") != c.CommandPath() {
				t.Errorf("%s: example %q runs another command", c.CommandPath(), line)
				continue
			}
			if err := c.ParseFlags(fields[len(path):]); err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
			}
		}
	}
	walk(newRoot())
}
