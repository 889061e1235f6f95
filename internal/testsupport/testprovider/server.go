package testprovider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

const notSupported = "not supported by the test provider"

// Server is a tfprotov6.ProviderServer that serves one converted schema.
// It validates nothing itself (OpenTofu core checks configuration against
// the schema), plans computed values as unknown and applies them with
// deterministic fake values, so that plans and applies are repeatable
// without any real infrastructure.
type Server struct {
	schema *ProviderSchema
	// Fixtures replace the fake value of the computed attributes they name.
	Fixtures Fixtures
}

var _ tfprotov6.ProviderServer = (*Server)(nil)

// NewServer returns a server for a converted provider schema.
func NewServer(schema *ProviderSchema) *Server {
	return &Server{schema: schema}
}

func errorDiags(summary, detail string) []*tfprotov6.Diagnostic {
	return []*tfprotov6.Diagnostic{{
		Severity: tfprotov6.DiagnosticSeverityError,
		Summary:  summary,
		Detail:   detail,
	}}
}

func unsupported(what string) []*tfprotov6.Diagnostic {
	return errorDiags(what+" is "+notSupported, "The test provider only serves the schema of the real provider and fakes plan and apply.")
}

func unknownType(kind, name string) []*tfprotov6.Diagnostic {
	return errorDiags("Unknown "+kind+" type", fmt.Sprintf("The provider schema has no %s type %q.", kind, name))
}

func internalError(err error) []*tfprotov6.Diagnostic {
	return errorDiags("Test provider error", err.Error())
}

// decode reads a DynamicValue; a missing one is a null value of typ.
func decode(dv *tfprotov6.DynamicValue, typ tftypes.Type) (tftypes.Value, error) {
	if dv == nil {
		return tftypes.NewValue(typ, nil), nil
	}
	v, err := dv.Unmarshal(typ)
	if err != nil {
		return tftypes.Value{}, fmt.Errorf("decode value: %w", err)
	}
	return v, nil
}

func encode(typ tftypes.Type, v tftypes.Value) (*tfprotov6.DynamicValue, error) {
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		return nil, fmt.Errorf("encode value: %w", err)
	}
	return &dv, nil
}

// newValue is tftypes.NewValue without its panic.
func newValue(typ tftypes.Type, v any) (tftypes.Value, error) {
	if err := tftypes.ValidateValue(typ, v); err != nil {
		return tftypes.Value{}, err
	}
	return tftypes.NewValue(typ, v), nil
}

// GetMetadata lists the resources, data sources and functions.
func (s *Server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp := &tfprotov6.GetMetadataResponse{ServerCapabilities: capabilities()}
	for _, name := range sortedKeys(s.schema.Resources) {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.schema.DataSources) {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.schema.EphemeralResources) {
		resp.EphemeralResources = append(resp.EphemeralResources, tfprotov6.EphemeralResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.schema.Functions) {
		resp.Functions = append(resp.Functions, tfprotov6.FunctionMetadata{Name: name})
	}
	return resp, nil
}

func capabilities() *tfprotov6.ServerCapabilities {
	// PlanDestroy: core asks the provider to plan destroys too, which the
	// real providers built on the plugin framework also announce.
	return &tfprotov6.ServerCapabilities{PlanDestroy: true}
}

// GetProviderSchema serves the whole schema.
func (s *Server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{
		ServerCapabilities:       capabilities(),
		Provider:                 s.schema.Provider,
		ResourceSchemas:          s.schema.Resources,
		DataSourceSchemas:        s.schema.DataSources,
		EphemeralResourceSchemas: s.schema.EphemeralResources,
		Functions:                s.schema.Functions,
	}, nil
}

// GetResourceIdentitySchemas: the schemas carry no resource identities.
func (s *Server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

// ValidateProviderConfig accepts every configuration core let through.
func (s *Server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

// ConfigureProvider has nothing to connect to.
func (s *Server) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

// StopProvider has nothing to stop.
func (s *Server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

// ValidateResourceConfig accepts every configuration core let through.
func (s *Server) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

// UpgradeResourceState decodes the stored state with the current schema;
// attributes the schema no longer has are dropped, missing ones are null.
func (s *Server) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	schema, ok := s.schema.Resources[req.TypeName]
	if !ok {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: unknownType("resource", req.TypeName)}, nil
	}
	typ := SchemaType(schema)
	if req.RawState == nil {
		dv, err := encode(typ, tftypes.NewValue(typ, nil))
		if err != nil {
			return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: internalError(err)}, nil
		}
		return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: dv}, nil
	}
	v, err := req.RawState.UnmarshalWithOpts(typ, tfprotov6.UnmarshalOpts{
		ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true},
	})
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errorDiags("Cannot decode stored state", fmt.Sprintf("%s: %v", req.TypeName, err))}, nil
	}
	dv, err := encode(typ, v)
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: internalError(err)}, nil
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: dv}, nil
}

