package testprovider

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// decodeJSON decodes a schema fragment as it appears in
// `tofu providers schema -json`, so the tests also cover the cty JSON types.
func decodeJSON[T any](t *testing.T, src string) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(src), &v); err != nil {
		t.Fatalf("decode %s: %v", src, err)
	}
	return &v
}

func TestConvertType(t *testing.T) {
	tests := []struct {
		name string
		json string
		want tftypes.Type
	}{
		{"string", `"string"`, tftypes.String},
		{"number", `"number"`, tftypes.Number},
		{"bool", `"bool"`, tftypes.Bool},
		{"dynamic", `"dynamic"`, tftypes.DynamicPseudoType},
		{"list", `["list","string"]`, tftypes.List{ElementType: tftypes.String}},
		{"set", `["set","number"]`, tftypes.Set{ElementType: tftypes.Number}},
		{"map", `["map","bool"]`, tftypes.Map{ElementType: tftypes.Bool}},
		{"list of maps", `["list",["map","string"]]`, tftypes.List{ElementType: tftypes.Map{ElementType: tftypes.String}}},
		{"object", `["object",{"a":"string","b":["list","number"]}]`, tftypes.Object{AttributeTypes: map[string]tftypes.Type{
			"a": tftypes.String, "b": tftypes.List{ElementType: tftypes.Number},
		}}},
		{"object with optional attribute", `["object",{"a":"string","b":"number"},["b"]]`, tftypes.Object{
			AttributeTypes:     map[string]tftypes.Type{"a": tftypes.String, "b": tftypes.Number},
			OptionalAttributes: map[string]struct{}{"b": {}},
		}},
		{"tuple", `["tuple",["string","bool"]]`, tftypes.Tuple{ElementTypes: []tftypes.Type{tftypes.String, tftypes.Bool}}},
		{"map of dynamic", `["map","dynamic"]`, tftypes.Map{ElementType: tftypes.DynamicPseudoType}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attr := decodeJSON[tfjson.SchemaAttribute](t, `{"type":`+tt.json+`,"optional":true}`)
			got, err := ConvertType(attr.AttributeType)
			if err != nil {
				t.Fatalf("ConvertType: %v", err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestConvertAttributeFlags(t *testing.T) {
	tests := []struct {
		name string
		json string
		want tfprotov6.SchemaAttribute
	}{
		{"required", `{"type":"string","required":true,"description":"the name","description_kind":"plain"}`,
			tfprotov6.SchemaAttribute{Name: "a", Type: tftypes.String, Required: true, Description: "the name", DescriptionKind: tfprotov6.StringKindPlain}},
		{"optional computed", `{"type":"number","optional":true,"computed":true}`,
			tfprotov6.SchemaAttribute{Name: "a", Type: tftypes.Number, Optional: true, Computed: true}},
		{"computed sensitive", `{"type":"string","computed":true,"sensitive":true}`,
			tfprotov6.SchemaAttribute{Name: "a", Type: tftypes.String, Computed: true, Sensitive: true}},
		{"deprecated markdown", `{"type":"bool","optional":true,"deprecated":true,"description":"use *b*","description_kind":"markdown"}`,
			tfprotov6.SchemaAttribute{Name: "a", Type: tftypes.Bool, Optional: true, Deprecated: true, Description: "use *b*", DescriptionKind: tfprotov6.StringKindMarkdown}},
		{"write only", `{"type":"string","optional":true,"write_only":true}`,
			tfprotov6.SchemaAttribute{Name: "a", Type: tftypes.String, Optional: true, WriteOnly: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block := decodeJSON[tfjson.SchemaBlock](t, `{"attributes":{"a":`+tt.json+`}}`)
			got, err := ConvertBlock(block)
			if err != nil {
				t.Fatalf("ConvertBlock: %v", err)
			}
			if len(got.Attributes) != 1 {
				t.Fatalf("got %d attributes, want 1", len(got.Attributes))
			}
			a := *got.Attributes[0]
			if !a.Type.Equal(tt.want.Type) {
				t.Errorf("type %s, want %s", a.Type, tt.want.Type)
			}
			a.Type, tt.want.Type = nil, nil
			if a != tt.want {
				t.Errorf("got %+v\nwant %+v", a, tt.want)
			}
		})
	}
}

func TestConvertNestedBlocks(t *testing.T) {
	inner := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"port": tftypes.Number}}
	tests := []struct {
		name     string
		json     string
		nesting  tfprotov6.SchemaNestedBlockNestingMode
		min, max int64
		want     tftypes.Type
	}{
		{"single", `{"nesting_mode":"single","block":{"attributes":{"port":{"type":"number","optional":true}}}}`,
			tfprotov6.SchemaNestedBlockNestingModeSingle, 0, 0, inner},
		{"group", `{"nesting_mode":"group","block":{"attributes":{"port":{"type":"number","optional":true}}}}`,
			tfprotov6.SchemaNestedBlockNestingModeGroup, 0, 0, inner},
		{"list with bounds", `{"nesting_mode":"list","min_items":1,"max_items":3,"block":{"attributes":{"port":{"type":"number","required":true}}}}`,
			tfprotov6.SchemaNestedBlockNestingModeList, 1, 3, tftypes.List{ElementType: inner}},
		{"set", `{"nesting_mode":"set","max_items":10,"block":{"attributes":{"port":{"type":"number","required":true}}}}`,
			tfprotov6.SchemaNestedBlockNestingModeSet, 0, 10, tftypes.Set{ElementType: inner}},
		{"map", `{"nesting_mode":"map","block":{"attributes":{"port":{"type":"number","required":true}}}}`,
			tfprotov6.SchemaNestedBlockNestingModeMap, 0, 0, tftypes.Map{ElementType: inner}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block := decodeJSON[tfjson.SchemaBlock](t, `{"block_types":{"rule":`+tt.json+`},"deprecated":true,"description":"outer"}`)
			got, err := ConvertBlock(block)
			if err != nil {
				t.Fatalf("ConvertBlock: %v", err)
			}
			if !got.Deprecated || got.Description != "outer" {
				t.Errorf("block deprecated=%v description=%q, want true, outer", got.Deprecated, got.Description)
			}
			if len(got.BlockTypes) != 1 {
				t.Fatalf("got %d block types, want 1", len(got.BlockTypes))
			}
			nb := got.BlockTypes[0]
			if nb.TypeName != "rule" || nb.Nesting != tt.nesting || nb.MinItems != tt.min || nb.MaxItems != tt.max {
				t.Errorf("got %s nesting %s min %d max %d, want rule %s %d %d", nb.TypeName, nb.Nesting, nb.MinItems, nb.MaxItems, tt.nesting, tt.min, tt.max)
			}
			if len(nb.Block.Attributes) != 1 || nb.Block.Attributes[0].Name != "port" {
				t.Errorf("inner attributes %+v, want port", nb.Block.Attributes)
			}
			wantBlock := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"rule": tt.want}}
			if bt := BlockType(got); !bt.Equal(wantBlock) {
				t.Errorf("BlockType %s, want %s", bt, wantBlock)
			}
		})
	}
}

