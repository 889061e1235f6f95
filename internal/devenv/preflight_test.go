package devenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// answering is a port on 127.0.0.1 that accepts connections, like a local
// cluster's API server to the pre-flight (it only connects).
func answering(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return "https://" + l.Addr().String()
}

// dead is a port on 127.0.0.1 that nothing listens on any more.
func dead(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "https://" + addr
}

// config writes a kubeconfig with one context per server, named after it.
func config(current string, servers map[string]string, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Config\ncurrent-context: %q\ncontexts:\n", current)
	for name := range servers {
		fmt.Fprintf(&b, "- name: %s\n  context: {cluster: %s-cluster, user: u}\n", name, name)
	}
	b.WriteString("clusters:\n")
	for name, server := range servers {
		fmt.Fprintf(&b, "- name: %s-cluster\n  cluster: {server: %q%s}\n", name, server, extra)
	}
	b.WriteString("users:\n- name: u\n  user: {token: x}\n")
	return b.String()
}

func TestPreflight(t *testing.T) {
	up, down := answering(t), dead(t)
	tests := []struct {
		name        string
		content     *string // nil: no file
		kubeContext string
		env         string
		wantErr     []string
		wantContext string
		wantChecked bool
	}{
		{name: "no kubeconfig", wantErr: []string{"no Kubernetes cluster for dev", "does not exist: start docker-desktop/kind", "kind create cluster", "has a context"}},
		{name: "no kubeconfig, KUBECONFIG elsewhere", env: "/elsewhere/config", wantErr: []string{"KUBECONFIG=/elsewhere/config is set", "reads ~/.kube/config only", "kubectl config view --flatten"}},
		{name: "not YAML", content: ptr("{{{"), wantErr: []string{"no Kubernetes cluster for dev", "is not a kubeconfig"}},
		{name: "no context", content: ptr("apiVersion: v1\nkind: Config\n"), wantErr: []string{"has no context", "docker-desktop/kind"}},
		{name: "no current-context", content: ptr(config("", map[string]string{"kind-kind": up}, "")), wantErr: []string{"has no current-context", "kubectl config use-context <kind-kind>", "TF_VAR_kube_context"}},
		{name: "current-context not in the file", content: ptr(config("minikube", map[string]string{"kind-kind": up}, "")), wantErr: []string{`its current-context names context "minikube"`, "it has kind-kind"}},
		{name: "kube_context not in the file", content: ptr(config("kind-kind", map[string]string{"kind-kind": up}, "")), kubeContext: "docker-desktop", wantErr: []string{`kube_context names context "docker-desktop"`}},
		{name: "cluster stopped", content: ptr(config("docker-desktop", map[string]string{"docker-desktop": down}, "")), wantErr: []string{"no Kubernetes cluster for dev", `context "docker-desktop"`, "points at " + down, "does not answer", "start docker-desktop/kind"}},
		{name: "server not a URL", content: ptr(config("docker-desktop", map[string]string{"docker-desktop": "127.0.0.1"}, "")), wantErr: []string{`server "127.0.0.1"`, "not a URL"}},
		{name: "cluster answers", content: ptr(config("docker-desktop", map[string]string{"docker-desktop": up}, "")), wantContext: "docker-desktop", wantChecked: true},
		{name: "kube_context wins over current-context", content: ptr(config("stopped", map[string]string{"stopped": down, "running": up}, "")), kubeContext: "running", wantContext: "running", wantChecked: true},
		{name: "behind a proxy: not dialled", content: ptr(config("remote", map[string]string{"remote": down}, `, proxy-url: "http://127.0.0.1:3128"`)), wantContext: "remote", wantChecked: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".kube", "config")
			if tt.content != nil {
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(*tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cl, err := Preflight{Path: path, KubeContext: tt.kubeContext, KubeconfigEnv: tt.env, Timeout: 2 * time.Second}.Check(ctx)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("pre-flight passed (%+v), want an error", cl)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cl.Context != tt.wantContext || cl.Checked != tt.wantChecked {
				t.Errorf("got %+v, want context %q checked %v", cl, tt.wantContext, tt.wantChecked)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestHostPortDefaults(t *testing.T) {
	for in, want := range map[string]string{
		"https://127.0.0.1:6443":    "127.0.0.1:6443",
		"https://kubernetes.docker": "kubernetes.docker:443",
		"http://localhost":          "localhost:80",
		"https://[::1]:6443":        "[::1]:6443",
	} {
		got, err := hostPort(in)
		if err != nil || got != want {
			t.Errorf("hostPort(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