// ReadResource reports the state unchanged: nothing exists outside it.
func (s *Server) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

// PlanResourceChange starts from the proposed new state and marks computed
// attributes that neither the configuration nor the prior state sets as
// unknown.
func (s *Server) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	schema, ok := s.schema.Resources[req.TypeName]
	if !ok {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: unknownType("resource", req.TypeName)}, nil
	}
	typ := SchemaType(schema)
	planned, err := PlanValue(schema.Block, req.PriorState, req.ProposedNewState)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: internalError(fmt.Errorf("plan %s: %w", req.TypeName, err))}, nil
	}
	dv, err := encode(typ, planned)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: internalError(err)}, nil
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: dv, PlannedPrivate: req.PriorPrivate}, nil
}

// PlanValue is the planning rule of PlanResourceChange on decoded values:
// a null proposed state (destroy) stays null; otherwise every computed
// attribute that is null in the proposed state and has no prior value at
// the same place (create, or a new nested object) becomes unknown. Core has
// already copied prior values of computed attributes the configuration
// leaves null into the proposed state, so updates keep them.
func PlanValue(block *tfprotov6.SchemaBlock, priorDV, proposedDV *tfprotov6.DynamicValue) (tftypes.Value, error) {
	typ := BlockType(block)
	proposed, err := decode(proposedDV, typ)
	if err != nil {
		return tftypes.Value{}, fmt.Errorf("proposed new state: %w", err)
	}
	if proposed.IsNull() {
		return proposed, nil
	}
	prior, err := decode(priorDV, typ)
	if err != nil {
		return tftypes.Value{}, fmt.Errorf("prior state: %w", err)
	}
	p := computedFiller{fill: func(_ *tftypes.AttributePath, t tftypes.Type) (tftypes.Value, error) {
		return tftypes.NewValue(t, tftypes.UnknownValue), nil
	}}
	return p.block(block, tftypes.NewAttributePath(), proposed, existing(prior))
}

// ApplyResourceChange turns the plan into the new state: every value still
// unknown gets a deterministic fake value.
func (s *Server) ApplyResourceChange(_ context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	schema, ok := s.schema.Resources[req.TypeName]
	if !ok {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: unknownType("resource", req.TypeName)}, nil
	}
	typ := SchemaType(schema)
	newState, err := s.Fixtures.ApplyValue(req.TypeName, schema.Block, req.Config, req.PlannedState)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: internalError(fmt.Errorf("apply %s: %w", req.TypeName, err))}, nil
	}
	dv, err := encode(typ, newState)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: internalError(err)}, nil
	}
	return &tfprotov6.ApplyResourceChangeResponse{NewState: dv, Private: req.PlannedPrivate}, nil
}

// ApplyValue is the rule of ApplyResourceChange on decoded values: a null
// plan (destroy) gives a null state; otherwise unknowns are replaced with
// the fixture for that attribute or FakeValue, the top-level "id" derived
// from typeName and the config.
func (f Fixtures) ApplyValue(typeName string, block *tfprotov6.SchemaBlock, configDV, plannedDV *tfprotov6.DynamicValue) (tftypes.Value, error) {
	typ := BlockType(block)
	planned, err := decode(plannedDV, typ)
	if err != nil {
		return tftypes.Value{}, fmt.Errorf("planned state: %w", err)
	}
	if planned.IsNull() {
		return planned, nil
	}
	config, err := decode(configDV, typ)
	if err != nil {
		return tftypes.Value{}, fmt.Errorf("config: %w", err)
	}
	id := StableID(typeName, config)
	return tftypes.Transform(planned, func(path *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		return f.value(typeName, path, v.Type(), id)
	})
}

