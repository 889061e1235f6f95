package doctor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// The project has no client-go (it would add dozens of modules for a few GET
// requests): this file reads a kubeconfig (CA, client certificates, token,
// token file, exec plugin such as doctl's) and lists objects over REST.

// kubeconfig is the part of a kubeconfig file the doctor uses.
type kubeconfig struct {
	CurrentContext string `json:"current-context"`
	Clusters       []struct {
		Name    string      `json:"name"`
		Cluster kubeCluster `json:"cluster"`
	} `json:"clusters"`
	Users []struct {
		Name string   `json:"name"`
		User kubeUser `json:"user"`
	} `json:"users"`
	Contexts []struct {
		Name    string `json:"name"`
		Context struct {
			Cluster string `json:"cluster"`
			User    string `json:"user"`
		} `json:"context"`
	} `json:"contexts"`
}

type kubeCluster struct {
	Server                   string `json:"server"`
	CertificateAuthority     string `json:"certificate-authority"`
	CertificateAuthorityData []byte `json:"certificate-authority-data"`
	InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify"`
	TLSServerName            string `json:"tls-server-name"`
	ProxyURL                 string `json:"proxy-url"`
}

type kubeUser struct {
	Token                 string    `json:"token"`
	TokenFile             string    `json:"tokenFile"`
	ClientCertificate     string    `json:"client-certificate"`
	ClientCertificateData []byte    `json:"client-certificate-data"`
	ClientKey             string    `json:"client-key"`
	ClientKeyData         []byte    `json:"client-key-data"`
	Username              string    `json:"username"`
	Password              string    `json:"password"`
	Exec                  *kubeExec `json:"exec"`
	AuthProvider          *struct{} `json:"auth-provider"`
	dir                   string    // the kubeconfig's folder, for relative paths
}

