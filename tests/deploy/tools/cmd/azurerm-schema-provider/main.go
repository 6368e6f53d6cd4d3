// Command azurerm-schema-provider is a stand-in for the azurerm Terraform provider that
// only knows the provider's schema, so that `tofu validate` can check terraform/ offline.
//
// The real provider cannot be installed here (its registry is unreachable, and its build
// takes far longer than the CI budget allows), but OpenTofu's validation of a
// configuration is almost entirely schema-driven: argument names, nesting, types,
// required/optional/computed, deprecations and every expression's type are checked by
// OpenTofu itself against the schema the provider reports. This program reports the
// schema recorded (by `make deploy-tf-schema`, from a real build of the provider) in the
// JSON file named by AZURERM_SCHEMA_JSON, in the format of `tofu providers schema -json`.
//
// What it does not do: the provider's own per-argument validation functions (value ranges,
// name patterns, conflicts between arguments), which need the real provider's code. Any
// call beyond validation (plan, apply, import, ...) is refused.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5/tf5server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

type jsonAttribute struct {
	Type       json.RawMessage `json:"type"`
	NestedType json.RawMessage `json:"nested_type"`
	Required   bool            `json:"required"`
	Optional   bool            `json:"optional"`
	Computed   bool            `json:"computed"`
	Sensitive  bool            `json:"sensitive"`
	Deprecated bool            `json:"deprecated"`
}

type jsonBlockType struct {
	NestingMode string     `json:"nesting_mode"`
	Block       *jsonBlock `json:"block"`
	MinItems    int64      `json:"min_items"`
	MaxItems    int64      `json:"max_items"`
}

type jsonBlock struct {
	Attributes map[string]*jsonAttribute `json:"attributes"`
	BlockTypes map[string]*jsonBlockType `json:"block_types"`
	Deprecated bool                      `json:"deprecated"`
}

type jsonSchema struct {
	Version int64      `json:"version"`
	Block   *jsonBlock `json:"block"`
}

type jsonProviderSchema struct {
	Provider          *jsonSchema            `json:"provider"`
	ResourceSchemas   map[string]*jsonSchema `json:"resource_schemas"`
	DataSourceSchemas map[string]*jsonSchema `json:"data_source_schemas"`
}

type jsonSchemas struct {
	ProviderSchemas map[string]*jsonProviderSchema `json:"provider_schemas"`
}

var nestingModes = map[string]tfprotov5.SchemaNestedBlockNestingMode{
	"single": tfprotov5.SchemaNestedBlockNestingModeSingle,
	"list":   tfprotov5.SchemaNestedBlockNestingModeList,
	"set":    tfprotov5.SchemaNestedBlockNestingModeSet,
	"map":    tfprotov5.SchemaNestedBlockNestingModeMap,
	"group":  tfprotov5.SchemaNestedBlockNestingModeGroup,
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func convertBlock(path string, b *jsonBlock) (*tfprotov5.SchemaBlock, error) {
	out := &tfprotov5.SchemaBlock{Deprecated: b.Deprecated}
	for _, name := range sortedKeys(b.Attributes) {
		a := b.Attributes[name]
		if len(a.NestedType) > 0 {
			return nil, fmt.Errorf("%s.%s: nested attribute types need protocol 6, not supported", path, name)
		}
		//nolint:staticcheck // ParseJSONType is the documented way to read a JSON type.
		t, err := tftypes.ParseJSONType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", path, name, err)
		}
		out.Attributes = append(out.Attributes, &tfprotov5.SchemaAttribute{
			Name: name, Type: t, Required: a.Required, Optional: a.Optional,
			Computed: a.Computed, Sensitive: a.Sensitive, Deprecated: a.Deprecated,
		})
	}
	for _, name := range sortedKeys(b.BlockTypes) {
		bt := b.BlockTypes[name]
		mode, ok := nestingModes[bt.NestingMode]
		if !ok {
			return nil, fmt.Errorf("%s.%s: unknown nesting mode %q", path, name, bt.NestingMode)
		}
		inner := bt.Block
		if inner == nil {
			inner = &jsonBlock{}
		}
		nested, err := convertBlock(path+"."+name, inner)
		if err != nil {
			return nil, err
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov5.SchemaNestedBlock{
			TypeName: name, Block: nested, Nesting: mode, MinItems: bt.MinItems, MaxItems: bt.MaxItems,
		})
	}
	return out, nil
}

func convertSchema(path string, s *jsonSchema) (*tfprotov5.Schema, error) {
	if s == nil || s.Block == nil {
		return &tfprotov5.Schema{Block: &tfprotov5.SchemaBlock{}}, nil
	}
	block, err := convertBlock(path, s.Block)
	if err != nil {
		return nil, err
	}
	return &tfprotov5.Schema{Version: s.Version, Block: block}, nil
}

