package planscan

// Rule: nothing sends mail through Mailu as someone it is not. Mailu 2024.06
// trusts what a peer says about itself on three kinds of port, and pod
// addresses change, so only the NetworkPolicies can say who that peer is:
//   - front's ports with the PROXY protocol (PROXY_PROTOCOL in the envvars
//     ConfigMap; realIpFrom is the pod network): the header names the
//     client's address. Traefik's pods alone may connect.
//   - Postfix's ports 25 and 10025: Mailu's main.cf sets
//     smtpd_authorized_xclient_hosts to SUBNET, so a peer may claim any
//     address or login with XCLIENT. Front alone may connect.
//   - a Postfix port of the override master.cf with relay networks of its
//     own (-o mynetworks=...): it relays for any address there. Dovecot alone
//     may connect (its forwards and vacation replies).
// And Postfix's own relay networks (mynetworks) must be empty: a client can
// claim 127.0.0.1 through a PROXY header that Traefik passes on.
// Reachability is computed from the plan's NetworkPolicies with cyclonus's
// policy engine, for every pod template of the plan and for an address
// outside the cluster.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	v1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// mailuXclientPorts are the Postfix ports where Mailu's master.cf runs
// smtpd with main.cf's smtpd_authorized_xclient_hosts (the pod network).
var mailuXclientPorts = []int{25, 10025}

// Pod is a pod template of a plan: what a NetworkPolicy selects.
type Pod struct {
	Ref       string // the workload, "Kind namespace/name"
	Release   string // helm_release address; empty for a kubectl_manifest
	Namespace string
	Labels    map[string]string
}

// Network is the pods, namespaces and NetworkPolicies of a plan.
type Network struct {
	Pods       []Pod
	namespaces map[string]map[string]string
	policy     *matcher.Policy
}

// NewNetwork reads the pod templates, Namespaces and NetworkPolicies of ms;
// releaseNS gives the namespace of objects rendered without one.
func NewNetwork(ms []Manifest, releaseNS map[string]string) (*Network, error) {
	n := &Network{namespaces: map[string]map[string]string{}}
	var pols []*networkingv1.NetworkPolicy
	for _, m := range ms {
		if m.Unknown {
			continue
		}
		ns := m.Namespace()
		if ns == "" {
			ns = releaseNS[m.Release]
		}
		switch m.Kind() {
		case "Namespace":
			n.namespaces[m.Name()] = stringMap(lookupOr(lookupOr(m.Object, "metadata"), "labels"))
		case "NetworkPolicy":
			var np networkingv1.NetworkPolicy
			b, _ := json.Marshal(m.Object)
			if err := json.Unmarshal(b, &np); err != nil {
				return nil, fmt.Errorf("%s: %w", m.Ref(), err)
			}
			np.Namespace = ns
			pols = append(pols, &np)
		default:
			if tmpl := podTemplate(m.Object); tmpl != nil {
				n.Pods = append(n.Pods, Pod{Ref: m.Kind() + " " + ns + "/" + m.Name(), Release: m.Release, Namespace: ns,
					Labels: stringMap(lookupOr(lookupOr(tmpl, "metadata"), "labels"))})
			}
		}
	}
	n.policy = matcher.BuildNetworkPolicies(false, pols)
	return n, nil
}

// podTemplate returns the object's pod template (metadata and spec).
func podTemplate(obj map[string]any) map[string]any {
	kind, _ := obj["kind"].(string)
	keys, ok := podSpecPaths[kind]
	if !ok || kind == "Pod" {
		return nil
	}
	cur := obj
	for _, k := range keys[:len(keys)-1] {
		if cur = lookupOr(cur, k); cur == nil {
			return nil
		}
	}
	return cur
}

