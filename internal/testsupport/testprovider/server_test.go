package testprovider

import (
	"context"
	"math/big"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// testSchema has one resource and one data source with computed
// attributes at the top level, in list, set and single nested blocks, in a
// nested attribute and of dynamic type.
const testSchema = `{
	"provider": {"version": 0, "block": {"attributes": {"endpoint": {"type": "string", "optional": true}}}},
	"resource_schemas": {"test_thing": {"version": 1, "block": {
		"attributes": {
			"id":        {"type": "string", "computed": true},
			"name":      {"type": "string", "required": true},
			"size":      {"type": "number", "optional": true, "computed": true},
			"enabled":   {"type": "bool", "computed": true},
			"labels":    {"type": ["map", "string"], "computed": true},
			"extra":     {"type": "dynamic", "computed": true},
			"status":    {"type": ["object", {"phase": "string", "ready": "bool"}], "computed": true},
			"endpoints": {"optional": true, "nested_type": {"nesting_mode": "list", "attributes": {
				"url": {"type": "string", "required": true},
				"ip":  {"type": "string", "computed": true}}}}
		},
		"block_types": {
			"rule": {"nesting_mode": "list", "block": {"attributes": {
				"port":    {"type": "number", "required": true},
				"rule_id": {"type": "string", "computed": true}}}},
			"tag": {"nesting_mode": "set", "block": {"attributes": {
				"key":  {"type": "string", "required": true},
				"hash": {"type": "string", "computed": true}}}},
			"cfg": {"nesting_mode": "single", "block": {"attributes": {
				"mode":  {"type": "string", "optional": true},
				"state": {"type": "string", "computed": true}}}}
		}}}},
	"data_source_schemas": {"test_info": {"version": 0, "block": {"attributes": {
		"id":     {"type": "string", "computed": true},
		"name":   {"type": "string", "required": true},
		"region": {"type": "string", "optional": true, "computed": true},
		"items":  {"type": ["list", "string"], "computed": true}
	}}}},
	"functions": {"echo": {"return_type": "string", "parameters": [{"name": "s", "type": "string"}]}}
}`

func testServer(t *testing.T) (*Server, *ProviderSchema) {
	t.Helper()
	schema, err := ConvertProviderSchema(decodeJSON[tfjson.ProviderSchema](t, testSchema))
	if err != nil {
		t.Fatalf("ConvertProviderSchema: %v", err)
	}
	return NewServer(schema), schema
}

// attrValues builds an object of typ from the given attributes; the
// others are null.
func attrValues(typ tftypes.Type, vals map[string]tftypes.Value) tftypes.Value {
	obj := typ.(tftypes.Object)
	all := map[string]tftypes.Value{}
	for name, at := range obj.AttributeTypes {
		if v, ok := vals[name]; ok {
			all[name] = v
		} else {
			all[name] = tftypes.NewValue(at, nil)
		}
	}
	return tftypes.NewValue(typ, all)
}

type thingTypes struct {
	thing, rule, tag, cfg, endpoint tftypes.Object
	rules, tags, endpoints          tftypes.Type
}

func typesOf(schema *ProviderSchema) thingTypes {
	thing := SchemaType(schema.Resources["test_thing"]).(tftypes.Object)
	tt := thingTypes{
		thing:     thing,
		rules:     thing.AttributeTypes["rule"],
		tags:      thing.AttributeTypes["tag"],
		cfg:       thing.AttributeTypes["cfg"].(tftypes.Object),
		endpoints: thing.AttributeTypes["endpoints"],
	}
	tt.rule = tt.rules.(tftypes.List).ElementType.(tftypes.Object)
	tt.tag = tt.tags.(tftypes.Set).ElementType.(tftypes.Object)
	tt.endpoint = tt.endpoints.(tftypes.List).ElementType.(tftypes.Object)
	return tt
}

// createConfig is a configuration of test_thing with one nested object of
// each kind; as a proposed new state on create it is the same value.
func createConfig(tt thingTypes, ports ...int) tftypes.Value {
	var rules []tftypes.Value
	for _, p := range ports {
		rules = append(rules, attrValues(tt.rule, map[string]tftypes.Value{"port": tftypes.NewValue(tftypes.Number, p)}))
	}
	return attrValues(tt.thing, map[string]tftypes.Value{
		"name": tftypes.NewValue(tftypes.String, "web"),
		"rule": tftypes.NewValue(tt.rules, rules),
		"tag": tftypes.NewValue(tt.tags, []tftypes.Value{
			attrValues(tt.tag, map[string]tftypes.Value{"key": tftypes.NewValue(tftypes.String, "env")}),
		}),
		"cfg": attrValues(tt.cfg, map[string]tftypes.Value{"mode": tftypes.NewValue(tftypes.String, "fast")}),
		"endpoints": tftypes.NewValue(tt.endpoints, []tftypes.Value{
			attrValues(tt.endpoint, map[string]tftypes.Value{"url": tftypes.NewValue(tftypes.String, "https://a")}),
		}),
	})
}

func dynamicValue(t *testing.T, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		t.Fatalf("NewDynamicValue: %v", err)
	}
	return &dv
}