// ImportResourceState: there is nothing to import from.
func (s *Server) ImportResourceState(context.Context, *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return &tfprotov6.ImportResourceStateResponse{Diagnostics: unsupported("Import")}, nil
}

// MoveResourceState is not announced in the server capabilities.
func (s *Server) MoveResourceState(context.Context, *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return &tfprotov6.MoveResourceStateResponse{Diagnostics: unsupported("Moving resource state")}, nil
}

// UpgradeResourceIdentity: the schemas carry no resource identities.
func (s *Server) UpgradeResourceIdentity(context.Context, *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return &tfprotov6.UpgradeResourceIdentityResponse{Diagnostics: unsupported("Resource identity")}, nil
}

// GenerateResourceConfig is not announced in the server capabilities.
func (s *Server) GenerateResourceConfig(context.Context, *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return &tfprotov6.GenerateResourceConfigResponse{Diagnostics: unsupported("Generating resource configuration")}, nil
}

// ValidateDataResourceConfig accepts every configuration core let through.
func (s *Server) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

// ReadDataSource returns the configuration with the computed attributes it
// leaves null filled with deterministic fake values.
func (s *Server) ReadDataSource(_ context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	schema, ok := s.schema.DataSources[req.TypeName]
	if !ok {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: unknownType("data source", req.TypeName)}, nil
	}
	typ := SchemaType(schema)
	state, err := s.Fixtures.ReadValue(req.TypeName, schema.Block, req.Config)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: internalError(fmt.Errorf("read %s: %w", req.TypeName, err))}, nil
	}
	dv, err := encode(typ, state)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: internalError(err)}, nil
	}
	return &tfprotov6.ReadDataSourceResponse{State: dv}, nil
}

// ReadValue is the rule of ReadDataSource on decoded values. Unknown
// configuration values stay unknown (core only reads with them at plan
// time, and then accepts unknown results).
func (f Fixtures) ReadValue(typeName string, block *tfprotov6.SchemaBlock, configDV *tfprotov6.DynamicValue) (tftypes.Value, error) {
	config, err := decode(configDV, BlockType(block))
	if err != nil {
		return tftypes.Value{}, fmt.Errorf("config: %w", err)
	}
	if config.IsNull() {
		return config, nil
	}
	id := StableID(typeName, config)
	p := computedFiller{fill: func(path *tftypes.AttributePath, t tftypes.Type) (tftypes.Value, error) {
		return f.value(typeName, path, t, id)
	}}
	return p.block(block, tftypes.NewAttributePath(), config, nil)
}

// ValidateEphemeralResourceConfig accepts every configuration core let through.
func (s *Server) ValidateEphemeralResourceConfig(context.Context, *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov6.ValidateEphemeralResourceConfigResponse{}, nil
}

// OpenEphemeralResource: ephemeral resources are only type-checked.
func (s *Server) OpenEphemeralResource(context.Context, *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: unsupported("Opening an ephemeral resource")}, nil
}

// RenewEphemeralResource: no ephemeral resource is ever opened.
func (s *Server) RenewEphemeralResource(context.Context, *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return &tfprotov6.RenewEphemeralResourceResponse{Diagnostics: unsupported("Renewing an ephemeral resource")}, nil
}

// CloseEphemeralResource: no ephemeral resource is ever opened, so there is
// nothing to close.
func (s *Server) CloseEphemeralResource(context.Context, *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return &tfprotov6.CloseEphemeralResourceResponse{}, nil
}

// GetFunctions lists the provider-defined functions.
func (s *Server) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{Functions: s.schema.Functions}, nil
}

// CallFunction: functions are type-checked by core from their signatures,
// but their real behaviour is not reproduced.
func (s *Server) CallFunction(_ context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return &tfprotov6.CallFunctionResponse{Error: &tfprotov6.FunctionError{
		Text: fmt.Sprintf("provider functions are not evaluated by the test provider (called %s)", req.Name),
	}}, nil
}

