package planscan

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// res is one resource of a synthetic plan: its planned values and, for
// unknown parts, its after_unknown structure.
type res struct {
	address, typ, mode string
	values             map[string]any
	afterUnknown       map[string]any
}

// planJSON builds the JSON of a small plan: root resources plus, for an
// address starting with "module.", one child module per prefix.
func planJSON(t *testing.T, resources ...res) []byte {
	t.Helper()
	root := map[string]any{"resources": []any{}}
	children := map[string][]any{}
	var changes []any
	for _, r := range resources {
		mode := r.mode
		if mode == "" {
			mode = "managed"
		}
		sr := map[string]any{"address": r.address, "mode": mode, "type": r.typ, "name": "x", "values": r.values}
		if mod, _, ok := strings.Cut(r.address, "."+r.typ+"."); ok && strings.HasPrefix(r.address, "module.") {
			children[mod] = append(children[mod], sr)
		} else {
			root["resources"] = append(root["resources"].([]any), sr)
		}
		au := r.afterUnknown
		if au == nil {
			au = map[string]any{}
		}
		changes = append(changes, map[string]any{"address": r.address, "mode": mode, "type": r.typ, "name": "x",
			"change": map[string]any{"actions": []any{"create"}, "after": r.values, "after_unknown": au}})
	}
	var mods []any
	for addr, rs := range children {
		mods = append(mods, map[string]any{"address": addr, "resources": rs})
	}
	root["child_modules"] = mods
	out, err := json.Marshal(map[string]any{
		"format_version":    "1.2",
		"terraform_version": "1.12.6",
		"planned_values":    map[string]any{"root_module": root},
		"resource_changes":  changes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func release(values map[string]any) map[string]any {
	base := map[string]any{"name": "demo", "namespace": "demo", "repository": "https://charts.example.org", "chart": "plain", "version": "1.0.0"}
	for k, v := range values {
		base[k] = v
	}
	return base
}

// TestLoadRealPlan reads a plan made by OpenTofu 1.12.6 with the test
// provider (testdata/plan-source): a child module, sensitive values, a
// yaml_body that is unknown at plan, a set_sensitive that is unknown.
func TestLoadRealPlan(t *testing.T) {
	raw, err := os.ReadFile("testdata/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Releases) != 1 {
		t.Fatalf("releases = %d, want 1", len(p.Releases))
	}
	r := p.Releases[0]
	if r.Address != "module.child.helm_release.demo" || r.Chart != "demo" || r.Version != "1.2.3" || r.Namespace != "demo" {
		t.Errorf("release = %+v", r)
	}
	want := map[string]any{
		"image":          map[string]any{"repository": "ghcr.io/example/demo", "tag": "v2"},
		"podAnnotations": map[string]any{"a": "1", "example.org/team": "web"},
		"list":           []any{"x"},
		"service":        map[string]any{"port": json.Number("8080")},
		"args":           []any{"--a", "--b"},
		"auth":           map[string]any{"user": "admin"},
	}
	if !reflect.DeepEqual(r.Values, want) {
		t.Errorf("values = %#v\nwant %#v", r.Values, want)
	}
	if want := []string{`set_sensitive["auth.password"]`}; !reflect.DeepEqual(r.Unknown, want) {
		t.Errorf("unknown = %v, want %v", r.Unknown, want)
	}

	var got []string
	for _, m := range p.Manifests {
		got = append(got, m.Address+" "+m.Ref()+" unknown="+boolString(m.Unknown))
	}
	wantManifests := []string{
		"kubectl_manifest.ns[0] Namespace demo unknown=false",
		"module.child.kubectl_manifest.known ConfigMap demo/cfg unknown=false",
		"module.child.kubectl_manifest.secret   unknown=true",
	}
	if !reflect.DeepEqual(got, wantManifests) {
		t.Errorf("manifests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantManifests, "\n"))
	}
	if want := []string{"kubernetes_namespace_v1.legacy"}; !reflect.DeepEqual(p.KubernetesResources, want) {
		t.Errorf("kubernetes resources = %v, want %v", p.KubernetesResources, want)
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestLoadValuesAndUnknowns(t *testing.T) {
	tests := []struct {
		name        string
		r           res
		wantValues  map[string]any
		wantUnknown []string
	}{
		{
			name: "documents merge in order, set wins, set_sensitive last",
			r: res{address: "helm_release.a", typ: "helm_release", values: release(map[string]any{
				"values":        []any{"a: {p: 1, q: 1}\nl: [1, 2]\n", "a: {q: 2}\nl: [3]\n"},
				"set":           []any{map[string]any{"name": "a.z", "value": "3"}, map[string]any{"name": "s", "value": "first"}},
				"set_sensitive": []any{map[string]any{"name": "s", "value": "last"}},
			})},
			wantValues: map[string]any{"a": map[string]any{"p": json.Number("1"), "q": json.Number("2"), "z": json.Number("3")},
				"l": []any{json.Number("3")}, "s": "last"},
		},
		{
			name: "an unknown document is skipped and reported",
			r: res{address: "helm_release.a", typ: "helm_release",
				values:       release(map[string]any{"values": []any{"a: 1\n", nil}}),
				afterUnknown: map[string]any{"values": []any{false, true}}},
			wantValues:  map[string]any{"a": json.Number("1")},
			wantUnknown: []string{"values[1]"},
		},
		{
			name: "wholly unknown values and version",
			r: res{address: "helm_release.a", typ: "helm_release",
				values:       map[string]any{"name": "demo", "chart": "plain"},
				afterUnknown: map[string]any{"values": true, "version": true}},
			wantValues:  map[string]any{},
			wantUnknown: []string{"version", "values"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load(planJSON(t, tt.r))
			if err != nil {
				t.Fatal(err)
			}
			r := p.Releases[0]
			if !reflect.DeepEqual(r.Values, tt.wantValues) {
				t.Errorf("values = %#v\nwant %#v", r.Values, tt.wantValues)
			}
			if !reflect.DeepEqual(r.Unknown, tt.wantUnknown) {
				t.Errorf("unknown = %#v, want %#v", r.Unknown, tt.wantUnknown)
			}
		})
	}
}

func TestLoadCollectsFromChildModulesOnly(t *testing.T) {
	body := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\n"
	p, err := Load(planJSON(t,
		res{address: "module.a.kubectl_manifest.x", typ: "kubectl_manifest", values: map[string]any{"yaml_body": body}},
		res{address: "module.b.module.c.helm_release.x", typ: "helm_release", values: release(nil)},
		res{address: "data.kubectl_manifest.ignored", typ: "kubectl_manifest", mode: "data", values: map[string]any{"yaml_body": body}},
		res{address: "kubernetes_secret_v1.s", typ: "kubernetes_secret_v1", values: map[string]any{}},
		res{address: "random_password.p", typ: "random_password", values: map[string]any{}},
	))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Manifests) != 1 || p.Manifests[0].Ref() != "ConfigMap ns/c" {
		t.Errorf("manifests = %+v", p.Manifests)
	}
	if len(p.Releases) != 1 || p.Releases[0].Address != "module.b.module.c.helm_release.x" {
		t.Errorf("releases = %+v", p.Releases)
	}
	if !reflect.DeepEqual(p.KubernetesResources, []string{"kubernetes_secret_v1.s"}) {
		t.Errorf("kubernetes resources = %v", p.KubernetesResources)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		json []byte
		want string
	}{
		{"not JSON", []byte("nope"), "decode plan JSON"},
		{"not a plan", []byte(`{"format_version":"1.2"}`), "no planned_values"},
		{"bad values YAML", planJSON(t, res{address: "helm_release.a", typ: "helm_release",
			values: release(map[string]any{"values": []any{"a: [1"}})}), "helm_release.a: values[0]: invalid YAML"},
		{"values document that is a list", planJSON(t, res{address: "helm_release.a", typ: "helm_release",
			values: release(map[string]any{"values": []any{"- 1\n"}})}), "not a map"},
		{"set value with a comma", planJSON(t, res{address: "helm_release.a", typ: "helm_release",
			values: release(map[string]any{"set": []any{map[string]any{"name": "a", "value": "x,y"}}})}), `set["a"]: value "x,y" has an unescaped comma`},
		{"bad yaml_body", planJSON(t, res{address: "kubectl_manifest.m", typ: "kubectl_manifest",
			values: map[string]any{"yaml_body": "kind: [\n"}}), "kubectl_manifest.m: yaml_body: invalid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.json)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}