// at returns the value at a path given as attribute names and list indexes.
func at(t *testing.T, v tftypes.Value, steps ...any) tftypes.Value {
	t.Helper()
	p := tftypes.NewAttributePath()
	for _, s := range steps {
		switch s := s.(type) {
		case string:
			p = p.WithAttributeName(s)
		case int:
			p = p.WithElementKeyInt(s)
		}
	}
	got, _, err := tftypes.WalkAttributePath(v, p)
	if err != nil {
		t.Fatalf("no value at %s: %v", p, err)
	}
	return got.(tftypes.Value)
}

// setElem returns the only element of the set at the path.
func setElem(t *testing.T, v tftypes.Value, steps ...any) tftypes.Value {
	t.Helper()
	var elems []tftypes.Value
	if err := at(t, v, steps...).As(&elems); err != nil || len(elems) != 1 {
		t.Fatalf("set at %v: %d elements, %v", steps, len(elems), err)
	}
	return elems[0]
}

func plan(t *testing.T, s *Server, typ tftypes.Type, prior, proposed, config tftypes.Value) tftypes.Value {
	t.Helper()
	resp, err := s.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName:         "test_thing",
		PriorState:       dynamicValue(t, typ, prior),
		ProposedNewState: dynamicValue(t, typ, proposed),
		Config:           dynamicValue(t, typ, config),
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("PlanResourceChange: %v %v", err, diagText(resp.Diagnostics))
	}
	if len(resp.RequiresReplace) > 0 {
		t.Errorf("RequiresReplace %v, want none", resp.RequiresReplace)
	}
	v, err := resp.PlannedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func apply(t *testing.T, s *Server, typ tftypes.Type, prior, planned, config tftypes.Value) tftypes.Value {
	t.Helper()
	resp, err := s.ApplyResourceChange(context.Background(), &tfprotov6.ApplyResourceChangeRequest{
		TypeName:     "test_thing",
		PriorState:   dynamicValue(t, typ, prior),
		PlannedState: dynamicValue(t, typ, planned),
		Config:       dynamicValue(t, typ, config),
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("ApplyResourceChange: %v %v", err, diagText(resp.Diagnostics))
	}
	v, err := resp.NewState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func diagText(diags []*tfprotov6.Diagnostic) string {
	var parts []string
	for _, d := range diags {
		parts = append(parts, d.Summary+": "+d.Detail)
	}
	return strings.Join(parts, "; ")
}

func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func TestPlanCreate(t *testing.T) {
	s, schema := testServer(t)
	tt := typesOf(schema)
	config := createConfig(tt, 80)
	planned := plan(t, s, tt.thing, tftypes.NewValue(tt.thing, nil), config, config)

	tests := []struct {
		name    string
		value   tftypes.Value
		unknown bool
	}{
		{"id", at(t, planned, "id"), true},
		{"optional computed size", at(t, planned, "size"), true},
		{"computed bool", at(t, planned, "enabled"), true},
		{"computed map", at(t, planned, "labels"), true},
		{"computed dynamic", at(t, planned, "extra"), true},
		{"computed object", at(t, planned, "status"), true},
		{"list block computed", at(t, planned, "rule", 0, "rule_id"), true},
		{"set block computed", at(t, setElem(t, planned, "tag"), "hash"), true},
		{"single block computed", at(t, planned, "cfg", "state"), true},
		{"nested attribute computed", at(t, planned, "endpoints", 0, "ip"), true},
		{"required name", at(t, planned, "name"), false},
		{"list block required", at(t, planned, "rule", 0, "port"), false},
		{"set block required", at(t, setElem(t, planned, "tag"), "key"), false},
		{"single block optional", at(t, planned, "cfg", "mode"), false},
		{"nested attribute required", at(t, planned, "endpoints", 0, "url"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := !tc.value.IsKnown(); got != tc.unknown {
				t.Errorf("unknown = %v, want %v (value %s)", got, tc.unknown, tc.value)
			}
		})
	}
	if !at(t, planned, "name").Equal(str("web")) {
		t.Errorf("name %s, want web", at(t, planned, "name"))
	}
}

func TestApplyDeterministic(t *testing.T) {
	s, schema := testServer(t)
	tt := typesOf(schema)
	config := createConfig(tt, 80)
	null := tftypes.NewValue(tt.thing, nil)
	planned := plan(t, s, tt.thing, null, config, config)
	first := apply(t, s, tt.thing, null, planned, config)
	second := apply(t, s, tt.thing, null, planned, config)
	if !first.Equal(second) {
		t.Fatalf("two applies of one plan differ:\n%s\n%s", first, second)
	}
	if !first.IsFullyKnown() {
		t.Fatalf("applied state has unknowns: %s", first)
	}

	id := at(t, first, "id")
	var idStr string
	if err := id.As(&idStr); err != nil || !strings.HasPrefix(idStr, "test_thing-") {
		t.Errorf("id %s, want test_thing-<hash>", id)
	}
	tests := []struct {
		name string
		got  tftypes.Value
		want tftypes.Value
	}{
		{"number", at(t, first, "size"), tftypes.NewValue(tftypes.Number, 0)},
		{"bool", at(t, first, "enabled"), tftypes.NewValue(tftypes.Bool, false)},
		{"map", at(t, first, "labels"), tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{})},
		{"dynamic", at(t, first, "extra"), tftypes.NewValue(tftypes.DynamicPseudoType, nil)},
		{"object", at(t, first, "status", "phase"), str("computed-status.phase")},
		{"list block", at(t, first, "rule", 0, "rule_id"), str("computed-rule.0.rule_id")},
		{"set block", at(t, setElem(t, first, "tag"), "hash"), str("computed-tag.*.hash")},
		{"single block", at(t, first, "cfg", "state"), str("computed-cfg.state")},
		{"nested attribute", at(t, first, "endpoints", 0, "ip"), str("computed-endpoints.0.ip")},
		{"config kept", at(t, first, "cfg", "mode"), str("fast")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.got.Equal(tc.want) && !(tc.got.IsNull() && tc.want.IsNull()) {
				t.Errorf("got %s, want %s", tc.got, tc.want)
			}
		})
	}

	// Another configuration gets another id.
	other := attrValues(tt.thing, map[string]tftypes.Value{"name": str("db")})
	otherState := apply(t, s, tt.thing, null, plan(t, s, tt.thing, null, other, other), other)
	if at(t, otherState, "id").Equal(id) {
		t.Errorf("different configurations got the same id %s", id)
	}
}

