// Package testprovider is a fake OpenTofu provider that serves the exact
// schema of a real provider release, read from the JSON that
// `tofu providers schema -json` prints.
//
// The stacks must be type-checked (`tofu init`, `validate`, `plan`, `test`)
// where no provider registry answers and no cloud or cluster exists. OpenTofu
// core does the type checking itself against the provider's schema, so a
// provider that serves the right schema and plans and applies
// deterministically is enough: unknown arguments, wrong types and missing
// required arguments fail exactly as with the real provider.
//
// The package converts the terraform-json schema to plugin protocol 6 (the
// only protocol that knows nested attributes), implements a generic
// tfprotov6.ProviderServer over it, and lays out a filesystem mirror with a
// CLI configuration so that `tofu init` installs the fake providers offline.
package testprovider

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/zclconf/go-cty/cty"
)

// ProviderSchema is one provider's schema converted to plugin protocol 6.
type ProviderSchema struct {
	Provider           *tfprotov6.Schema
	Resources          map[string]*tfprotov6.Schema
	DataSources        map[string]*tfprotov6.Schema
	EphemeralResources map[string]*tfprotov6.Schema
	Functions          map[string]*tfprotov6.Function
}

// LoadSchemaFile reads a `tofu providers schema -json` document that holds
// exactly one provider and returns its address (the key of the schema map,
// e.g. registry.opentofu.org/hashicorp/time) and its schema.
func LoadSchemaFile(path string) (string, *tfjson.ProviderSchema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("read provider schema: %w", err)
	}
	var doc tfjson.ProviderSchemas
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", nil, fmt.Errorf("decode provider schema %s: %w", path, err)
	}
	if len(doc.Schemas) != 1 {
		return "", nil, fmt.Errorf("provider schema %s: want exactly one provider in provider_schemas, found %d", path, len(doc.Schemas))
	}
	for addr, ps := range doc.Schemas {
		if ps != nil {
			return addr, ps, nil
		}
	}
	return "", nil, fmt.Errorf("provider schema %s: the provider entry is empty", path)
}

// ConvertProviderSchema converts every part of a provider schema that the
// test provider serves: provider configuration, resources, data sources,
// ephemeral resources and functions.
func ConvertProviderSchema(ps *tfjson.ProviderSchema) (*ProviderSchema, error) {
	if ps == nil {
		return nil, fmt.Errorf("convert provider schema: schema is nil")
	}
	out := &ProviderSchema{
		Resources:          map[string]*tfprotov6.Schema{},
		DataSources:        map[string]*tfprotov6.Schema{},
		EphemeralResources: map[string]*tfprotov6.Schema{},
		Functions:          map[string]*tfprotov6.Function{},
	}
	var err error
	if ps.ConfigSchema != nil {
		if out.Provider, err = ConvertSchema(ps.ConfigSchema); err != nil {
			return nil, fmt.Errorf("provider configuration: %w", err)
		}
	} else {
		// A provider without configuration still has an (empty) schema.
		out.Provider = &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{}}
	}
	for _, group := range []struct {
		kind string
		in   map[string]*tfjson.Schema
		out  map[string]*tfprotov6.Schema
	}{
		{"resource", ps.ResourceSchemas, out.Resources},
		{"data source", ps.DataSourceSchemas, out.DataSources},
		{"ephemeral resource", ps.EphemeralResourceSchemas, out.EphemeralResources},
	} {
		for name, s := range group.in {
			conv, err := ConvertSchema(s)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", group.kind, name, err)
			}
			group.out[name] = conv
		}
	}
	for name, f := range ps.Functions {
		conv, err := ConvertFunction(f)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", name, err)
		}
		out.Functions[name] = conv
	}
	return out, nil
}

// ConvertSchema converts a resource, data source or provider schema. The
// schema version is kept on the schema and its root block because OpenTofu
// keys state upgrades on it.
func ConvertSchema(s *tfjson.Schema) (*tfprotov6.Schema, error) {
	if s == nil {
		return nil, fmt.Errorf("schema is nil")
	}
	block, err := ConvertBlock(s.Block)
	if err != nil {
		return nil, err
	}
	version := int64(s.Version)
	block.Version = version
	return &tfprotov6.Schema{Version: version, Block: block}, nil
}