func loadSchema(file string) (*tfprotov5.GetProviderSchemaResponse, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc jsonSchemas
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.ProviderSchemas) != 1 {
		return nil, fmt.Errorf("%s: expected exactly one provider schema, found %d", file, len(doc.ProviderSchemas))
	}
	var ps *jsonProviderSchema
	for _, v := range doc.ProviderSchemas {
		ps = v
	}
	resp := &tfprotov5.GetProviderSchemaResponse{
		ResourceSchemas:          map[string]*tfprotov5.Schema{},
		DataSourceSchemas:        map[string]*tfprotov5.Schema{},
		Functions:                map[string]*tfprotov5.Function{},
		EphemeralResourceSchemas: map[string]*tfprotov5.Schema{},
		ServerCapabilities:       &tfprotov5.ServerCapabilities{PlanDestroy: true},
	}
	if resp.Provider, err = convertSchema("provider", ps.Provider); err != nil {
		return nil, err
	}
	for name, s := range ps.ResourceSchemas {
		if resp.ResourceSchemas[name], err = convertSchema(name, s); err != nil {
			return nil, err
		}
	}
	for name, s := range ps.DataSourceSchemas {
		if resp.DataSourceSchemas[name], err = convertSchema("data."+name, s); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// server answers the schema and validation calls; everything else is refused.
type server struct {
	tfprotov5.ProviderServer // nil: a call this type does not implement fails loudly
	schema                   *tfprotov5.GetProviderSchemaResponse
}

func refused(what string) []*tfprotov5.Diagnostic {
	return []*tfprotov5.Diagnostic{{
		Severity: tfprotov5.DiagnosticSeverityError,
		Summary:  "azurerm-schema-provider: " + what + " is not supported",
		Detail:   "This stand-in provider only serves the azurerm schema for offline `tofu validate`.",
	}}
}

func (s *server) GetMetadata(context.Context, *tfprotov5.GetMetadataRequest) (*tfprotov5.GetMetadataResponse, error) {
	resp := &tfprotov5.GetMetadataResponse{ServerCapabilities: s.schema.ServerCapabilities}
	for _, name := range sortedKeys(s.schema.ResourceSchemas) {
		resp.Resources = append(resp.Resources, tfprotov5.ResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.schema.DataSourceSchemas) {
		resp.DataSources = append(resp.DataSources, tfprotov5.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov5.GetProviderSchemaRequest) (*tfprotov5.GetProviderSchemaResponse, error) {
	return s.schema, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov5.GetResourceIdentitySchemasRequest) (*tfprotov5.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov5.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov5.ResourceIdentitySchema{}}, nil
}

func (s *server) GetFunctions(context.Context, *tfprotov5.GetFunctionsRequest) (*tfprotov5.GetFunctionsResponse, error) {
	return &tfprotov5.GetFunctionsResponse{Functions: map[string]*tfprotov5.Function{}}, nil
}

func (s *server) PrepareProviderConfig(_ context.Context, req *tfprotov5.PrepareProviderConfigRequest) (*tfprotov5.PrepareProviderConfigResponse, error) {
	return &tfprotov5.PrepareProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) ValidateResourceTypeConfig(context.Context, *tfprotov5.ValidateResourceTypeConfigRequest) (*tfprotov5.ValidateResourceTypeConfigResponse, error) {
	return &tfprotov5.ValidateResourceTypeConfigResponse{}, nil
}

func (s *server) ValidateDataSourceConfig(context.Context, *tfprotov5.ValidateDataSourceConfigRequest) (*tfprotov5.ValidateDataSourceConfigResponse, error) {
	return &tfprotov5.ValidateDataSourceConfigResponse{}, nil
}

func (s *server) ValidateEphemeralResourceConfig(context.Context, *tfprotov5.ValidateEphemeralResourceConfigRequest) (*tfprotov5.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov5.ValidateEphemeralResourceConfigResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov5.StopProviderRequest) (*tfprotov5.StopProviderResponse, error) {
	return &tfprotov5.StopProviderResponse{}, nil
}

func (s *server) ConfigureProvider(context.Context, *tfprotov5.ConfigureProviderRequest) (*tfprotov5.ConfigureProviderResponse, error) {
	return &tfprotov5.ConfigureProviderResponse{Diagnostics: refused("ConfigureProvider (plan/apply)")}, nil
}

func (s *server) PlanResourceChange(context.Context, *tfprotov5.PlanResourceChangeRequest) (*tfprotov5.PlanResourceChangeResponse, error) {
	return &tfprotov5.PlanResourceChangeResponse{Diagnostics: refused("plan")}, nil
}

func (s *server) ReadResource(context.Context, *tfprotov5.ReadResourceRequest) (*tfprotov5.ReadResourceResponse, error) {
	return &tfprotov5.ReadResourceResponse{Diagnostics: refused("refresh")}, nil
}

func (s *server) ReadDataSource(context.Context, *tfprotov5.ReadDataSourceRequest) (*tfprotov5.ReadDataSourceResponse, error) {
	return &tfprotov5.ReadDataSourceResponse{Diagnostics: refused("reading a data source")}, nil
}

func (s *server) ApplyResourceChange(context.Context, *tfprotov5.ApplyResourceChangeRequest) (*tfprotov5.ApplyResourceChangeResponse, error) {
	return &tfprotov5.ApplyResourceChangeResponse{Diagnostics: refused("apply")}, nil
}

func main() {
	file := os.Getenv("AZURERM_SCHEMA_JSON")
	if file == "" {
		fmt.Fprintln(os.Stderr, "azurerm-schema-provider: set AZURERM_SCHEMA_JSON to the recorded schema file")
		os.Exit(2)
	}
	schema, err := loadSchema(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "azurerm-schema-provider:", err)
		os.Exit(1)
	}
	if err := tf5server.Serve("registry.terraform.io/hashicorp/azurerm", func() tfprotov5.ProviderServer {
		return &server{schema: schema}
	}); err != nil {
		fmt.Fprintln(os.Stderr, "azurerm-schema-provider:", err)
		os.Exit(1)
	}
}
