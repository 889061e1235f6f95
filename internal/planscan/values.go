package planscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// parseYAMLMap decodes one YAML document into a map. Numbers stay
// json.Number so that integers keep their exact value for schema checks.
// An empty document is an empty map, as for helm.
func parseYAMLMap(doc string) (map[string]any, error) {
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is %s, not a map", typeName(v))
	}
	return m, nil
}

// mergeValues merges b into a copy of a the way the helm provider merges
// its `values` list: maps merge key by key, anything else from b replaces
// what a had (lists are replaced, not appended).
func mergeValues(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// coalesce computes the values a chart's templates see: user values over
// the chart defaults, where a user null deletes the default (helm's rule for
// unsetting a default).
func coalesce(defaults, user map[string]any) map[string]any {
	out := make(map[string]any, len(defaults)+len(user))
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range user {
		switch uv := v.(type) {
		case nil:
			delete(out, k)
		case map[string]any:
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = coalesce(dm, uv)
			} else {
				out[k] = coalesce(nil, uv)
			}
		default:
			out[k] = v
		}
	}
	return out
}

// setType is the `type` attribute of a helm_release `set` entry.
type setType string

const (
	setAuto    setType = "auto" // default: true/false/null/integers are typed
	setString  setType = "string"
	setLiteral setType = "literal"
)

// applySet applies one `set` entry to values the way `helm --set name=value`
// does: name is a dotted path where `\.` is a literal dot and `[n]` indexes a
// list. A value with an unescaped comma is refused, since helm would split it
// into further assignments (or fail on them).
func applySet(values map[string]any, name, value string, typ setType) error {
	if typ == setLiteral {
		return applyLiteral(values, name, value)
	}
	path, err := splitSetName(name)
	if err != nil {
		return err
	}
	v, err := setValue(value, typ)
	if err != nil {
		return err
	}
	return assign(values, path, v)
}

// applyLiteral mirrors the provider's type = "literal": the value is YAML
// and the name is one top-level key, not a path.
func applyLiteral(values map[string]any, name, value string) error {
	m, err := parseYAMLMap(name + ": " + value)
	if err != nil {
		return fmt.Errorf("literal value: %w", err)
	}
	values[name] = m[name]
	return nil
}

// applySetList applies one `set_list` entry: name={v1,v2,...}.
func applySetList(values map[string]any, name string, items []string) error {
	path, err := splitSetName(name)
	if err != nil {
		return err
	}
	list := make([]any, 0, len(items))
	for _, it := range items {
		v, err := setValue(it, setAuto)
		if err != nil {
			return err
		}
		list = append(list, v)
	}
	return assign(values, path, list)
}

// setValue converts a --set value to what helm's strvals would store.
func setValue(value string, typ setType) (any, error) {
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == '\\' && i+1 < len(value) {
			i++
			b.WriteByte(value[i])
			continue
		}
		if c == ',' {
			return nil, fmt.Errorf("value %q has an unescaped comma: helm splits --set values at commas (escape it as \\, or use type = \"literal\")", value)
		}
		b.WriteByte(c)
	}
	s := b.String()
	if typ == setString {
		return s, nil
	}
	return typedSetValue(s), nil
}

// typedSetValue mirrors helm's strvals typedVal for untyped --set values.
func typedSetValue(s string) any {
	switch {
	case strings.EqualFold(s, "true"):
		return true
	case strings.EqualFold(s, "false"):
		return false
	case strings.EqualFold(s, "null"):
		return nil
	case s == "0":
		return json.Number("0")
	}
	// Like helm, a leading zero keeps the value a string ("0755", "007").
	if s != "" && s[0] != '0' {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return json.Number(s)
		}
	}
	return s
}

// pathElem is one step of a values path: a map key, or a list index when
// isIndex is set.
type pathElem struct {
	key     string
	index   int
	isIndex bool
}

// splitSetName parses a --set name: `a.b`, `a\.b` (one key "a.b"), `a[0].b`.
func splitSetName(name string) ([]pathElem, error) {
	var out []pathElem
	var key strings.Builder
	flush := func() {
		if key.Len() > 0 {
			out = append(out, pathElem{key: key.String()})
			key.Reset()
		}
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '\\':
			if i+1 >= len(name) {
				return nil, fmt.Errorf("set name %q ends with a backslash", name)
			}
			i++
			key.WriteByte(name[i])
		case '.':
			if key.Len() == 0 && (len(out) == 0 || !out[len(out)-1].isIndex) {
				return nil, fmt.Errorf("set name %q has an empty key", name)
			}
			flush()
		case '[':
			flush()
			if len(out) == 0 {
				return nil, fmt.Errorf("set name %q starts with an index", name)
			}
			end := strings.IndexByte(name[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("set name %q has an unclosed [", name)
			}
			n, err := strconv.Atoi(name[i+1 : i+end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("set name %q: bad list index %q", name, name[i+1:i+end])
			}
			out = append(out, pathElem{index: n, isIndex: true})
			i += end
		case ',', '=':
			return nil, fmt.Errorf("set name %q contains %q, which helm treats as a separator", name, c)
		default:
			key.WriteByte(c)
		}
	}
	flush()
	if len(out) == 0 {
		return nil, errors.New("empty set name")
	}
	return out, nil
}

// assign stores v at path, creating maps and growing lists as helm does.
func assign(values map[string]any, path []pathElem, v any) error {
	if path[0].isIndex {
		return errors.New("a values path cannot start with a list index")
	}
	if len(path) == 1 {
		values[path[0].key] = v
		return nil
	}
	child, err := assignInto(values[path[0].key], path[1:], v)
	if err != nil {
		return fmt.Errorf("%s: %w", path[0].key, err)
	}
	values[path[0].key] = child
	return nil
}

// assignInto returns cur with v stored at path, converting cur to the
// container path needs (a scalar in the way is replaced, like helm does).
func assignInto(cur any, path []pathElem, v any) (any, error) {
	e := path[0]
	if !e.isIndex {
		m, ok := cur.(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		if len(path) == 1 {
			m[e.key] = v
			return m, nil
		}
		child, err := assignInto(m[e.key], path[1:], v)
		if err != nil {
			return nil, err
		}
		m[e.key] = child
		return m, nil
	}
	const maxIndex = 65536 // helm's own bound on --set list indexes
	if e.index > maxIndex {
		return nil, fmt.Errorf("list index %d is too large", e.index)
	}
	list, _ := cur.([]any)
	for len(list) <= e.index {
		list = append(list, nil)
	}
	if len(path) == 1 {
		list[e.index] = v
		return list, nil
	}
	child, err := assignInto(list[e.index], path[1:], v)
	if err != nil {
		return nil, err
	}
	list[e.index] = child
	return list, nil
}

// joinPath renders a path for messages: keys joined by dots (a dot inside a
// key escaped as in --set names), list indexes as [n].
func joinPath(base string, key string) string {
	key = strings.ReplaceAll(key, ".", `\.`)
	if base == "" {
		return key
	}
	return base + "." + key
}

func indexPath(base string, i int) string { return base + "[" + strconv.Itoa(i) + "]" }

// lookup follows a dotted path (no escapes, no indexes) through maps.
func lookup(values map[string]any, dotted string) (any, bool) {
	var cur any = values
	for _, k := range strings.Split(dotted, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// truthy is helm's notion of an enabled flag: a true bool, or the string "true".
func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(t, "true")
	}
	return false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a map"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
