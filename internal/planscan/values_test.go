package planscan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestSplitSetName(t *testing.T) {
	key := func(k string) pathElem { return pathElem{key: k} }
	idx := func(i int) pathElem { return pathElem{index: i, isIndex: true} }
	tests := []struct {
		name    string
		want    []pathElem
		wantErr string
	}{
		{"a", []pathElem{key("a")}, ""},
		{"a.b.c", []pathElem{key("a"), key("b"), key("c")}, ""},
		{`podAnnotations.example\.org/team`, []pathElem{key("podAnnotations"), key("example.org/team")}, ""},
		{"initContainers[0].image", []pathElem{key("initContainers"), idx(0), key("image")}, ""},
		{"args[2]", []pathElem{key("args"), idx(2)}, ""},
		{"", nil, "empty set name"},
		{"a..b", nil, "empty key"},
		{"[0].a", nil, "starts with an index"},
		{"a[x]", nil, "bad list index"},
		{"a[0", nil, "unclosed"},
		{"a=b", nil, "separator"},
		{`a\`, nil, "backslash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitSetName(tt.name)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestApplySet(t *testing.T) {
	tests := []struct {
		desc, name, value string
		typ               setType
		want              map[string]any
		wantErr           string
	}{
		{"auto integer", "a.port", "8080", setAuto, map[string]any{"a": map[string]any{"port": json.Number("8080")}}, ""},
		{"auto bool", "a.enabled", "TRUE", setAuto, map[string]any{"a": map[string]any{"enabled": true}}, ""},
		{"auto null", "a", "null", setAuto, map[string]any{"a": nil}, ""},
		{"leading zero stays a string", "mode", "0755", setAuto, map[string]any{"mode": "0755"}, ""},
		{"zero", "n", "0", setAuto, map[string]any{"n": json.Number("0")}, ""},
		{"string type keeps true a string", "a", "true", setString, map[string]any{"a": "true"}, ""},
		{"escaped comma", "a", `x\,y`, setAuto, map[string]any{"a": "x,y"}, ""},
		{"unescaped comma", "a", "x,y", setAuto, nil, "unescaped comma"},
		{"literal is YAML under a top-level key", "a.b", "[1, 2]", setLiteral,
			map[string]any{"a.b": []any{json.Number("1"), json.Number("2")}}, ""},
		{"list index grows the list", "l[2].x", "v", setAuto,
			map[string]any{"l": []any{nil, nil, map[string]any{"x": "v"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := map[string]any{}
			err := applySet(got, tt.name, tt.value, tt.typ)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestApplySetOverExistingValues(t *testing.T) {
	values := map[string]any{"a": map[string]any{"keep": "x", "b": "scalar"}}
	if err := applySet(values, "a.b.c", "1", setAuto); err != nil {
		t.Fatal(err)
	}
	if err := applySetList(values, "args", []string{"--x", "2"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a":    map[string]any{"keep": "x", "b": map[string]any{"c": json.Number("1")}},
		"args": []any{"--x", json.Number("2")},
	}
	if !reflect.DeepEqual(values, want) {
		t.Fatalf("got %#v\nwant %#v", values, want)
	}
}

func TestMergeValues(t *testing.T) {
	a := map[string]any{"m": map[string]any{"x": "1", "y": "1"}, "l": []any{"a", "b"}, "s": "a"}
	b := map[string]any{"m": map[string]any{"y": "2", "z": "2"}, "l": []any{"c"}, "s": map[string]any{"now": "map"}}
	want := map[string]any{"m": map[string]any{"x": "1", "y": "2", "z": "2"}, "l": []any{"c"}, "s": map[string]any{"now": "map"}}
	if got := mergeValues(a, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
}

func TestCoalesceNullDeletesDefault(t *testing.T) {
	defaults := map[string]any{"a": map[string]any{"x": "1", "y": "1"}, "b": "keep"}
	user := map[string]any{"a": map[string]any{"x": nil, "z": "2"}}
	want := map[string]any{"a": map[string]any{"y": "1", "z": "2"}, "b": "keep"}
	if got := coalesce(defaults, user); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if _, ok := defaults["a"].(map[string]any)["z"]; ok {
		t.Fatal("coalesce modified the defaults")
	}
}