// computedFiller walks a value along its schema and replaces the computed
// attributes that are null and have no prior counterpart with fill's
// result. prior is nil where no prior object exists at that place.
type computedFiller struct {
	fill func(path *tftypes.AttributePath, typ tftypes.Type) (tftypes.Value, error)
}

// existing returns a pointer to v if it is a known, non-null value, the
// only case in which its parts are prior counterparts.
func existing(v tftypes.Value) *tftypes.Value {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	return &v
}

func (c computedFiller) block(b *tfprotov6.SchemaBlock, path *tftypes.AttributePath, v tftypes.Value, prior *tftypes.Value) (tftypes.Value, error) {
	return c.object(b.Attributes, b.BlockTypes, path, v, prior)
}

func (c computedFiller) object(attrs []*tfprotov6.SchemaAttribute, blocks []*tfprotov6.SchemaNestedBlock, path *tftypes.AttributePath, v tftypes.Value, prior *tftypes.Value) (tftypes.Value, error) {
	if v.IsNull() || !v.IsKnown() {
		return v, nil
	}
	var vals map[string]tftypes.Value
	if err := v.As(&vals); err != nil {
		return tftypes.Value{}, path.NewError(err)
	}
	var priorVals map[string]tftypes.Value
	if prior != nil {
		if err := prior.As(&priorVals); err != nil {
			return tftypes.Value{}, path.NewError(err)
		}
	}
	priorOf := func(name string) *tftypes.Value {
		if prior == nil {
			return nil
		}
		pv, ok := priorVals[name]
		if !ok {
			return nil
		}
		return &pv
	}
	out := make(map[string]tftypes.Value, len(vals))
	for k, val := range vals {
		out[k] = val
	}
	for _, a := range attrs {
		val, ok := vals[a.Name]
		if !ok {
			continue
		}
		ap := path.WithAttributeName(a.Name)
		pa := priorOf(a.Name)
		switch {
		case a.Computed && val.IsNull() && pa == nil:
			nv, err := c.fill(ap, a.ValueType())
			if err != nil {
				return tftypes.Value{}, err
			}
			out[a.Name] = nv
		case a.NestedType != nil:
			nv, err := c.nested(a.NestedType.Nesting == tfprotov6.SchemaObjectNestingModeSingle, collectionKind(a.NestedType.Nesting), ap, val, pa,
				func(p *tftypes.AttributePath, e tftypes.Value, pe *tftypes.Value) (tftypes.Value, error) {
					return c.object(a.NestedType.Attributes, nil, p, e, pe)
				})
			if err != nil {
				return tftypes.Value{}, err
			}
			out[a.Name] = nv
		}
	}
	for _, nb := range blocks {
		val, ok := vals[nb.TypeName]
		if !ok {
			continue
		}
		single := nb.Nesting == tfprotov6.SchemaNestedBlockNestingModeSingle || nb.Nesting == tfprotov6.SchemaNestedBlockNestingModeGroup
		nv, err := c.nested(single, blockCollectionKind(nb.Nesting), path.WithAttributeName(nb.TypeName), val, priorOf(nb.TypeName),
			func(p *tftypes.AttributePath, e tftypes.Value, pe *tftypes.Value) (tftypes.Value, error) {
				return c.block(nb.Block, p, e, pe)
			})
		if err != nil {
			return tftypes.Value{}, err
		}
		out[nb.TypeName] = nv
	}
	return newValue(v.Type(), out)
}

type collection int

const (
	collectionNone collection = iota
	collectionList
	collectionSet
	collectionMap
)

func collectionKind(m tfprotov6.SchemaObjectNestingMode) collection {
	switch m {
	case tfprotov6.SchemaObjectNestingModeList:
		return collectionList
	case tfprotov6.SchemaObjectNestingModeSet:
		return collectionSet
	case tfprotov6.SchemaObjectNestingModeMap:
		return collectionMap
	}
	return collectionNone
}