type kubeExec struct {
	APIVersion string   `json:"apiVersion"`
	Command    string   `json:"command"`
	Args       []string `json:"args"`
	Env        []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"env"`
}

// kubeClient sends authenticated GET requests to one API server.
type kubeClient struct {
	server string
	token  string
	basic  [2]string
	http   *http.Client
}

// kubeconfigPaths are the files to read: the flag, else $KUBECONFIG (a
// list), else ~/.kube/config.
func kubeconfigPaths(flag string) ([]string, error) {
	if flag != "" {
		return []string{flag}, nil
	}
	if env := os.Getenv("KUBECONFIG"); env != "" {
		var paths []string
		for _, p := range filepath.SplitList(env) {
			if p != "" {
				paths = append(paths, p)
			}
		}
		return paths, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("find ~/.kube/config: %w (give --kubeconfig)", err)
	}
	return []string{filepath.Join(home, ".kube", "config")}, nil
}

// newKubeClient reads the kubeconfig files (the first file that names an
// entry wins, as with kubectl) and builds a client for one context.
func newKubeClient(ctx context.Context, a KubeAccess, timeout time.Duration) (*kubeClient, error) {
	paths, err := kubeconfigPaths(a.Kubeconfig)
	if err != nil {
		return nil, err
	}
	var merged kubeconfig
	users := map[string]kubeUser{}
	clusters := map[string]kubeCluster{}
	contexts := map[string][2]string{}
	read := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) && a.Kubeconfig == "" {
			continue // kubectl skips missing files of $KUBECONFIG too
		}
		if err != nil {
			return nil, fmt.Errorf("read kubeconfig: %w", err)
		}
		read++
		var kc kubeconfig
		if err := yaml.Unmarshal(data, &kc); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", p, err)
		}
		if merged.CurrentContext == "" {
			merged.CurrentContext = kc.CurrentContext
		}
		dir := filepath.Dir(p)
		for _, c := range kc.Clusters {
			if _, ok := clusters[c.Name]; !ok {
				c.Cluster.CertificateAuthority = relTo(dir, c.Cluster.CertificateAuthority)
				clusters[c.Name] = c.Cluster
			}
		}
		for _, u := range kc.Users {
			if _, ok := users[u.Name]; !ok {
				u.User.dir = dir
				users[u.Name] = u.User
			}
		}
		for _, c := range kc.Contexts {
			if _, ok := contexts[c.Name]; !ok {
				contexts[c.Name] = [2]string{c.Context.Cluster, c.Context.User}
			}
		}
	}
	if read == 0 {
		return nil, fmt.Errorf("no kubeconfig in %s: give --kubeconfig (prod: <repo>/.kube/config, written by doctl)", strings.Join(paths, ", "))
	}
	name := a.Context
	if name == "" {
		name = merged.CurrentContext
	}
	if name == "" {
		return nil, errors.New("the kubeconfig has no current-context: give --context")
	}
	cu, ok := contexts[name]
	if !ok {
		return nil, fmt.Errorf("context %q is not in the kubeconfig (kubectl config get-contexts lists them)", name)
	}
	cluster, ok := clusters[cu[0]]
	if !ok || cluster.Server == "" {
		return nil, fmt.Errorf("context %q names cluster %q, which the kubeconfig does not define", name, cu[0])
	}
	user := users[cu[1]]
	return buildKubeClient(ctx, cluster, user, timeout)
}

func buildKubeClient(ctx context.Context, cl kubeCluster, u kubeUser, timeout time.Duration) (*kubeClient, error) {
	if u.AuthProvider != nil {
		return nil, errors.New("the kubeconfig user uses an auth-provider plugin, which the doctor does not support: use an exec credential (doctl kubernetes cluster kubeconfig save)")
	}
	tcfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cl.TLSServerName}
	ca := cl.CertificateAuthorityData
	if len(ca) == 0 && cl.CertificateAuthority != "" {
		var err error
		if ca, err = os.ReadFile(cl.CertificateAuthority); err != nil {
			return nil, fmt.Errorf("read the cluster's CA: %w", err)
		}
	}
	if len(ca) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, errors.New("the kubeconfig's certificate-authority holds no PEM certificate")
		}
		tcfg.RootCAs = pool
	}
	// The user asked for it in the kubeconfig; kubectl would do the same.
	tcfg.InsecureSkipVerify = cl.InsecureSkipTLSVerify //nolint:gosec

	k := &kubeClient{server: strings.TrimSuffix(cl.Server, "/"), basic: [2]string{u.Username, u.Password}}
	certPEM, keyPEM := u.ClientCertificateData, u.ClientKeyData
	var err error
	if len(certPEM) == 0 && u.ClientCertificate != "" {
		if certPEM, err = os.ReadFile(relTo(u.dir, u.ClientCertificate)); err != nil {
			return nil, fmt.Errorf("read the client certificate: %w", err)
		}
	}
	if len(keyPEM) == 0 && u.ClientKey != "" {
		if keyPEM, err = os.ReadFile(relTo(u.dir, u.ClientKey)); err != nil {
			return nil, fmt.Errorf("read the client key: %w", err)
		}
	}
	k.token = u.Token
	if k.token == "" && u.TokenFile != "" {
		b, err := os.ReadFile(relTo(u.dir, u.TokenFile))
		if err != nil {
			return nil, fmt.Errorf("read the token file: %w", err)
		}
		k.token = strings.TrimSpace(string(b))
	}
	if u.Exec != nil {
		cred, err := runExec(ctx, u.Exec, u.dir)
		if err != nil {
			return nil, err
		}
		if cred.Token != "" {
			k.token = cred.Token
		}
		if cred.ClientCertificateData != "" {
			certPEM, keyPEM = []byte(cred.ClientCertificateData), []byte(cred.ClientKeyData)
		}
	}
	if len(certPEM) > 0 {
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("the kubeconfig's client certificate and key do not load: %w", err)
		}
		tcfg.Certificates = []tls.Certificate{pair}
	}
	proxy := http.ProxyFromEnvironment
	if cl.ProxyURL != "" {
		pu, err := url.Parse(cl.ProxyURL)
		if err != nil {
			return nil, fmt.Errorf("the kubeconfig's proxy-url: %w", err)
		}
		proxy = http.ProxyURL(pu)
	}
	k.http = &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: proxy, TLSClientConfig: tcfg, MaxIdleConnsPerHost: 4}}
	return k, nil
}

// execStatus is the status of the ExecCredential a credential plugin prints.
type execStatus struct {
	Token                 string `json:"token"`
	ClientCertificateData string `json:"clientCertificateData"`
	ClientKeyData         string `json:"clientKeyData"`
}

// runExec runs a client-go credential plugin (doctl kubernetes cluster
// kubeconfig exec-credential, for DOKS) and returns what it printed.
func runExec(ctx context.Context, e *kubeExec, dir string) (execStatus, error) {
	cmdPath := e.Command
	if strings.Contains(cmdPath, string(filepath.Separator)) {
		cmdPath = relTo(dir, cmdPath)
	}
	cmd := exec.CommandContext(ctx, cmdPath, e.Args...)
	cmd.Env = os.Environ()
	for _, v := range e.Env {
		cmd.Env = append(cmd.Env, v.Name+"="+v.Value)
	}
	apiVersion := e.APIVersion
	if apiVersion == "" {
		apiVersion = "client.authentication.k8s.io/v1"
	}
	info, _ := json.Marshal(map[string]any{"apiVersion": apiVersion, "kind": "ExecCredential", "spec": map[string]any{"interactive": false}})
	cmd.Env = append(cmd.Env, "KUBERNETES_EXEC_INFO="+string(info))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return execStatus{}, fmt.Errorf("the kubeconfig's credential plugin %s failed: %w: %s (is it installed and logged in? doctl auth init)", e.Command, err, strings.TrimSpace(stderr.String()))
	}
	var cred struct {
		Status execStatus `json:"status"`
	}
	if err := json.Unmarshal(out, &cred); err != nil {
		return execStatus{}, fmt.Errorf("the credential plugin %s printed no ExecCredential: %w", e.Command, err)
	}
	s := cred.Status
	if s.Token == "" && s.ClientCertificateData == "" {
		return execStatus{}, fmt.Errorf("the credential plugin %s gave neither a token nor a client certificate", e.Command)
	}
	return s, nil
}

func relTo(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// get fetches one API path into out.
func (k *kubeClient) get(ctx context.Context, path string, query url.Values, out any) error {
	u := k.server + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	if k.token != "" {
		req.Header.Set("Authorization", "Bearer "+k.token)
	} else if k.basic[0] != "" {
		req.SetBasicAuth(k.basic[0], k.basic[1])
	}
	resp, err := k.http.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("GET %s: read the answer: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{path: path, code: resp.StatusCode, message: statusMessage(body)}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("GET %s: decode: %w", path, err)
	}
	return nil
}

// apiError is a refusal of the API server.
type apiError struct {
	path    string
	code    int
	message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d: %s", e.path, e.code, e.message)
}

func isNotFound(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.code == http.StatusNotFound
}

func statusMessage(body []byte) string {
	var st struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &st) == nil && st.Message != "" {
		return st.Message
	}
	return clip(string(body))
}

// list fetches every item of a collection, page by page.
func list[T any](ctx context.Context, k *kubeClient, path string, query url.Values) ([]T, error) {
	q := url.Values{}
	for key, v := range query {
		q[key] = v
	}
	q.Set("limit", "500")
	var all []T
	for {
		var page struct {
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
			Items []T `json:"items"`
		}
		if err := k.get(ctx, path, q, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Metadata.Continue == "" {
			return all, nil
		}
		q.Set("continue", page.Metadata.Continue)
	}
}

// kubeClient returns the run's client, built once.
func (r *runner) kubeClient(ctx context.Context) (*kubeClient, error) {
	r.kubeOnce.Do(func() {
		r.kube, r.kubeErr = newKubeClient(ctx, r.o.Kube, r.o.Timeout)
	})
	return r.kube, r.kubeErr
}