func TestDestroy(t *testing.T) {
	s, schema := testServer(t)
	tt := typesOf(schema)
	config := createConfig(tt, 80)
	null := tftypes.NewValue(tt.thing, nil)
	state := apply(t, s, tt.thing, null, plan(t, s, tt.thing, null, config, config), config)

	planned := plan(t, s, tt.thing, state, null, null)
	if !planned.IsNull() {
		t.Errorf("planned destroy %s, want null", planned)
	}
	if got := apply(t, s, tt.thing, state, null, null); !got.IsNull() {
		t.Errorf("applied destroy %s, want null", got)
	}
}

// proposeUpdate mimics core's proposed new state for an update: the new
// config with the prior values of computed attributes the config leaves
// null, list elements matched by index, set elements matched when equal
// apart from computed attributes.
func proposeUpdate(t *testing.T, tt thingTypes, prior, config tftypes.Value) tftypes.Value {
	t.Helper()
	var cfg, old map[string]tftypes.Value
	if err := config.As(&cfg); err != nil {
		t.Fatal(err)
	}
	if err := prior.As(&old); err != nil {
		t.Fatal(err)
	}
	out := map[string]tftypes.Value{}
	for k, v := range cfg {
		out[k] = v
	}
	for _, k := range []string{"id", "size", "enabled", "labels", "extra", "status"} {
		if cfg[k].IsNull() {
			out[k] = old[k]
		}
	}
	var cfgRules, oldRules []tftypes.Value
	_ = cfg["rule"].As(&cfgRules)
	_ = old["rule"].As(&oldRules)
	var rules []tftypes.Value
	for i, r := range cfgRules {
		if i < len(oldRules) {
			var rm, om map[string]tftypes.Value
			_ = r.As(&rm)
			_ = oldRules[i].As(&om)
			rm["rule_id"] = om["rule_id"]
			r = tftypes.NewValue(tt.rule, rm)
		}
		rules = append(rules, r)
	}
	out["rule"] = tftypes.NewValue(tt.rules, rules)
	// One tag in both; its key is unchanged, so the prior element matches.
	out["tag"] = old["tag"]
	var cm, om map[string]tftypes.Value
	_ = cfg["cfg"].As(&cm)
	_ = old["cfg"].As(&om)
	cm["state"] = om["state"]
	out["cfg"] = tftypes.NewValue(tt.cfg, cm)
	out["endpoints"] = old["endpoints"]
	return tftypes.NewValue(tt.thing, out)
}