func TestConvertNestedAttributes(t *testing.T) {
	inner := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"url": tftypes.String, "ip": tftypes.String}}
	tests := []struct {
		name    string
		nesting string
		want    tfprotov6.SchemaObjectNestingMode
		typ     tftypes.Type
	}{
		{"single", "single", tfprotov6.SchemaObjectNestingModeSingle, inner},
		{"list", "list", tfprotov6.SchemaObjectNestingModeList, tftypes.List{ElementType: inner}},
		{"set", "set", tfprotov6.SchemaObjectNestingModeSet, tftypes.Set{ElementType: inner}},
		{"map", "map", tfprotov6.SchemaObjectNestingModeMap, tftypes.Map{ElementType: inner}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block := decodeJSON[tfjson.SchemaBlock](t, `{"attributes":{"endpoint":{"optional":true,"sensitive":true,"nested_type":{"nesting_mode":"`+tt.nesting+`",
				"attributes":{"url":{"type":"string","required":true},"ip":{"type":"string","computed":true}}}}}}`)
			got, err := ConvertBlock(block)
			if err != nil {
				t.Fatalf("ConvertBlock: %v", err)
			}
			a := got.Attributes[0]
			if a.Type != nil || a.NestedType == nil {
				t.Fatalf("attribute type %v nested %v, want only a nested type", a.Type, a.NestedType)
			}
			if !a.Optional || !a.Sensitive {
				t.Errorf("flags optional=%v sensitive=%v, want both", a.Optional, a.Sensitive)
			}
			if a.NestedType.Nesting != tt.want {
				t.Errorf("nesting %s, want %s", a.NestedType.Nesting, tt.want)
			}
			names := []string{}
			for _, na := range a.NestedType.Attributes {
				names = append(names, na.Name)
			}
			if strings.Join(names, ",") != "ip,url" || !a.NestedType.Attributes[0].Computed || !a.NestedType.Attributes[1].Required {
				t.Errorf("nested attributes %v, want ip (computed), url (required)", names)
			}
			if vt := a.ValueType(); !vt.Equal(tt.typ) {
				t.Errorf("value type %s, want %s", vt, tt.typ)
			}
		})
	}
}

func TestConvertSchemaVersionAndOrder(t *testing.T) {
	s := decodeJSON[tfjson.Schema](t, `{"version":3,"block":{"attributes":{"z":{"type":"string","optional":true},"a":{"type":"string","optional":true}},
		"block_types":{"y":{"nesting_mode":"list","block":{}},"b":{"nesting_mode":"list","block":{}}}}}`)
	got, err := ConvertSchema(s)
	if err != nil {
		t.Fatalf("ConvertSchema: %v", err)
	}
	if got.Version != 3 || got.Block.Version != 3 {
		t.Errorf("version %d, block version %d, want 3 and 3", got.Version, got.Block.Version)
	}
	if got.Block.Attributes[0].Name != "a" || got.Block.BlockTypes[0].TypeName != "b" {
		t.Errorf("attributes and blocks not sorted by name")
	}
}

