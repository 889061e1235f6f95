package planscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Plan is what a plan would install in the cluster.
type Plan struct {
	Releases  []Release
	Manifests []Manifest
	// KubernetesResources are the addresses of hashicorp/kubernetes
	// resources (kubernetes_*): CONVENTIONS.md wants objects we write to go
	// through kubectl_manifest, which the offline chain can send to a real
	// API server; these can only be type-checked against the provider schema.
	KubernetesResources []string
	// Rendered are the objects of the releases rendered from their real
	// charts (see internal/chartrender; the caller fills it), addressed
	// "<release address> <template>". The policies check a rendered
	// release through these objects, subcharts included, rather than
	// through its values.
	Rendered []Manifest
}

// Release is one helm_release.
type Release struct {
	Address    string
	Name       string
	Namespace  string
	Repository string
	Chart      string
	Version    string
	// CreateNamespace is create_namespace: helm creates Namespace itself.
	CreateNamespace bool
	// Atomic and CleanupOnFail are the provider's switches that undo a
	// failed install or upgrade.
	Atomic, CleanupOnFail bool
	// Values are the values helm receives: the `values` documents merged in
	// order, then set, set_list and set_sensitive applied.
	Values map[string]any
	// Unknown lists the inputs whose value is unknown at plan (for example
	// `values[1]` or `set_sensitive["auth.password"]`); they are left out of
	// Values, so checks over Values do not cover them.
	Unknown []string
}

// Problem is one finding of a check.
type Problem struct {
	Address string // resource address in the plan
	Path    string // dotted path in the values or object; empty for the whole resource
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Address + ": " + p.Message
	}
	return p.Address + ": " + p.Path + ": " + p.Message
}

