package devenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// LoadBalancerCheck makes sure the dev cluster gives Services of type
// LoadBalancer an address before OpenTofu installs Traefik: without one
// (kind, bare clusters) Helm waits for Traefik's address until its timeout
// and the apply fails after five minutes.
type LoadBalancerCheck struct {
	Path        string // kubeconfig
	KubeContext string // empty: the file's current context
	// Timeout bounds the wait for the probe Service's address; 0 means 60s
	// (cloud-provider-kind pulls its proxy image on the first one).
	Timeout time.Duration
}

const noLoadBalancer = "no Kubernetes LoadBalancer for dev"

// Check passes at once when some Service of type LoadBalancer already has
// an address (Traefik's, after a first apply); otherwise it creates a probe
// Service, waits for its address and deletes it, whatever happens.
func (l LoadBalancerCheck) Check(ctx context.Context) (string, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: l.Path}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: l.KubeContext}).ClientConfig()
	if err != nil {
		return "", fmt.Errorf("%s: read %s: %w", noCluster, l.Path, err)
	}
	cfg.Timeout = 15 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", fmt.Errorf("%s: %w", noCluster, err)
	}
	svcs, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("%s: the API server at %s refuses to list Services (%v): check the credentials of that context", noCluster, cfg.Host, err)
	}
	for _, s := range svcs.Items {
		if addr := lbAddress(&s); s.Spec.Type == corev1.ServiceTypeLoadBalancer && addr != "" {
			return fmt.Sprintf("Service %s/%s has the LoadBalancer address %s", s.Namespace, s.Name, addr), nil
		}
	}
	return l.probe(ctx, cs)
}

func (l LoadBalancerCheck) probe(ctx context.Context, cs kubernetes.Interface) (string, error) {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "infra-preflight-lb-" + hex.EncodeToString(suffix), Namespace: "default",
			Labels: map[string]string{"app.kubernetes.io/managed-by": "infra-preflight"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromInt32(80)},
		}},
	}
	created, err := cs.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("%s: cannot create the probe Service %s/%s (%v): the dev context needs the right to create Services", noLoadBalancer, svc.Namespace, svc.Name, err)
	}
	defer func() {
		// A fresh context: the probe goes even when ctx was cancelled.
		dctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = cs.CoreV1().Services(created.Namespace).Delete(dctx, created.Name, metav1.DeleteOptions{})
	}()
	timeout := l.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		cur, err := cs.CoreV1().Services(created.Namespace).Get(wctx, created.Name, metav1.GetOptions{})
		if err == nil && lbAddress(cur) != "" {
			return fmt.Sprintf("a probe Service got the LoadBalancer address %s", lbAddress(cur)), nil
		}
		select {
		case <-wctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("%s: a Service of type LoadBalancer got no address in %s, so Traefik's would stay <pending> and the apply would fail after 5 minutes. "+
				"kind: install cloud-provider-kind (github.com/kubernetes-sigs/cloud-provider-kind) and leave it running beside the cluster; "+
				"minikube: minikube tunnel; other clusters: MetalLB with an IPAddressPool; docker-desktop gives one itself (is port 80 of the host taken?). "+
				"Then run APP_ENV=dev ./scripts/tofu-secrets.sh apply again", noLoadBalancer, timeout)
		case <-time.After(time.Second):
		}
	}
}

// lbAddress is the first ingress address of a Service, IP or host name.
func lbAddress(s *corev1.Service) string {
	for _, in := range s.Status.LoadBalancer.Ingress {
		if a := strings.TrimSpace(in.IP + in.Hostname); a != "" {
			return a
		}
	}
	return ""
}