func TestConvertFunction(t *testing.T) {
	f := decodeJSON[tfjson.FunctionSignature](t, `{"summary":"parse","description":"parses","deprecation_message":"old",
		"return_type":["object",{"hours":"number"}],
		"parameters":[{"name":"duration","type":"string","description":"a duration"},{"name":"opt","type":"dynamic","is_nullable":true}],
		"variadic_parameter":{"name":"rest","type":["list","string"]}}`)
	got, err := ConvertFunction(f)
	if err != nil {
		t.Fatalf("ConvertFunction: %v", err)
	}
	if got.Summary != "parse" || got.Description != "parses" || got.DeprecationMessage != "old" {
		t.Errorf("texts %q %q %q", got.Summary, got.Description, got.DeprecationMessage)
	}
	wantRet := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"hours": tftypes.Number}}
	if !got.Return.Type.Equal(wantRet) {
		t.Errorf("return %s, want %s", got.Return.Type, wantRet)
	}
	if len(got.Parameters) != 2 {
		t.Fatalf("got %d parameters, want 2", len(got.Parameters))
	}
	p0, p1 := got.Parameters[0], got.Parameters[1]
	if p0.Name != "duration" || !p0.Type.Equal(tftypes.String) || p0.AllowNullValue || p0.Description != "a duration" {
		t.Errorf("parameter 0: %+v", p0)
	}
	if p1.Name != "opt" || !p1.Type.Equal(tftypes.DynamicPseudoType) || !p1.AllowNullValue {
		t.Errorf("parameter 1: %+v", p1)
	}
	if v := got.VariadicParameter; v == nil || v.Name != "rest" || !v.Type.Equal(tftypes.List{ElementType: tftypes.String}) {
		t.Errorf("variadic parameter: %+v", v)
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"attribute without type", `{"attributes":{"a":{"optional":true}}}`, "neither type nor nested_type"},
		{"bad block nesting", `{"block_types":{"b":{"nesting_mode":"bag","block":{}}}}`, `unknown block nesting mode "bag"`},
		{"group nested attribute", `{"attributes":{"a":{"optional":true,"nested_type":{"nesting_mode":"group","attributes":{}}}}}`, `nesting mode "group"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ConvertBlock(decodeJSON[tfjson.SchemaBlock](t, tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestConvertProviderSchemaParts(t *testing.T) {
	ps := decodeJSON[tfjson.ProviderSchema](t, `{
		"provider":{"version":0,"block":{"attributes":{"token":{"type":"string","optional":true,"sensitive":true}}}},
		"resource_schemas":{"x_thing":{"version":1,"block":{"attributes":{"id":{"type":"string","computed":true}}}}},
		"data_source_schemas":{"x_info":{"version":0,"block":{}}},
		"functions":{"f":{"return_type":"string"}}}`)
	got, err := ConvertProviderSchema(ps)
	if err != nil {
		t.Fatalf("ConvertProviderSchema: %v", err)
	}
	if got.Provider.Block.Attributes[0].Name != "token" || got.Resources["x_thing"].Version != 1 || got.DataSources["x_info"] == nil || got.Functions["f"] == nil {
		t.Errorf("converted schema misses parts: %+v", got)
	}
	empty, err := ConvertProviderSchema(&tfjson.ProviderSchema{})
	if err != nil || empty.Provider == nil || empty.Provider.Block == nil {
		t.Errorf("schema without provider block: %+v, %v; want an empty provider schema", empty, err)
	}
}

func TestConvertSharedSchemas(t *testing.T) {
	dir := testenv.Shared(t, "provider-schemas")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no schema files in %s", dir)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			addr, raw, err := LoadSchemaFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(addr, "registry.opentofu.org/") {
				t.Errorf("address %q is not a registry.opentofu.org address", addr)
			}
			got, err := ConvertProviderSchema(raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Resources) != len(raw.ResourceSchemas) || len(got.DataSources) != len(raw.DataSourceSchemas) || len(got.Functions) != len(raw.Functions) {
				t.Errorf("converted %d resources, %d data sources, %d functions; want %d, %d, %d",
					len(got.Resources), len(got.DataSources), len(got.Functions),
					len(raw.ResourceSchemas), len(raw.DataSourceSchemas), len(raw.Functions))
			}
			for name, s := range got.Resources {
				if s.Version != int64(raw.ResourceSchemas[name].Version) {
					t.Errorf("resource %s: version %d, want %d", name, s.Version, raw.ResourceSchemas[name].Version)
				}
			}
		})
	}
}