func blockCollectionKind(m tfprotov6.SchemaNestedBlockNestingMode) collection {
	switch m {
	case tfprotov6.SchemaNestedBlockNestingModeList:
		return collectionList
	case tfprotov6.SchemaNestedBlockNestingModeSet:
		return collectionSet
	case tfprotov6.SchemaNestedBlockNestingModeMap:
		return collectionMap
	}
	return collectionNone
}

type elemFunc func(path *tftypes.AttributePath, v tftypes.Value, prior *tftypes.Value) (tftypes.Value, error)

// nested applies elem to a single nested object or to each object of a
// list, set or map, pairing it with its prior counterpart: list elements by
// index, map elements by key, and set elements only when an equal prior
// element exists (core copies prior computed values into a set element
// only when it matches a prior one, so an unmatched element is new).
func (c computedFiller) nested(single bool, kind collection, path *tftypes.AttributePath, v tftypes.Value, prior *tftypes.Value, elem elemFunc) (tftypes.Value, error) {
	if v.IsNull() || !v.IsKnown() {
		return v, nil
	}
	if prior != nil {
		prior = existing(*prior)
	}
	if single {
		return elem(path, v, prior)
	}
	switch kind {
	case collectionList, collectionSet:
		var elems, priorElems []tftypes.Value
		if err := v.As(&elems); err != nil {
			return tftypes.Value{}, path.NewError(err)
		}
		if prior != nil {
			if err := prior.As(&priorElems); err != nil {
				return tftypes.Value{}, path.NewError(err)
			}
		}
		out := make([]tftypes.Value, len(elems))
		for i, e := range elems {
			var pe *tftypes.Value
			ep := path.WithElementKeyInt(i)
			if kind == collectionList {
				if i < len(priorElems) {
					pe = existing(priorElems[i])
				}
			} else {
				ep = path.WithElementKeyValue(e)
				if j := slices.IndexFunc(priorElems, e.Equal); j >= 0 {
					pe = existing(priorElems[j])
				}
			}
			ne, err := elem(ep, e, pe)
			if err != nil {
				return tftypes.Value{}, err
			}
			out[i] = ne
		}
		return newValue(v.Type(), out)
	case collectionMap:
		var elems, priorElems map[string]tftypes.Value
		if err := v.As(&elems); err != nil {
			return tftypes.Value{}, path.NewError(err)
		}
		if prior != nil {
			if err := prior.As(&priorElems); err != nil {
				return tftypes.Value{}, path.NewError(err)
			}
		}
		out := make(map[string]tftypes.Value, len(elems))
		for k, e := range elems {
			var pe *tftypes.Value
			if p, ok := priorElems[k]; ok {
				pe = existing(p)
			}
			ne, err := elem(path.WithElementKeyString(k), e, pe)
			if err != nil {
				return tftypes.Value{}, err
			}
			out[k] = ne
		}
		return newValue(v.Type(), out)
	}
	return tftypes.Value{}, path.NewErrorf("invalid nesting mode")
}

// Fixtures are realistic values for computed string attributes, keyed by
// "<type name>.<attribute path>" (for example "digitalocean_vpc.ip_range"),
// where a fake "computed-..." string would fail a validation downstream
// (a CIDR, an IP address). They apply to resources and data sources alike.
type Fixtures map[string]string

func (f Fixtures) value(typeName string, path *tftypes.AttributePath, typ tftypes.Type, id string) (tftypes.Value, error) {
	if v, ok := f[typeName+"."+PathString(path)]; ok && typ.Is(tftypes.String) {
		return tftypes.NewValue(typ, v), nil
	}
	return FakeValue(path, typ, id)
}