// Load reads the JSON of `tofu show -json <planfile>` and collects, from
// planned_values, every helm_release and kubectl_manifest of the root module
// and of all child modules, sorted by address. Unknown values are read from
// resource_changes[].change.after_unknown.
func Load(planJSON []byte) (*Plan, error) {
	var tp tfjson.Plan
	if err := json.Unmarshal(planJSON, &tp); err != nil {
		return nil, fmt.Errorf("decode plan JSON: %w", err)
	}
	if tp.PlannedValues == nil || tp.PlannedValues.RootModule == nil {
		return nil, errors.New("plan JSON has no planned_values.root_module: is it the output of `tofu show -json <planfile>`?")
	}
	unknown := map[string]any{}
	for _, rc := range tp.ResourceChanges {
		if rc.Change != nil {
			unknown[rc.Address] = rc.Change.AfterUnknown
		}
	}
	p := &Plan{}
	var errs []error
	walkModules(tp.PlannedValues.RootModule, func(r *tfjson.StateResource) {
		if r.Mode != tfjson.ManagedResourceMode {
			return
		}
		if err := p.add(r, unknown[r.Address]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Address, err))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Slice(p.Releases, func(i, j int) bool { return p.Releases[i].Address < p.Releases[j].Address })
	sort.Slice(p.Manifests, func(i, j int) bool { return p.Manifests[i].Address < p.Manifests[j].Address })
	sort.Strings(p.KubernetesResources)
	return p, nil
}

// walkModules calls fn for every resource of m and its descendants.
func walkModules(m *tfjson.StateModule, fn func(*tfjson.StateResource)) {
	for _, r := range m.Resources {
		fn(r)
	}
	for _, c := range m.ChildModules {
		walkModules(c, fn)
	}
}

func (p *Plan) add(r *tfjson.StateResource, afterUnknown any) error {
	switch {
	case r.Type == "helm_release":
		rel, err := loadRelease(r, afterUnknown)
		if err != nil {
			return err
		}
		p.Releases = append(p.Releases, rel)
	case r.Type == "kubectl_manifest":
		m, err := loadManifest(r, afterUnknown)
		if err != nil {
			return err
		}
		p.Manifests = append(p.Manifests, m)
	case strings.HasPrefix(r.Type, "kubernetes_"):
		p.KubernetesResources = append(p.KubernetesResources, r.Address)
	}
	return nil
}

func loadRelease(r *tfjson.StateResource, au any) (Release, error) {
	a := r.AttributeValues
	rel := Release{
		Address:    r.Address,
		Name:       str(a, "name"),
		Namespace:  str(a, "namespace"),
		Repository: str(a, "repository"),
		Chart:      str(a, "chart"),
		Version:    str(a, "version"),
		Values:     map[string]any{},
	}
	rel.CreateNamespace, _ = a["create_namespace"].(bool)
	rel.Atomic, _ = a["atomic"].(bool)
	rel.CleanupOnFail, _ = a["cleanup_on_fail"].(bool)
	for _, attr := range []string{"name", "namespace", "repository", "chart", "version"} {
		if unknownAt(au, attr) {
			rel.Unknown = append(rel.Unknown, attr)
		}
	}
	// The helm provider's order: values, set, set_list, set_sensitive
	// (set_wo is write-only and never in a plan).
	steps := []func(*Release, map[string]any, any) error{
		mergeDocuments, setAttr("set"), applySetLists, setAttr("set_sensitive"),
	}
	for _, step := range steps {
		if err := step(&rel, a, au); err != nil {
			return rel, err
		}
	}
	return rel, nil
}

// mergeDocuments merges the `values` YAML documents in order.
func mergeDocuments(rel *Release, a map[string]any, au any) error {
	if unknownAt(au, "values") && a["values"] == nil {
		rel.Unknown = append(rel.Unknown, "values")
		return nil
	}
	docs, _ := a["values"].([]any)
	for i, d := range docs {
		doc, ok := d.(string)
		if !ok || unknownAt(au, "values", i) {
			rel.Unknown = append(rel.Unknown, fmt.Sprintf("values[%d]", i))
			continue
		}
		m, err := parseYAMLMap(doc)
		if err != nil {
			return fmt.Errorf("values[%d]: invalid YAML: %w", i, err)
		}
		rel.Values = mergeValues(rel.Values, m)
	}
	return nil
}

// setAttr returns the step that applies a `set` or `set_sensitive` list.
func setAttr(attr string) func(*Release, map[string]any, any) error {
	return func(rel *Release, a map[string]any, au any) error {
		if unknownAt(au, attr) && a[attr] == nil {
			rel.Unknown = append(rel.Unknown, attr)
			return nil
		}
		entries, _ := a[attr].([]any)
		for i, e := range entries {
			m, _ := e.(map[string]any)
			name := str(m, "name")
			if unknownAt(au, attr, i, "name") {
				rel.Unknown = append(rel.Unknown, fmt.Sprintf("%s[%d].name", attr, i))
				continue
			}
			if unknownAt(au, attr, i, "value") {
				rel.Unknown = append(rel.Unknown, fmt.Sprintf("%s[%s]", attr, strconv.Quote(name)))
				continue
			}
			typ := setType(str(m, "type"))
			if typ == "" {
				typ = setAuto
			}
			if err := applySet(rel.Values, name, str(m, "value"), typ); err != nil {
				return fmt.Errorf("%s[%q]: %w", attr, name, err)
			}
		}
		return nil
	}
}

// applySetLists applies set_list.
func applySetLists(rel *Release, a map[string]any, au any) error {
	if unknownAt(au, "set_list") && a["set_list"] == nil {
		rel.Unknown = append(rel.Unknown, "set_list")
		return nil
	}
	entries, _ := a["set_list"].([]any)
	for i, e := range entries {
		m, _ := e.(map[string]any)
		name := str(m, "name")
		if unknownAt(au, "set_list", i, "name") || unknownAt(au, "set_list", i, "value") {
			rel.Unknown = append(rel.Unknown, fmt.Sprintf("set_list[%s]", strconv.Quote(name)))
			continue
		}
		raw, _ := m["value"].([]any)
		items := make([]string, 0, len(raw))
		for _, v := range raw {
			s, _ := v.(string)
			items = append(items, s)
		}
		if err := applySetList(rel.Values, name, items); err != nil {
			return fmt.Errorf("set_list[%q]: %w", name, err)
		}
	}
	return nil
}

func loadManifest(r *tfjson.StateResource, au any) (Manifest, error) {
	m := Manifest{Address: r.Address}
	body, ok := r.AttributeValues["yaml_body"].(string)
	if !ok || unknownAt(au, "yaml_body") {
		m.Unknown = true
		return m, nil
	}
	m.YAML = body
	obj, err := parseYAMLMap(body)
	if err != nil {
		return m, fmt.Errorf("yaml_body: invalid YAML: %w", err)
	}
	if len(obj) == 0 {
		return m, errors.New("yaml_body is empty")
	}
	m.Object = obj
	return m, nil
}

// unknownAt follows path (string keys, int indexes) through an
// after_unknown structure, where true marks an unknown value and marks
// everything below it unknown too.
func unknownAt(au any, path ...any) bool {
	cur := au
	for _, p := range path {
		if b, ok := cur.(bool); ok {
			return b
		}
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return false
			}
			cur = l[k]
		}
	}
	b, _ := cur.(bool)
	return b
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func lookupOr(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}