func TestPlanUpdateKeepsComputed(t *testing.T) {
	s, schema := testServer(t)
	tt := typesOf(schema)
	null := tftypes.NewValue(tt.thing, nil)
	config := createConfig(tt, 80)
	state := apply(t, s, tt.thing, null, plan(t, s, tt.thing, null, config, config), config)

	t.Run("unchanged config plans the prior state", func(t *testing.T) {
		planned := plan(t, s, tt.thing, state, proposeUpdate(t, tt, state, config), config)
		if !planned.Equal(state) {
			t.Errorf("planned %s\nwant prior %s", planned, state)
		}
	})

	t.Run("new nested object gets unknown computed values", func(t *testing.T) {
		newConfig := createConfig(tt, 80, 443)
		planned := plan(t, s, tt.thing, state, proposeUpdate(t, tt, state, newConfig), newConfig)
		tests := []struct {
			name    string
			got     tftypes.Value
			unknown bool
			want    tftypes.Value
		}{
			{"id kept", at(t, planned, "id"), false, at(t, state, "id")},
			{"size kept", at(t, planned, "size"), false, at(t, state, "size")},
			{"dynamic null kept", at(t, planned, "extra"), false, at(t, state, "extra")},
			{"existing rule kept", at(t, planned, "rule", 0, "rule_id"), false, str("computed-rule.0.rule_id")},
			{"new rule unknown", at(t, planned, "rule", 1, "rule_id"), true, tftypes.Value{}},
			{"set element kept", at(t, setElem(t, planned, "tag"), "hash"), false, str("computed-tag.*.hash")},
			{"single block kept", at(t, planned, "cfg", "state"), false, str("computed-cfg.state")},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if tc.unknown {
					if tc.got.IsKnown() {
						t.Errorf("got %s, want unknown", tc.got)
					}
					return
				}
				if !tc.got.Equal(tc.want) && !(tc.got.IsNull() && tc.want.IsNull()) {
					t.Errorf("got %s, want %s", tc.got, tc.want)
				}
			})
		}
		applied := apply(t, s, tt.thing, state, planned, newConfig)
		if got := at(t, applied, "rule", 1, "rule_id"); !got.Equal(str("computed-rule.1.rule_id")) {
			t.Errorf("applied new rule_id %s", got)
		}
		if !at(t, applied, "id").Equal(at(t, state, "id")) {
			t.Errorf("id changed on update: %s -> %s", at(t, state, "id"), at(t, applied, "id"))
		}
	})
}

