package doapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

// Doctl stands in for the two doctl commands the platform's kubeconfig goes
// through (doctl is not on the Go module proxy, so it cannot be built
// here):
//
//	doctl kubernetes cluster kubeconfig save <id>
//	doctl kubernetes cluster kubeconfig exec-credential --version=v1beta1 <id>
//
// As doctl does, save merges the cluster's kubeconfig into $KUBECONFIG
// (else ~/.kube/config) with an exec credential that calls doctl again for
// a short-lived token, and exec-credential prints that token. The API token
// comes from DIGITALOCEAN_ACCESS_TOKEN or doctl's config file
// (access-token, written by doctl auth init), the API URL from its api-url
// key. It returns the exit code.
func Doctl(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if err := doctl(args, getenv, stdout); err != nil {
		fmt.Fprintln(stderr, "Error:", err)
		return 1
	}
	return 0
}

func doctl(args []string, getenv func(string) string, stdout io.Writer) error {
	var id string
	var rest []string
	for _, a := range args {
		if strings.HasPrefix(a, "--") {
			continue // --version=v1beta1, --context=default
		}
		rest = append(rest, a)
	}
	if len(rest) != 5 || strings.Join(rest[:3], " ") != "kubernetes cluster kubeconfig" {
		return fmt.Errorf("the doctl stand-in serves only 'kubernetes cluster kubeconfig save|exec-credential <id>', not %q", strings.Join(args, " "))
	}
	id = rest[4]
	home := getenv("HOME")
	cfg := map[string]string{}
	if b, err := os.ReadFile(filepath.Join(home, ".config", "doctl", "config.yaml")); err == nil {
		if err := yaml.Unmarshal(b, &cfg); err != nil {
			return fmt.Errorf("doctl config: %w", err)
		}
	}
	token := getenv("DIGITALOCEAN_ACCESS_TOKEN")
	if token == "" {
		token = cfg["access-token"]
	}
	if token == "" {
		return errors.New("unable to initialize DigitalOcean API client: access token is required. (hint: run 'doctl auth init')")
	}
	base := cfg["api-url"]
	if u, err := url.Parse(base); base == "" || err != nil || u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("the doctl stand-in talks to a loopback API only; api-url is %q", base)
	}
	client := godo.NewFromToken(token)
	var err error
	if client.BaseURL, err = url.Parse(base + "/"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	switch rest[3] {
	case "exec-credential":
		creds, _, err := client.Kubernetes.GetCredentials(ctx, id, &godo.KubernetesClusterCredentialsGetRequest{})
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(map[string]any{
			"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1",
			"status": map[string]any{"token": creds.Token, "expirationTimestamp": creds.ExpiresAt.Format(time.RFC3339)},
		})
	case "save":
		cluster, _, err := client.Kubernetes.Get(ctx, id)
		if err != nil {
			return err
		}
		kc, _, err := client.Kubernetes.GetKubeConfig(ctx, cluster.ID, nil)
		if err != nil {
			return err
		}
		got, err := clientcmd.Load(kc.KubeconfigYAML)
		if err != nil {
			return fmt.Errorf("the API's kubeconfig: %w", err)
		}
		path := getenv("KUBECONFIG")
		if path == "" {
			path = filepath.Join(home, ".kube", "config")
		}
		merged, err := clientcmd.LoadFromFile(path)
		if errors.Is(err, os.ErrNotExist) {
			merged, err = clientcmdapi.NewConfig(), nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		for name, c := range got.Clusters {
			merged.Clusters[name] = c
		}
		for name, c := range got.Contexts {
			merged.Contexts[name] = c
			merged.AuthInfos[c.AuthInfo] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
				APIVersion: "client.authentication.k8s.io/v1beta1", Command: "doctl",
				Args:            []string{"kubernetes", "cluster", "kubeconfig", "exec-credential", "--version=v1beta1", "--context=default", cluster.ID},
				InteractiveMode: clientcmdapi.IfAvailableExecInteractiveMode,
			}}
		}
		merged.CurrentContext = got.CurrentContext
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := clientcmd.WriteToFile(*merged, path); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Notice: Adding cluster credentials to kubeconfig file found in %q\nNotice: Setting current-context to %s\n", path, got.CurrentContext)
		return nil
	}
	return fmt.Errorf("unknown command %q", rest[3])
}
