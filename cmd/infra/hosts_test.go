package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestHosts(t *testing.T) {
	tests := []struct {
		args    []string
		want    []string
		wantErr string
	}{
		{nil, []string{"127.0.0.1\tfullfrontend.kube\n", "127.0.0.1\twebhook.fullfrontend.kube\n", "127.0.0.1\tgrafana.fullfrontend.kube\n"}, ""},
		{[]string{"--ip", "192.168.49.2", "--root-domain", "agency.localhost"}, []string{"192.168.49.2\tcloud.agency.localhost\n"}, ""},
		{[]string{"--ip", "localhost"}, nil, `--ip "localhost" is not an IP address`},
	}
	for _, tt := range tests {
		cmd := hostsCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetArgs(tt.args)
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: want error %q, got %v", tt.args, tt.wantErr, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, w, out.String())
			}
		}
	}
}
