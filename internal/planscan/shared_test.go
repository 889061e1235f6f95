package planscan

import (
	"testing"

	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// These tests run the checks on the real chart files of ../shared/charts
// (skipped locally when absent, failed in CI), so that a change of chart
// version that breaks an assumption of the checks shows up here first.

func sharedRelease(t *testing.T, chart, version, values string) Release {
	t.Helper()
	v, err := parseYAMLMap(values)
	if err != nil {
		t.Fatal(err)
	}
	return Release{Address: "helm_release." + chart, Chart: chart, Version: version, Values: v}
}

func TestSharedChartsLoad(t *testing.T) {
	charts := testenv.Shared(t, "charts")
	for _, c := range []struct{ name, version string }{
		{"traefik", "41.3.0"}, {"cert-manager", "v1.21.1"}, {"external-dns", "1.21.1"}, {"velero", "12.1.0"},
		{"zot", "0.1.122"}, {"kube-prometheus-stack", "88.5.3"}, {"victoria-logs-single", "0.13.9"},
		{"victoria-logs-collector", "0.3.7"}, {"loki", "18.11.0"}, {"mailu", "2.7.1"}, {"nextcloud", "9.2.4"}, {"n8n", "1.11.0"},
	} {
		if _, err := LoadChart(charts, c.name, c.version); err != nil {
			t.Errorf("%s %s: %v", c.name, c.version, err)
		}
	}
}

func TestSharedChartsValues(t *testing.T) {
	charts := testenv.Shared(t, "charts")
	tests := []struct {
		name, chart, version, values string
		want                         []string
	}{
		// Schema-less charts: key paths of values.yaml.
		{"kube-prometheus-stack: correct values", "kube-prometheus-stack", "88.5.3", `
prometheus:
  prometheusSpec:
    retention: 15d
    retentionSize: 8GB
    resources: {requests: {cpu: 200m, memory: 1Gi}, limits: {memory: 2Gi}}
    storageSpec: {volumeClaimTemplate: {spec: {resources: {requests: {storage: 10Gi}}}}}
kubeControllerManager: {enabled: false}
grafana: {adminPassword: x, ingress: {enabled: true}}
`, nil},
		{"kube-prometheus-stack: misspelled key", "kube-prometheus-stack", "88.5.3",
			"prometheus: {prometheusSpec: {retentionSise: 8GB}}\n",
			[]string{"prometheus.prometheusSpec.retentionSise: not a key of chart kube-prometheus-stack 88.5.3 values.yaml"}},
		{"zot: correct values, including keys only its templates read", "zot", "0.1.122",
			"ingress: {enabled: true, className: traefik}\npersistence: true\nresources: {requests: {cpu: 50m}}\n", nil},
		{"zot: misspelled key", "zot", "0.1.122", "ingress: {clasName: traefik}\n", []string{"ingress.clasName: not a key"}},
		// Charts with values.schema.json.
		{"traefik: correct values", "traefik", "41.3.0",
			"deployment: {replicas: 2}\ningressClass: {isDefaultClass: true}\n", nil},
		{"traefik: wrong type", "traefik", "41.3.0", "deployment: {replicas: two}\n",
			[]string{"deployment.replicas: does not match traefik values.schema.json"}},
		{"traefik: unknown key", "traefik", "41.3.0", "deploymnet: {replicas: 2}\n", []string{"does not match traefik values.schema.json"}},
		// The released 1.21.1 schema does not require policy, but restricts it.
		{"external-dns: policy outside its enum", "external-dns", "1.21.1", "provider: {name: webhook}\npolicy: delete-all\n",
			[]string{"policy: does not match external-dns values.schema.json"}},
		{"external-dns: no policy (the chart defaults to upsert-only)", "external-dns", "1.21.1", "provider: {name: webhook}\n", nil},
		{"external-dns: with a policy", "external-dns", "1.21.1", "provider: {name: webhook}\npolicy: sync\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblems(t, CheckValues(charts, sharedRelease(t, tt.chart, tt.version, tt.values)), tt.want...)
		})
	}
}

func TestSharedChartsPolicies(t *testing.T) {
	charts := testenv.Shared(t, "charts")
	const full = "{requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}"
	tests := []struct {
		name, chart, version, values string
		check                        func(string, Release) []Problem
		want                         []string
	}{
		{"mailu: Bitnami redis is on by default", "mailu", "2.7.1", "{}", BitnamiInRelease,
			[]string{"redis.enabled: Bitnami subchart redis"}},
		{"mailu: every Bitnami subchart off", "mailu", "2.7.1", "redis: {enabled: false}\n", BitnamiInRelease, nil},
		{"mailu: Bitnami postgresql turned on", "mailu", "2.7.1", "redis: {enabled: false}\npostgresql: {enabled: true}\n", BitnamiInRelease,
			[]string{"postgresql.enabled: Bitnami subchart postgresql"}},
		{"nextcloud: defaults have no Bitnami subchart on", "nextcloud", "9.2.4", "{}", BitnamiInRelease, nil},
		{"cert-manager: no resources", "cert-manager", "v1.21.1", "{}", MissingResourcesInRelease, []string{
			"cainjector.resources: lacks", "startupapicheck.resources: lacks", "webhook.resources: lacks", "cert-manager: resources: lacks"}},
		{"cert-manager: all sized", "cert-manager", "v1.21.1",
			"resources: " + full + "\nwebhook: {resources: " + full + "}\ncainjector: {resources: " + full + "}\nstartupapicheck: {resources: " + full + "}\n",
			MissingResourcesInRelease, nil},
		{"velero: node agent on without resources", "velero", "12.1.0",
			"resources: " + full + "\nupgradeJobResources: " + full + "\ndeployNodeAgent: true\n", MissingResourcesInRelease,
			[]string{"nodeAgent.resources: lacks"}},
		{"victoria-logs-collector: null default resources", "victoria-logs-collector", "0.3.7", "{}", MissingResourcesInRelease,
			[]string{"resources: lacks"}},
		{"victoria-logs-collector: sized", "victoria-logs-collector", "0.3.7", "resources: " + full, MissingResourcesInRelease, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblems(t, tt.check(charts, sharedRelease(t, tt.chart, tt.version, tt.values)), tt.want...)
		})
	}
}
