package planscan

import (
	"strings"
	"testing"
)

const testCharts = "testdata/charts"

// problemStrings renders problems for comparison and messages.
func problemStrings(ps []Problem) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// wantProblems checks that ps has exactly one problem per entry of want,
// each containing that entry (order free); no want means no problem.
func wantProblems(t *testing.T, ps []Problem, want ...string) {
	t.Helper()
	got := problemStrings(ps)
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	used := make([]bool, len(got))
next:
	for _, w := range want {
		for i, g := range got {
			if !used[i] && strings.Contains(g, w) {
				used[i] = true
				continue next
			}
		}
		t.Fatalf("no problem says %q in:\n%s", w, strings.Join(got, "\n"))
	}
}

func TestCheckValuesKeyPaths(t *testing.T) {
	tests := []struct {
		name   string
		values string
		want   []string
	}{
		{"known keys pass", "replicaCount: 2\nimage: {tag: v1}\nservice: {port: 8080}\nserver: {persistence: {enabled: true}}\n", nil},
		{"misspelled top-level key", "replicaCont: 2\n", []string{"replicaCont: not a key of chart plain 1.0.0"}},
		{"misspelled nested key", "server: {persistance: {enabled: true}}\n", []string{"server.persistance: not a key"}},
		{"under an empty-map default anything goes", "podAnnotations: {a.b/c: x}\nserver: {resources: {limits: {memory: 1Gi}}}\n", nil},
		{"under a null default anything goes", "extraConfig: {any: {deep: key}}\n", nil},
		{"free-form key with a non-empty default", "securityContext: {seccompProfile: {type: RuntimeDefault}}\n", nil},
		{"lists are not descended", "initContainers: [{name: a, madeUp: 1}]\n", nil},
		{"subchart values are not in the parent's files", "redis: {enabled: false, auth: {password: x}}\nexporter: {anything: 1}\n", nil},
		{"global is always allowed", "global: {imageRegistry: r.example.org}\n", nil},
		{"a map over a scalar default is not descended", "service: {type: {oops: 1}}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := parseYAMLMap(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			r := Release{Address: "helm_release.plain", Chart: "plain", Version: "1.0.0", Values: values}
			wantProblems(t, CheckValues(testCharts, r), tt.want...)
		})
	}
}

func TestCheckValuesSchema(t *testing.T) {
	tests := []struct {
		name   string
		values string
		want   []string
	}{
		{"valid values pass", "replicas: 3\nmode: cluster\nimage: {tag: v2}\n", nil},
		{"required value comes from the defaults", "replicas: 0\n", nil},
		{"wrong type", "replicas: two\n", []string{"replicas: does not match strict values.schema.json"}},
		{"value outside the enum", "mode: ha\n", []string{"mode: does not match"}},
		{"unknown nested key", "image: {tga: v2}\n", []string{"image: does not match"}},
		{"unsetting a required default", "mode: null\n", []string{"does not match"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := parseYAMLMap(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			r := Release{Address: "helm_release.strict", Chart: "oci://registry.example.org/charts/strict", Version: "2.0.0", Values: values}
			wantProblems(t, CheckValues(testCharts, r), tt.want...)
		})
	}
}

func TestCheckValuesChartVersion(t *testing.T) {
	tests := []struct {
		name, chart, version string
		want                 []string
	}{
		{"offline copy exists", "plain", "1.0.0", nil},
		{"version without an offline copy", "plain", "1.0.1", []string{"no offline copy of chart plain version 1.0.1: add its files to shared/charts"}},
		{"chart without an offline copy", "other", "1.0.0", []string{"no offline copy of chart other version 1.0.0"}},
		{"unpinned version", "plain", "", []string{"chart plain has no pinned version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Release{Address: "helm_release.x", Chart: tt.chart, Version: tt.version, Values: map[string]any{}}
			wantProblems(t, CheckValues(testCharts, r), tt.want...)
		})
	}
}

func TestChartName(t *testing.T) {
	for in, want := range map[string]string{
		"traefik": "traefik", "jetstack/cert-manager": "cert-manager",
		"oci://ghcr.io/n8n-io/n8n-helm-chart/n8n": "n8n", "n8n/": "n8n",
	} {
		if got := ChartName(in); got != want {
			t.Errorf("ChartName(%q) = %q, want %q", in, got, want)
		}
	}
}
