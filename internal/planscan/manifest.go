package planscan

// Helpers over the objects of a plan: pod templates, containers, walks.

import (
	"sort"
	"strings"
)

// Manifest is one kubectl_manifest.
type Manifest struct {
	Address string
	// YAML is the yaml_body as planned; Object is it decoded. Both are
	// empty when Unknown.
	YAML   string
	Object map[string]any
	// Unknown is set when yaml_body is unknown at plan (it depends on a
	// value computed at apply), so the object cannot be checked here.
	Unknown bool
	// Release is the address of the helm_release an object was rendered
	// from; empty for a kubectl_manifest. ReleaseNamespace is its
	// namespace, where Helm puts the objects that name none.
	Release, ReleaseNamespace string
}

// Kind is the object's kind ("" when Unknown).
func (m Manifest) Kind() string { return str(m.Object, "kind") }

// Name is the object's metadata.name.
func (m Manifest) Name() string { return str(lookupOr(m.Object, "metadata"), "name") }

// Namespace is the object's metadata.namespace ("" when it names none).
func (m Manifest) Namespace() string { return str(lookupOr(m.Object, "metadata"), "namespace") }

// Ref is "Kind namespace/name" (or "Kind name"), for messages.
func (m Manifest) Ref() string {
	if m.Namespace() == "" {
		return m.Kind() + " " + m.Name()
	}
	return m.Kind() + " " + m.Namespace() + "/" + m.Name()
}

// podSpecPaths says where each workload kind keeps its pod spec.
var podSpecPaths = map[string][]string{
	"Pod":         {"spec"},
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

// podSpec returns the object's pod spec and its path, if it has one.
func podSpec(obj map[string]any) (map[string]any, string, bool) {
	kind, _ := obj["kind"].(string)
	keys, ok := podSpecPaths[kind]
	if !ok {
		return nil, "", false
	}
	cur := obj
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, "", false
		}
		cur = next
	}
	return cur, strings.Join(keys, "."), true
}

// forEachContainer calls fn for every container and init container of the
// manifest's pod template, with the container's path.
func forEachContainer(m Manifest, fn func(path string, c map[string]any)) {
	spec, at, ok := podSpec(m.Object)
	if !ok {
		return
	}
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := spec[list].([]any)
		for i, c := range cs {
			if cm, ok := c.(map[string]any); ok {
				fn(indexPath(joinPath(at, list), i), cm)
			}
		}
	}
}

// walkStrings calls fn for every string in v with its path and map key
// (for list elements, the key of the list).
func walkStrings(at, key string, v any, fn func(path, key, s string)) {
	switch t := v.(type) {
	case string:
		fn(at, key, t)
	case map[string]any:
		for _, k := range sortedKeys(t) {
			walkStrings(joinPath(at, k), k, t[k], fn)
		}
	case []any:
		for i, x := range t {
			walkStrings(indexPath(at, i), key, x, fn)
		}
	}
}

// walkMaps calls fn for every map in v (v itself included) with its path;
// fn returns false to skip what is below that map.
func walkMaps(at string, v any, fn func(path string, m map[string]any) bool) {
	switch t := v.(type) {
	case map[string]any:
		if !fn(at, t) {
			return
		}
		for _, k := range sortedKeys(t) {
			walkMaps(joinPath(at, k), t[k], fn)
		}
	case []any:
		for i, x := range t {
			walkMaps(indexPath(at, i), x, fn)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