// ConvertBlock converts a schema block with its attributes and nested
// blocks. A nil block converts to an empty one, as in the JSON a block
// without attributes may be left out.
func ConvertBlock(b *tfjson.SchemaBlock) (*tfprotov6.SchemaBlock, error) {
	out := &tfprotov6.SchemaBlock{}
	if b == nil {
		return out, nil
	}
	out.Description = b.Description
	out.DescriptionKind = convertDescriptionKind(b.DescriptionKind)
	out.Deprecated = b.Deprecated

	attrs, err := convertAttributes(b.Attributes)
	if err != nil {
		return nil, err
	}
	out.Attributes = attrs

	// Sorted so that the served schema does not depend on map order.
	for _, name := range sortedKeys(b.NestedBlocks) {
		nb := b.NestedBlocks[name]
		if nb == nil {
			return nil, fmt.Errorf("block %s: no definition", name)
		}
		nesting, err := convertBlockNesting(nb.NestingMode)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		inner, err := ConvertBlock(nb.Block)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: name,
			Block:    inner,
			Nesting:  nesting,
			MinItems: int64(nb.MinItems),
			MaxItems: int64(nb.MaxItems),
		})
	}
	return out, nil
}

func convertAttributes(in map[string]*tfjson.SchemaAttribute) ([]*tfprotov6.SchemaAttribute, error) {
	var out []*tfprotov6.SchemaAttribute
	for _, name := range sortedKeys(in) {
		a, err := convertAttribute(name, in[name])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func convertAttribute(name string, a *tfjson.SchemaAttribute) (*tfprotov6.SchemaAttribute, error) {
	if a == nil {
		return nil, fmt.Errorf("attribute %s: no definition", name)
	}
	out := &tfprotov6.SchemaAttribute{
		Name:            name,
		Description:     a.Description,
		DescriptionKind: convertDescriptionKind(a.DescriptionKind),
		Required:        a.Required,
		Optional:        a.Optional,
		Computed:        a.Computed,
		Sensitive:       a.Sensitive,
		Deprecated:      a.Deprecated,
		WriteOnly:       a.WriteOnly,
	}
	switch {
	case a.AttributeNestedType != nil && a.AttributeType != cty.NilType:
		return nil, fmt.Errorf("attribute %s: has both type and nested_type", name)
	case a.AttributeNestedType != nil:
		nt := a.AttributeNestedType
		nesting, err := convertObjectNesting(nt.NestingMode)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		attrs, err := convertAttributes(nt.Attributes)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		// min_items/max_items of nested attributes have no field in
		// protocol 6 (they were dropped from it), so they are not served.
		out.NestedType = &tfprotov6.SchemaObject{Attributes: attrs, Nesting: nesting}
	case a.AttributeType != cty.NilType:
		t, err := ConvertType(a.AttributeType)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		out.Type = t
	default:
		return nil, fmt.Errorf("attribute %s: has neither type nor nested_type", name)
	}
	return out, nil
}

// ConvertType converts a cty type (as decoded from the schema JSON) to the
// equivalent tftypes type; `dynamic` becomes tftypes.DynamicPseudoType.
func ConvertType(t cty.Type) (tftypes.Type, error) {
	switch {
	case t == cty.NilType:
		return nil, fmt.Errorf("missing type")
	case t == cty.DynamicPseudoType:
		return tftypes.DynamicPseudoType, nil
	case t == cty.String:
		return tftypes.String, nil
	case t == cty.Number:
		return tftypes.Number, nil
	case t == cty.Bool:
		return tftypes.Bool, nil
	case t.IsListType():
		et, err := ConvertType(t.ElementType())
		if err != nil {
			return nil, fmt.Errorf("list element: %w", err)
		}
		return tftypes.List{ElementType: et}, nil
	case t.IsSetType():
		et, err := ConvertType(t.ElementType())
		if err != nil {
			return nil, fmt.Errorf("set element: %w", err)
		}
		return tftypes.Set{ElementType: et}, nil
	case t.IsMapType():
		et, err := ConvertType(t.ElementType())
		if err != nil {
			return nil, fmt.Errorf("map element: %w", err)
		}
		return tftypes.Map{ElementType: et}, nil
	case t.IsObjectType():
		attrs := map[string]tftypes.Type{}
		for name, at := range t.AttributeTypes() {
			conv, err := ConvertType(at)
			if err != nil {
				return nil, fmt.Errorf("object attribute %s: %w", name, err)
			}
			attrs[name] = conv
		}
		obj := tftypes.Object{AttributeTypes: attrs}
		if opt := t.OptionalAttributes(); len(opt) > 0 {
			obj.OptionalAttributes = map[string]struct{}{}
			for name := range opt {
				obj.OptionalAttributes[name] = struct{}{}
			}
		}
		return obj, nil
	case t.IsTupleType():
		elems := make([]tftypes.Type, 0, t.Length())
		for i, et := range t.TupleElementTypes() {
			conv, err := ConvertType(et)
			if err != nil {
				return nil, fmt.Errorf("tuple element %d: %w", i, err)
			}
			elems = append(elems, conv)
		}
		return tftypes.Tuple{ElementTypes: elems}, nil
	default:
		return nil, fmt.Errorf("unsupported type %s", t.FriendlyName())
	}
}

// ConvertFunction converts a provider-defined function signature.
func ConvertFunction(f *tfjson.FunctionSignature) (*tfprotov6.Function, error) {
	if f == nil {
		return nil, fmt.Errorf("signature is nil")
	}
	ret, err := ConvertType(f.ReturnType)
	if err != nil {
		return nil, fmt.Errorf("return type: %w", err)
	}
	out := &tfprotov6.Function{
		Summary:            f.Summary,
		Description:        f.Description,
		DeprecationMessage: f.DeprecationMessage,
		Return:             &tfprotov6.FunctionReturn{Type: ret},
	}
	for i, p := range f.Parameters {
		conv, err := convertParameter(p)
		if err != nil {
			return nil, fmt.Errorf("parameter %d: %w", i, err)
		}
		out.Parameters = append(out.Parameters, conv)
	}
	if f.VariadicParameter != nil {
		conv, err := convertParameter(f.VariadicParameter)
		if err != nil {
			return nil, fmt.Errorf("variadic parameter: %w", err)
		}
		out.VariadicParameter = conv
	}
	return out, nil
}

func convertParameter(p *tfjson.FunctionParameter) (*tfprotov6.FunctionParameter, error) {
	if p == nil {
		return nil, fmt.Errorf("parameter is nil")
	}
	t, err := ConvertType(p.Type)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name, err)
	}
	return &tfprotov6.FunctionParameter{
		Name:           p.Name,
		Description:    p.Description,
		AllowNullValue: p.IsNullable,
		Type:           t,
	}, nil
}