func TestReadDataSource(t *testing.T) {
	s, schema := testServer(t)
	typ := SchemaType(schema.DataSources["test_info"])
	read := func(config tftypes.Value) tftypes.Value {
		t.Helper()
		resp, err := s.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{
			TypeName: "test_info",
			Config:   dynamicValue(t, typ, config),
		})
		if err != nil || len(resp.Diagnostics) > 0 {
			t.Fatalf("ReadDataSource: %v %v", err, diagText(resp.Diagnostics))
		}
		v, err := resp.State.Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	known := attrValues(typ, map[string]tftypes.Value{"name": str("x"), "region": str("eu")})
	got := read(known)
	if !got.IsFullyKnown() {
		t.Errorf("state has unknowns: %s", got)
	}
	if !got.Equal(read(known)) {
		t.Errorf("two reads differ")
	}
	var id string
	_ = at(t, got, "id").As(&id)
	if !strings.HasPrefix(id, "test_info-") {
		t.Errorf("id %q, want test_info-<hash>", id)
	}
	if !at(t, got, "region").Equal(str("eu")) || !at(t, got, "name").Equal(str("x")) {
		t.Errorf("configured values changed: %s", got)
	}
	if !at(t, got, "items").Equal(tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{})) {
		t.Errorf("items %s, want empty list", at(t, got, "items"))
	}

	unknown := attrValues(typ, map[string]tftypes.Value{"name": tftypes.NewValue(tftypes.String, tftypes.UnknownValue)})
	got = read(unknown)
	if at(t, got, "name").IsKnown() {
		t.Errorf("unknown config value became known: %s", at(t, got, "name"))
	}
	if !at(t, got, "region").Equal(str("computed-region")) {
		t.Errorf("region %s, want computed-region", at(t, got, "region"))
	}
}

