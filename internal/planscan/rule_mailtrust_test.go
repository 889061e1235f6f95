package planscan

import (
	"slices"
	"strings"
	"testing"
)

// mailFixture is a small plan shaped like the platform's: Traefik and
// Velero in infra, Mailu's rendered objects in mailu, and the policies,
// overrides and forward Service of modules/apps/mailu.
type mailFixture struct {
	postfixCF, postfixMaster, dovecotConf string
	policies                              []map[string]any
	noForwardService, notRendered         bool
}

const (
	mailuRel   = "module.apps.helm_release.mailu"
	traefikRel = "module.k8s.helm_release.traefik"
	veleroRel  = "module.k8s.helm_release.velero"
)

func podWorkload(rel, ns, name string, labels map[string]any) Manifest {
	obj := map[string]any{"kind": "Deployment", "metadata": map[string]any{"name": name},
		"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": map[string]any{}}}}
	if rel == "" {
		obj["metadata"].(map[string]any)["namespace"] = ns
	}
	return Manifest{Address: rel + " " + name, Release: rel, Object: obj}
}

func mailu(component string) map[string]any {
	return map[string]any{"app.kubernetes.io/name": "mailu", "app.kubernetes.io/instance": "mailu", "app.kubernetes.io/component": component}
}

var traefikPods = map[string]any{"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-infra"}

func policy(name string, selector map[string]any, ingress ...map[string]any) map[string]any {
	rules := make([]any, len(ingress))
	for i, r := range ingress {
		rules[i] = r
	}
	return map[string]any{"kind": "NetworkPolicy", "metadata": map[string]any{"name": name, "namespace": "mailu"},
		"spec": map[string]any{"podSelector": selector, "policyTypes": []any{"Ingress"}, "ingress": rules}}
}

func from(peers []any, ports ...int) map[string]any {
	r := map[string]any{"from": peers}
	if len(ports) > 0 {
		var ps []any
		for _, p := range ports {
			ps = append(ps, map[string]any{"protocol": "TCP", "port": p})
		}
		r["ports"] = ps
	}
	return r
}

var (
	ownNamespace = map[string]any{"podSelector": map[string]any{}}
	traefikPeer  = map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "infra"}},
		"podSelector": map[string]any{"matchLabels": traefikPods}}
	wholeInfra = map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "infra"}}}
)

// Today's module (trust.tf).
func goodMailFixture() mailFixture {
	return mailFixture{
		postfixCF:     "mynetworks =\n",
		postfixMaster: "10026/inet=10026 inet n - n - - smtpd -o mynetworks=10.244.0.0/16 -o smtpd_authorized_xclient_hosts=",
		dovecotConf:   "submission_host = mailu-postfix-forward.mailu.svc.cluster.local:10026\n",
		policies: []map[string]any{
			policy("mailu-ingress", map[string]any{"matchLabels": mailu("front")}, from([]any{traefikPeer}, 80, 25, 465, 587, 993)),
			policy("mailu-internal", map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/instance": "mailu"},
				"matchExpressions": []any{map[string]any{"key": "app.kubernetes.io/component", "operator": "NotIn", "values": []any{"front", "postfix"}}}},
				from([]any{ownNamespace})),
			policy("mailu-front-internal", map[string]any{"matchLabels": mailu("front")}, from([]any{ownNamespace}, 80, 2525, 10025, 10143, 14190)),
			policy("mailu-postfix", map[string]any{"matchLabels": mailu("postfix")},
				from([]any{map[string]any{"podSelector": map[string]any{"matchLabels": mailu("front")}}}, 25, 10025),
				from([]any{map[string]any{"podSelector": map[string]any{"matchLabels": mailu("dovecot")}}}, 10026)),
		},
	}
}

func (f mailFixture) plan() (*Plan, []Manifest) {
	p := &Plan{Releases: []Release{
		{Address: mailuRel, Chart: "mailu", Namespace: "mailu"},
		{Address: traefikRel, Chart: "traefik", Namespace: "infra"},
		{Address: veleroRel, Chart: "velero", Namespace: "infra"},
	}}
	cm := func(name string, data map[string]any) Manifest {
		return Manifest{Release: mailuRel, Object: map[string]any{"kind": "ConfigMap", "metadata": map[string]any{"name": name}, "data": data}}
	}
	ms := []Manifest{
		podWorkload(traefikRel, "", "traefik", traefikPods),
		podWorkload(veleroRel, "", "velero", map[string]any{"name": "velero"}),
		cm("mailu-envvars", map[string]any{"PROXY_PROTOCOL": "993,25,465,587"}),
		cm("mailu-postfix-override", map[string]any{"postfix.cf": f.postfixCF, "postfix.master": f.postfixMaster}),
	}
	if f.dovecotConf != "" {
		ms = append(ms, cm("mailu-dovecot-override", map[string]any{"dovecot.conf": f.dovecotConf}))
	}
	for _, c := range []string{"front", "postfix", "dovecot", "admin", "webmail"} {
		ms = append(ms, podWorkload(mailuRel, "", "mailu-"+c, mailu(c)))
	}
	if !f.noForwardService {
		ms = append(ms, Manifest{Object: map[string]any{"kind": "Service", "metadata": map[string]any{"name": "mailu-postfix-forward", "namespace": "mailu"},
			"spec": map[string]any{"selector": mailu("postfix"), "ports": []any{map[string]any{"port": 10026, "targetPort": 10026}}}}})
	}
	for _, pol := range f.policies {
		ms = append(ms, Manifest{Object: pol})
	}
	if f.notRendered {
		ms = slices.DeleteFunc(ms, func(m Manifest) bool { return m.Release == mailuRel })
	}
	return p, ms
}

