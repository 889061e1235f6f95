package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func secretJSON(db, user, pw string) []byte {
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return []byte(fmt.Sprintf(`{"data":{"database":%q,"username":%q,"password":%q,"host":%q}}`, b(db), b(user), b(pw), b("postgres.data.svc.cluster.local")))
}

func TestDBEnsure(t *testing.T) {
	const pw = `it's "hostile" $HOME \ ü`
	tests := []struct {
		name     string
		opts     dbEnsureOptions
		app      string
		secret   []byte
		execErr  error
		wantErr  string
		wantGet  string
		wantExec string
	}{
		{
			name: "postgres", app: "n8n", opts: dbEnsureOptions{engine: "postgres", dataNS: "data"},
			secret:   secretJSON("n8n", "n8n", pw),
			wantGet:  "get secret n8n-postgres --namespace n8n --output json",
			wantExec: "exec --stdin --namespace data postgres-0 --container postgres -- sh -c",
		},
		{
			name: "mariadb, other namespace and kubeconfig", app: "wordpress",
			opts:     dbEnsureOptions{engine: "mariadb", dataNS: "data", appNamespace: "wp", kubeconfig: "/k/config", context: "prod"},
			secret:   secretJSON("wordpress", "wordpress", pw),
			wantGet:  "--kubeconfig /k/config --context prod get secret wordpress-mariadb --namespace wp --output json",
			wantExec: "--kubeconfig /k/config --context prod exec --stdin --namespace data mariadb-0 --container mariadb -- sh -c",
		},
		{name: "unknown engine", app: "n8n", opts: dbEnsureOptions{engine: "mysql"}, wantErr: "--engine must be postgres or mariadb"},
		{name: "hostile app name", app: "n8n; rm -rf /", opts: dbEnsureOptions{engine: "postgres"}, wantErr: "want an app name of"},
		{name: "hostile database in the Secret", app: "n8n", opts: dbEnsureOptions{engine: "postgres", dataNS: "data"},
			secret: secretJSON(`x"; DROP DATABASE y; --`, "n8n", pw), wantErr: "database"},
		{name: "empty password", app: "n8n", opts: dbEnsureOptions{engine: "postgres", dataNS: "data"},
			secret: secretJSON("n8n", "n8n", ""), wantErr: "password"},
		{name: "init fails", app: "n8n", opts: dbEnsureOptions{engine: "postgres", dataNS: "data"},
			secret: secretJSON("n8n", "n8n", pw), execErr: errors.New("exit status 1"), wantErr: "init.sh in data/postgres-0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			var stdin string
			run := func(_ context.Context, args []string, in io.Reader, _ io.Writer) ([]byte, error) {
				calls = append(calls, strings.Join(args, " "))
				if kubectlVerb(args) == "get" {
					return tt.secret, nil
				}
				b, _ := io.ReadAll(in)
				stdin = string(b)
				return []byte("init: ok\n"), tt.execErr
			}
			var out bytes.Buffer
			err := dbEnsure(context.Background(), tt.opts, tt.app, run, &out, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != 2 || calls[0] != tt.wantGet || !strings.HasPrefix(calls[1], tt.wantExec) {
				t.Fatalf("kubectl calls:\n%s", strings.Join(calls, "\n"))
			}
			for _, c := range calls {
				if strings.Contains(c, pw) {
					t.Errorf("password on a command line: %s", c)
				}
			}
			if !strings.HasSuffix(stdin, "\n"+pw+"\n") || strings.Count(stdin, "\n") != 3 {
				t.Errorf("stdin = %q", stdin)
			}
		})
	}
}