// BlockType is the tftypes type of the values of a schema block: an object
// with one attribute per attribute and nested block. DynamicValues sent by
// OpenTofu for a resource or data source decode with it.
func BlockType(b *tfprotov6.SchemaBlock) tftypes.Type {
	return b.ValueType()
}

// SchemaType is BlockType of a schema's root block.
func SchemaType(s *tfprotov6.Schema) tftypes.Type {
	if s == nil {
		return BlockType(nil)
	}
	return BlockType(s.Block)
}

func convertBlockNesting(m tfjson.SchemaNestingMode) (tfprotov6.SchemaNestedBlockNestingMode, error) {
	switch m {
	case tfjson.SchemaNestingModeSingle:
		return tfprotov6.SchemaNestedBlockNestingModeSingle, nil
	case tfjson.SchemaNestingModeGroup:
		return tfprotov6.SchemaNestedBlockNestingModeGroup, nil
	case tfjson.SchemaNestingModeList:
		return tfprotov6.SchemaNestedBlockNestingModeList, nil
	case tfjson.SchemaNestingModeSet:
		return tfprotov6.SchemaNestedBlockNestingModeSet, nil
	case tfjson.SchemaNestingModeMap:
		return tfprotov6.SchemaNestedBlockNestingModeMap, nil
	default:
		return tfprotov6.SchemaNestedBlockNestingModeInvalid, fmt.Errorf("unknown block nesting mode %q", m)
	}
}

func convertObjectNesting(m tfjson.SchemaNestingMode) (tfprotov6.SchemaObjectNestingMode, error) {
	switch m {
	case tfjson.SchemaNestingModeSingle:
		return tfprotov6.SchemaObjectNestingModeSingle, nil
	case tfjson.SchemaNestingModeList:
		return tfprotov6.SchemaObjectNestingModeList, nil
	case tfjson.SchemaNestingModeSet:
		return tfprotov6.SchemaObjectNestingModeSet, nil
	case tfjson.SchemaNestingModeMap:
		return tfprotov6.SchemaObjectNestingModeMap, nil
	default:
		// "group" exists only for blocks.
		return tfprotov6.SchemaObjectNestingModeInvalid, fmt.Errorf("unknown nested attribute nesting mode %q", m)
	}
}

func convertDescriptionKind(k tfjson.SchemaDescriptionKind) tfprotov6.StringKind {
	if k == tfjson.SchemaDescriptionKindMarkdown {
		return tfprotov6.StringKindMarkdown
	}
	return tfprotov6.StringKindPlain
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