func TestMailTrust(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*mailFixture)
		wants []string // one substring per expected problem, in order
	}{
		{name: "the module's policies and overrides", edit: func(*mailFixture) {}},
		{name: "Mailu not rendered (unknown inputs)", edit: func(f *mailFixture) { f.notRendered = true }},
		{name: "the day before: one policy for the namespace, Traefik's whole namespace, loopback relay networks", edit: func(f *mailFixture) {
			f.postfixCF = "mynetworks = 127.0.0.1/32 [::1]/128\n"
			f.postfixMaster, f.dovecotConf, f.noForwardService = "", "", true
			f.policies = []map[string]any{
				policy("mailu-ingress", map[string]any{"matchLabels": mailu("front")}, from([]any{wholeInfra, ownNamespace}, 80, 25, 465, 587, 993)),
				policy("mailu-internal", map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/instance": "mailu"}}, from([]any{ownNamespace})),
			}
		}, wants: []string{
			"Deployment infra/velero reaches Deployment mailu/mailu-front port 993",
			"Deployment mailu/mailu-postfix reaches Deployment mailu/mailu-front port 993",
			"Deployment mailu/mailu-dovecot reaches Deployment mailu/mailu-front port 993",
			"Deployment mailu/mailu-admin reaches Deployment mailu/mailu-front port 993",
			"Deployment mailu/mailu-webmail reaches Deployment mailu/mailu-front port 993",
			"Deployment mailu/mailu-webmail reaches Deployment mailu/mailu-postfix port 25",
			"Deployment mailu/mailu-admin reaches Deployment mailu/mailu-postfix port 10025",
			"Postfix relays without login for mynetworks = 127.0.0.1/32 [::1]/128",
			"Mailu sends them to the public host name",
		}},
		{name: "no policy selects Postfix", edit: func(f *mailFixture) { f.policies = f.policies[:3] }, wants: []string{
			"Deployment infra/traefik reaches Deployment mailu/mailu-postfix port 25",
			"Deployment infra/velero reaches Deployment mailu/mailu-postfix port 25",
			"Deployment mailu/mailu-postfix reaches Deployment mailu/mailu-postfix port 25",
		}},
		{name: "the webmail reaches the forward port", edit: func(f *mailFixture) {
			f.policies = append(f.policies, policy("extra", map[string]any{"matchLabels": mailu("postfix")},
				from([]any{map[string]any{"podSelector": map[string]any{"matchLabels": mailu("webmail")}}}, 10026)))
		}, wants: []string{"Deployment mailu/mailu-webmail reaches Deployment mailu/mailu-postfix port 10026, where Postfix relays for the pod network"}},
		{name: "any address may reach the front's port 25", edit: func(f *mailFixture) {
			f.policies = append(f.policies, policy("open", map[string]any{"matchLabels": mailu("front")},
				from([]any{map[string]any{"ipBlock": map[string]any{"cidr": "0.0.0.0/0"}}}, 25)))
		}, wants: []string{"a host outside the cluster's pods (10.10.0.5) reaches Deployment mailu/mailu-front port 25"}},
		{name: "loopback relay networks", edit: func(f *mailFixture) { f.postfixCF = "mynetworks = 127.0.0.1/32\n" },
			wants: []string{"Postfix relays without login for mynetworks = 127.0.0.1/32"}},
		{name: "Mailu's default relay networks", edit: func(f *mailFixture) { f.postfixCF = "" },
			wants: []string{"mynetworks = 127.0.0.1/32 and the pod network (Mailu's default)"}},
		{name: "Dovecot left to the public name", edit: func(f *mailFixture) { f.dovecotConf = "" },
			wants: []string{"Mailu sends them to the public host name"}},
		{name: "Dovecot sent to the XCLIENT port", edit: func(f *mailFixture) {
			f.dovecotConf = "submission_host = mailu-postfix-forward.mailu.svc.cluster.local:10026\n"
			f.postfixMaster = ""
		}, wants: []string{"Postfix port 10026 has no -o mynetworks of its own"}},
		{name: "the forward Service is missing", edit: func(f *mailFixture) { f.noForwardService = true },
			wants: []string{"no Service mailu-postfix-forward in the plan"}},
		{name: "the policies keep Dovecot out of the forward port", edit: func(f *mailFixture) {
			f.policies[3] = policy("mailu-postfix", map[string]any{"matchLabels": mailu("postfix")},
				from([]any{map[string]any{"podSelector": map[string]any{"matchLabels": mailu("front")}}}, 25, 10025))
		}, wants: []string{"the NetworkPolicies keep Dovecot from Postfix port 10026"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := goodMailFixture()
			tc.edit(&f)
			problems := MailTrust(f.plan())
			for _, w := range tc.wants {
				found := false
				for _, p := range problems {
					found = found || strings.Contains(p.Message, w)
				}
				if !found {
					t.Errorf("no problem says %q; got:\n%s", w, joinProblems(problems))
				}
			}
			if len(tc.wants) == 0 && len(problems) > 0 {
				t.Errorf("want no problem, got:\n%s", joinProblems(problems))
			}
		})
	}
}

func joinProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}