// FakeValue is the deterministic stand-in for a value the real provider
// would compute: the string "computed-<path>" (or id for the top-level
// "id" attribute), 0, false, empty collections, objects and tuples filled
// element by element, and null for dynamic values.
func FakeValue(path *tftypes.AttributePath, typ tftypes.Type, id string) (tftypes.Value, error) {
	switch t := typ.(type) {
	case tftypes.List, tftypes.Set:
		return newValue(typ, []tftypes.Value{})
	case tftypes.Map:
		return newValue(typ, map[string]tftypes.Value{})
	case tftypes.Object:
		attrs := make(map[string]tftypes.Value, len(t.AttributeTypes))
		for name, at := range t.AttributeTypes {
			v, err := FakeValue(path.WithAttributeName(name), at, id)
			if err != nil {
				return tftypes.Value{}, err
			}
			attrs[name] = v
		}
		return newValue(typ, attrs)
	case tftypes.Tuple:
		elems := make([]tftypes.Value, len(t.ElementTypes))
		for i, et := range t.ElementTypes {
			v, err := FakeValue(path.WithElementKeyInt(i), et, id)
			if err != nil {
				return tftypes.Value{}, err
			}
			elems[i] = v
		}
		return newValue(typ, elems)
	}
	switch {
	case typ.Is(tftypes.String):
		if isTopLevelID(path) {
			return tftypes.NewValue(typ, id), nil
		}
		return tftypes.NewValue(typ, "computed-"+PathString(path)), nil
	case typ.Is(tftypes.Number):
		return tftypes.NewValue(typ, new(big.Float)), nil
	case typ.Is(tftypes.Bool):
		return tftypes.NewValue(typ, false), nil
	case typ.Is(tftypes.DynamicPseudoType):
		return tftypes.NewValue(typ, nil), nil
	}
	return tftypes.Value{}, path.NewErrorf("no fake value for type %s", typ)
}

func isTopLevelID(path *tftypes.AttributePath) bool {
	steps := path.Steps()
	return len(steps) == 1 && steps[0].Equal(tftypes.AttributeName("id"))
}

// PathString renders an attribute path as in OpenTofu's references:
// attribute names joined by dots, list indexes and map keys as further
// parts, set elements (which have no stable key) as "*".
func PathString(path *tftypes.AttributePath) string {
	var parts []string
	for _, step := range path.Steps() {
		switch s := step.(type) {
		case tftypes.AttributeName:
			parts = append(parts, string(s))
		case tftypes.ElementKeyString:
			parts = append(parts, string(s))
		case tftypes.ElementKeyInt:
			parts = append(parts, strconv.FormatInt(int64(s), 10))
		default:
			parts = append(parts, "*")
		}
	}
	return strings.Join(parts, ".")
}

// StableID derives an id from the type name and a hash of the known values
// of config, so that the same configuration always gets the same id and
// different ones (almost always) differ.
func StableID(typeName string, config tftypes.Value) string {
	var b strings.Builder
	writeCanonical(&b, config)
	sum := sha256.Sum256([]byte(b.String()))
	return typeName + "-" + hex.EncodeToString(sum[:8])
}

// writeCanonical writes v in a form independent of map and set order.
func writeCanonical(b *strings.Builder, v tftypes.Value) {
	switch {
	case !v.IsKnown():
		b.WriteString("?")
		return
	case v.IsNull():
		b.WriteString("null")
		return
	}
	typ := v.Type()
	switch typ.(type) {
	case tftypes.List, tftypes.Tuple, tftypes.Set:
		var elems []tftypes.Value
		_ = v.As(&elems)
		parts := make([]string, len(elems))
		for i, e := range elems {
			var eb strings.Builder
			writeCanonical(&eb, e)
			parts[i] = eb.String()
		}
		if _, ok := typ.(tftypes.Set); ok {
			slices.Sort(parts)
		}
		b.WriteString("[" + strings.Join(parts, ",") + "]")
		return
	case tftypes.Map, tftypes.Object:
		var elems map[string]tftypes.Value
		_ = v.As(&elems)
		b.WriteString("{")
		for i, k := range sortedKeys(elems) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.Quote(k) + ":")
			writeCanonical(b, elems[k])
		}
		b.WriteString("}")
		return
	}
	switch {
	case typ.Is(tftypes.String):
		var s string
		_ = v.As(&s)
		b.WriteString(strconv.Quote(s))
	case typ.Is(tftypes.Number):
		var f big.Float
		_ = v.As(&f)
		b.WriteString(f.Text('g', -1))
	case typ.Is(tftypes.Bool):
		var x bool
		_ = v.As(&x)
		b.WriteString(strconv.FormatBool(x))
	default:
		// A dynamic value keeps its concrete type in v.Type(), so this
		// is not reached for decoded values.
		b.WriteString(v.String())
	}
}