func stringMap(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func (n *Network) peer(p Pod) *matcher.TrafficPeer {
	labels := map[string]string{}
	for k, v := range n.namespaces[p.Namespace] {
		labels[k] = v
	}
	labels["kubernetes.io/metadata.name"] = p.Namespace // set by the API server
	return &matcher.TrafficPeer{IP: "10.244.0.1", Internal: &matcher.InternalPeer{
		Namespace: p.Namespace, NamespaceLabels: labels, PodLabels: p.Labels}}
}

// Outside is a source outside the cluster's pods: a host of the VPC.
var Outside = Pod{Ref: "a host outside the cluster's pods (10.10.0.5)"}

// Allowed says whether src may open a TCP connection to dst's port.
func (n *Network) Allowed(src, dst Pod, port int) bool {
	s := n.peer(src)
	if src.Ref == Outside.Ref {
		s = &matcher.TrafficPeer{IP: "10.10.0.5"}
	}
	return n.policy.IsTrafficAllowed(&matcher.Traffic{Source: s, Destination: n.peer(dst),
		ResolvedPort: port, Protocol: v1.ProtocolTCP}).IsAllowed()
}

// Reachers lists the sources among the plan's pods and Outside that reach
// dst's port.
func (n *Network) Reachers(dst Pod, port int) []Pod {
	var out []Pod
	for _, src := range append(slices.Clone(n.Pods), Outside) {
		if n.Allowed(src, dst, port) {
			out = append(out, src)
		}
	}
	return out
}

// MailTrust checks every Mailu release of p against the rule above, over
// its rendered objects and the plan's NetworkPolicies.
func MailTrust(p *Plan, ms []Manifest) []Problem {
	releaseNS := map[string]string{}
	var mailu, traefik []string
	for _, r := range p.Releases {
		releaseNS[r.Address] = r.Namespace
		switch r.Chart {
		case "mailu":
			mailu = append(mailu, r.Address)
		case "traefik":
			traefik = append(traefik, r.Address)
		}
	}
	if len(mailu) == 0 {
		return nil
	}
	net, err := NewNetwork(ms, releaseNS)
	if err != nil {
		return []Problem{{Address: mailu[0], Message: "NetworkPolicies cannot be read: " + err.Error()}}
	}
	rendered := map[string]bool{}
	for _, m := range ms {
		rendered[m.Release] = true
	}
	var out []Problem
	for _, rel := range mailu {
		// A release whose inputs are unknown at plan is not rendered; the
		// plan with every secret given renders it (stacks/platform_test.go).
		if !rendered[rel] {
			continue
		}
		out = append(out, mailTrust(rel, net, ms, func(p Pod) bool { return slices.Contains(traefik, p.Release) })...)
	}
	return out
}

func mailTrust(rel string, net *Network, ms []Manifest, isTraefik func(Pod) bool) []Problem {
	component := func(c string) (Pod, bool) {
		for _, p := range net.Pods {
			if p.Release == rel && p.Labels["app.kubernetes.io/component"] == c && strings.HasPrefix(p.Ref, "Deployment ") {
				return p, true
			}
		}
		return Pod{}, false
	}
	configMap := func(suffix string) map[string]string {
		for _, m := range ms {
			if m.Release == rel && m.Kind() == "ConfigMap" && strings.HasSuffix(m.Name(), suffix) {
				return stringMap(lookupOr(m.Object, "data"))
			}
		}
		return nil
	}
	front, okF := component("front")
	postfix, okP := component("postfix")
	dovecot, okD := component("dovecot")
	if !okF || !okP || !okD {
		return []Problem{{Address: rel, Message: "Mailu's front, postfix or dovecot Deployment is not among the rendered objects: the trust rule cannot run"}}
	}
	env := configMap("-envvars")
	postfixOver := configMap("-postfix-override")
	dovecotOver := configMap("-dovecot-override")

	var out []Problem
	only := func(dst Pod, port int, why string, who string, ok func(Pod) bool) {
		for _, src := range net.Reachers(dst, port) {
			if !ok(src) {
				out = append(out, Problem{Address: rel, Path: fmt.Sprintf("%s:%d", dst.Ref, port),
					Message: fmt.Sprintf("%s reaches %s port %d, where %s; only %s may connect (NetworkPolicy)", src.Ref, dst.Ref, port, why, who)})
			}
		}
	}
	is := func(want Pod) func(Pod) bool { return func(p Pod) bool { return p.Ref == want.Ref } }

	for _, s := range strings.Split(env["PROXY_PROTOCOL"], ",") {
		if port, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			only(front, port, "front believes the PROXY header's client address", "Traefik's pods", isTraefik)
		}
	}
	for _, port := range mailuXclientPorts {
		only(postfix, port, "Postfix takes XCLIENT from the pod network (any address or login)", "front", is(front))
	}
	if v, ok := postconfValue(postfixOver["postfix.cf"], "mynetworks"); !ok || v != "" {
		if !ok {
			v = "127.0.0.1/32 and the pod network (Mailu's default)"
		}
		out = append(out, Problem{Address: rel, Path: "postfix.overrides.postfix.cf",
			Message: fmt.Sprintf("Postfix relays without login for mynetworks = %s: a client claims 127.0.0.1 through a PROXY header that Traefik passes on, or any pod address through XCLIENT; set mynetworks to nothing", v)})
	}
	forwardPorts := masterTrustedPorts(postfixOver["postfix.master"])
	for _, port := range forwardPorts {
		only(postfix, port, "Postfix relays for the pod network (-o mynetworks)", "Dovecot", is(dovecot))
	}

	// Dovecot's forwards and vacation replies: with PROXY protocol on port
	// 25, Mailu's dovecot.conf sets submission_host to the public name.
	host, _ := postconfValue(dovecotOver["dovecot.conf"], "submission_host")
	if slices.Contains(strings.Split(env["PROXY_PROTOCOL"], ","), "25") || host != "" {
		out = append(out, submissionHost(rel, host, forwardPorts, net, ms, postfix, dovecot)...)
	}
	return out
}

