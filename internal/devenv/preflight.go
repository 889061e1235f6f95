package devenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// kubeconfig is the part of a kubeconfig file the pre-flight reads.
type kubeconfig struct {
	CurrentContext string        `json:"current-context"`
	Contexts       []kubeContext `json:"contexts"`
	Clusters       []kubeCluster `json:"clusters"`
}

type kubeContext struct {
	Name    string `json:"name"`
	Context struct {
		Cluster string `json:"cluster"`
	} `json:"context"`
}

type kubeCluster struct {
	Name    string `json:"name"`
	Cluster struct {
		Server   string `json:"server"`
		ProxyURL string `json:"proxy-url"`
	} `json:"cluster"`
}

// Cluster is what the pre-flight found.
type Cluster struct {
	Context string
	Server  string
	Checked bool // false when a proxy stands between us and the server
}

// Preflight checks, before OpenTofu runs, that the dev stack's providers
// will find a cluster: path (the dev stack reads ~/.kube/config, nothing
// else) exists and parses, the context (kubeContext, else the file's
// current-context) exists and names a cluster, and that cluster's API server
// accepts a TCP connection. Every error starts with "no Kubernetes cluster
// for dev" and says what to do. kubeconfigEnv is $KUBECONFIG, only for a
// hint: the stack does not read it.
type Preflight struct {
	Path          string
	KubeContext   string
	KubeconfigEnv string
	Timeout       time.Duration // of the connection attempt; 0 means 3s
}

const noCluster = "no Kubernetes cluster for dev"

// Check runs the pre-flight.
func (p Preflight) Check(ctx context.Context) (Cluster, error) {
	raw, err := os.ReadFile(p.Path)
	if errors.Is(err, os.ErrNotExist) {
		msg := fmt.Sprintf("%s: %s does not exist: start docker-desktop/kind (docker-desktop: Settings > Kubernetes > Enable Kubernetes; kind: kind create cluster), which write it, and make sure ~/.kube/config has a context for that cluster (kubectl config get-contexts); then run APP_ENV=dev ./scripts/tofu-secrets.sh apply again", noCluster, p.Path)
		if p.KubeconfigEnv != "" {
			msg += fmt.Sprintf(". KUBECONFIG=%s is set, but the dev stack reads ~/.kube/config only: merge it there (KUBECONFIG=%s kubectl config view --flatten > %s)", p.KubeconfigEnv, p.KubeconfigEnv, p.Path)
		}
		return Cluster{}, errors.New(msg)
	}
	if err != nil {
		return Cluster{}, fmt.Errorf("%s: read %s: %w", noCluster, p.Path, err)
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(raw, &kc); err != nil {
		return Cluster{}, fmt.Errorf("%s: %s is not a kubeconfig (%v): let docker-desktop or kind write it again, or fix it with kubectl config", noCluster, p.Path, err)
	}
	var names []string
	for _, c := range kc.Contexts {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return Cluster{}, fmt.Errorf("%s: %s has no context: start docker-desktop/kind and make sure ~/.kube/config has a context for its cluster (kubectl config get-contexts)", noCluster, p.Path)
	}
	name := p.KubeContext
	if name == "" {
		name = kc.CurrentContext
		if name == "" {
			return Cluster{}, fmt.Errorf("%s: %s has no current-context: choose one with kubectl config use-context <%s>, or set TF_VAR_kube_context", noCluster, p.Path, strings.Join(names, "|"))
		}
	}
	i := slices.Index(names, name)
	if i < 0 {
		how := "its current-context"
		if p.KubeContext != "" {
			how = "kube_context"
		}
		return Cluster{}, fmt.Errorf("%s: %s names context %q, which %s does not have (it has %s): start the cluster of that context, or choose another with kubectl config use-context or TF_VAR_kube_context", noCluster, how, name, p.Path, strings.Join(names, ", "))
	}
	clusterName := kc.Contexts[i].Context.Cluster
	j := slices.IndexFunc(kc.Clusters, func(c kubeCluster) bool { return c.Name == clusterName })
	if j < 0 || kc.Clusters[j].Cluster.Server == "" {
		return Cluster{}, fmt.Errorf("%s: context %q of %s names cluster %q, which has no server there: let docker-desktop or kind write the kubeconfig again", noCluster, name, p.Path, clusterName)
	}
	cl := kc.Clusters[j].Cluster
	out := Cluster{Context: name, Server: cl.Server}
	if cl.ProxyURL != "" {
		// The proxy decides reachability; OpenTofu's providers will say.
		return out, nil
	}
	hostport, err := hostPort(cl.Server)
	if err != nil {
		return Cluster{}, fmt.Errorf("%s: context %q of %s: server %q: %w", noCluster, name, p.Path, cl.Server, err)
	}
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 3 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return Cluster{}, fmt.Errorf("%s: context %q of %s points at %s, which does not answer (%v): start docker-desktop/kind (or the cluster of that context), or choose another context with kubectl config use-context or TF_VAR_kube_context", noCluster, name, p.Path, cl.Server, err)
	}
	conn.Close()
	out.Checked = true
	return out, nil
}

func hostPort(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("not a URL such as https://127.0.0.1:6443")
	}
	if u.Port() != "" {
		return u.Host, nil
	}
	port := "443"
	if u.Scheme == "http" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}