func TestServerRPCs(t *testing.T) {
	s, schema := testServer(t)
	ctx := context.Background()
	typ := SchemaType(schema.Resources["test_thing"])

	t.Run("GetProviderSchema", func(t *testing.T) {
		resp, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.ResourceSchemas["test_thing"] == nil || resp.DataSourceSchemas["test_info"] == nil || resp.Functions["echo"] == nil || resp.Provider == nil {
			t.Errorf("schema incomplete: %+v", resp)
		}
		if resp.ServerCapabilities == nil || !resp.ServerCapabilities.PlanDestroy {
			t.Errorf("PlanDestroy capability missing")
		}
	})
	t.Run("GetMetadata", func(t *testing.T) {
		resp, err := s.GetMetadata(ctx, &tfprotov6.GetMetadataRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Resources) != 1 || resp.Resources[0].TypeName != "test_thing" || len(resp.DataSources) != 1 || len(resp.Functions) != 1 {
			t.Errorf("metadata %+v", resp)
		}
	})
	t.Run("UpgradeResourceState drops unknown attributes", func(t *testing.T) {
		resp, err := s.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{
			TypeName: "test_thing",
			Version:  0,
			RawState: &tfprotov6.RawState{JSON: []byte(`{"id":"abc","name":"web","gone":true,"size":3}`)},
		})
		if err != nil || len(resp.Diagnostics) > 0 {
			t.Fatalf("UpgradeResourceState: %v %v", err, diagText(resp.Diagnostics))
		}
		v, err := resp.UpgradedState.Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		if !at(t, v, "id").Equal(str("abc")) || !at(t, v, "size").Equal(tftypes.NewValue(tftypes.Number, big.NewFloat(3))) || !at(t, v, "rule").IsNull() {
			t.Errorf("upgraded state %s", v)
		}
	})
	t.Run("ReadResource returns the state", func(t *testing.T) {
		state := dynamicValue(t, typ, attrValues(typ, map[string]tftypes.Value{"name": str("web")}))
		resp, err := s.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "test_thing", CurrentState: state})
		if err != nil || resp.NewState != state {
			t.Errorf("ReadResource: %v, state %v", err, resp.NewState)
		}
	})

	errorCases := []struct {
		name string
		call func() ([]*tfprotov6.Diagnostic, error)
		want string
	}{
		{"unknown resource type", func() ([]*tfprotov6.Diagnostic, error) {
			r, err := s.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: "test_nope"})
			return r.Diagnostics, err
		}, "Unknown resource type"},
		{"unknown data source", func() ([]*tfprotov6.Diagnostic, error) {
			r, err := s.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "test_nope"})
			return r.Diagnostics, err
		}, "Unknown data source type"},
		{"import", func() ([]*tfprotov6.Diagnostic, error) {
			r, err := s.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: "test_thing", ID: "x"})
			return r.Diagnostics, err
		}, notSupported},
		{"move", func() ([]*tfprotov6.Diagnostic, error) {
			r, err := s.MoveResourceState(ctx, &tfprotov6.MoveResourceStateRequest{TargetTypeName: "test_thing"})
			return r.Diagnostics, err
		}, notSupported},
		{"ephemeral", func() ([]*tfprotov6.Diagnostic, error) {
			r, err := s.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{TypeName: "test_thing"})
			return r.Diagnostics, err
		}, notSupported},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			diags, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError || !strings.Contains(diags[0].Summary, tc.want) {
				t.Errorf("diagnostics %q, want one error containing %q", diagText(diags), tc.want)
			}
		})
	}

	t.Run("CallFunction", func(t *testing.T) {
		resp, err := s.CallFunction(ctx, &tfprotov6.CallFunctionRequest{Name: "echo"})
		if err != nil || resp.Error == nil || !strings.Contains(resp.Error.Text, "provider functions are not evaluated by the test provider") {
			t.Errorf("CallFunction: %v %+v", err, resp.Error)
		}
	})
	t.Run("validation accepts", func(t *testing.T) {
		r1, _ := s.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "test_thing"})
		r2, _ := s.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: "test_info"})
		r3, _ := s.ValidateProviderConfig(ctx, &tfprotov6.ValidateProviderConfigRequest{})
		r4, _ := s.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{})
		if len(r1.Diagnostics)+len(r2.Diagnostics)+len(r3.Diagnostics)+len(r4.Diagnostics) > 0 {
			t.Errorf("validation returned diagnostics")
		}
	})
}

// TestFixtures: a fixture replaces the fake value of the attribute it names,
// and only that one.
func TestFixtures(t *testing.T) {
	s, schema := testServer(t)
	typ := SchemaType(schema.DataSources["test_info"])
	config := attrValues(typ, map[string]tftypes.Value{"name": str("x")})
	read := func() tftypes.Value {
		t.Helper()
		resp, err := s.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "test_info", Config: dynamicValue(t, typ, config)})
		if err != nil || len(resp.Diagnostics) > 0 {
			t.Fatalf("ReadDataSource: %v %v", err, diagText(resp.Diagnostics))
		}
		v, err := resp.State.Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := at(t, read(), "region"); !got.Equal(str("computed-region")) {
		t.Fatalf("without fixtures region = %s", got)
	}
	s.Fixtures = Fixtures{"test_info.region": "eu-1", "other_type.region": "nope"}
	got := read()
	if !at(t, got, "region").Equal(str("eu-1")) {
		t.Errorf("fixture not applied: region = %s", at(t, got, "region"))
	}
	if !at(t, got, "name").Equal(str("x")) {
		t.Errorf("configured value changed: %s", at(t, got, "name"))
	}
}