func submissionHost(rel, host string, forwardPorts []int, net *Network, ms []Manifest, postfix, dovecot Pod) []Problem {
	bad := func(why string) []Problem {
		return []Problem{{Address: rel, Path: "dovecot.overrides.dovecot.conf", Message: "Dovecot's forwards and vacation replies would be refused: " + why +
			"; set submission_host to a Service of Postfix's port whose -o mynetworks holds the pod network (Dovecot reaches it alone)"}}
	}
	if host == "" {
		return bad("Mailu sends them to the public host name when port 25 takes the PROXY protocol, where they arrive unauthenticated")
	}
	m := regexp.MustCompile(`^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:([0-9]+)$`).FindStringSubmatch(host)
	if m == nil {
		return bad(fmt.Sprintf("submission_host %q is not <service>.<namespace>.svc.cluster.local:<port>", host))
	}
	port, _ := strconv.Atoi(m[3])
	for _, svc := range ms {
		if svc.Kind() != "Service" || svc.Name() != m[1] || (svc.Namespace() != "" && svc.Namespace() != m[2]) {
			continue
		}
		spec := lookupOr(svc.Object, "spec")
		sel := stringMap(lookupOr(spec, "selector"))
		for k, v := range sel {
			if postfix.Labels[k] != v {
				return bad(fmt.Sprintf("Service %s does not select Postfix's pods", m[1]))
			}
		}
		ports, _ := spec["ports"].([]any)
		for _, pm := range ports {
			pp, _ := pm.(map[string]any)
			if fmt.Sprint(pp["port"]) != m[3] {
				continue
			}
			target, err := strconv.Atoi(fmt.Sprint(pp["targetPort"]))
			if err != nil {
				target = port
			}
			switch {
			case !slices.Contains(forwardPorts, target):
				return bad(fmt.Sprintf("Postfix port %d has no -o mynetworks of its own in postfix.master", target))
			case !net.Allowed(dovecot, postfix, target):
				return bad(fmt.Sprintf("the NetworkPolicies keep Dovecot from Postfix port %d", target))
			}
			return nil
		}
		return bad(fmt.Sprintf("Service %s has no port %d", m[1], port))
	}
	return bad(fmt.Sprintf("no Service %s in the plan", m[1]))
}

// postconfValue is the last value of key in lines of "key = value" (the
// form of Postfix's main.cf and Dovecot's global settings).
func postconfValue(conf, key string) (string, bool) {
	v, found := "", false
	for _, line := range strings.Split(conf, "\n") {
		k, val, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			v, found = strings.TrimSpace(val), true
		}
	}
	return v, found
}

// masterTrustedPorts lists the inet ports of postconf -M lines
// ("<port>/inet=<port> inet ... smtpd -o mynetworks=X ...") that give
// themselves relay networks.
func masterTrustedPorts(master string) []int {
	var out []int
	for _, line := range strings.Split(master, "\n") {
		name, entry, ok := strings.Cut(line, "=")
		port, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(name), "/inet"))
		if !ok || err != nil {
			continue
		}
		fields := strings.Fields(entry)
		for i, f := range fields {
			if f == "-o" && i+1 < len(fields) && strings.HasPrefix(fields[i+1], "mynetworks=") && fields[i+1] != "mynetworks=" {
				out = append(out, port)
			}
		}
	}
	sort.Ints(out)
	return out
}
