package tofusecrets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// declaredVariables lists the variables declared by the *.tf files of a root module.
func declaredVariables(stackDir string) (map[string]bool, error) {
	return declaredBlocks(stackDir, "variable")
}

// declaredBlocks lists the names of the blocks of one type (variable,
// output) declared by the *.tf files of a root module.
func declaredBlocks(stackDir, blockType string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(stackDir, "*.tf"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", stackDir, err)
	}
	vars := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, fmt.Errorf("parse %s: %s", f, diags.Error())
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			if b.Type == blockType && len(b.Labels) == 1 {
				vars[b.Labels[0]] = true
			}
		}
	}
	return vars, nil
}

// selectVariables keeps, from a clear tfvars document, the assignments of the
// variables a stack declares. One secrets file serves both stacks, and
// OpenTofu warns on every undeclared value; filtering also means a stack
// never sees secrets it does not use. Each value is written back as a
// literal (see parseSecrets): OpenTofu never evaluates a secret, so it
// never quotes one in an error.
func selectVariables(tfvars []byte, declared map[string]bool) (out []byte, kept []string, err error) {
	body, err := parseSecrets(tfvars)
	if err != nil {
		return nil, nil, err
	}
	if len(body.Blocks) > 0 {
		return nil, nil, fmt.Errorf("the decrypted secrets contain a block (line %d); tfvars hold only `name = value` assignments", body.Blocks[0].DefRange().Start.Line)
	}
	names := make([]string, 0, len(body.Attributes))
	for name := range body.Attributes {
		names = append(names, name)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for _, name := range names {
		if !declared[name] {
			continue
		}
		attr := body.Attributes[name]
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, nil, fmt.Errorf("secret %s (line %d): not a literal value (a string must be in double quotes, a list in [ ], a map in { }); fix secrets.tfvars and encrypt it again", name, attr.SrcRange.Start.Line)
		}
		buf.WriteString(name + " = ")
		buf.Write(hclwrite.TokensForValue(v).Bytes())
		buf.WriteByte('\n')
		kept = append(kept, name)
	}
	return buf.Bytes(), kept, nil
}

// StringValues reads the named string assignments from a clear tfvars
// document, for the few commands (state-bootstrap) that need a secret in
// memory rather than a whole file handed to OpenTofu. Every name must be
// assigned a literal string; the error lists all missing names at once.
// Errors name variables and lines, never values: these are secrets.
func StringValues(tfvars []byte, names ...string) (map[string]string, error) {
	body, err := parseSecrets(tfvars)
	if err != nil {
		return nil, err
	}
	attrs := body.Attributes
	out := make(map[string]string, len(names))
	var missing []string
	for _, name := range names {
		attr, ok := attrs[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		// A nil context: a tfvars value is a literal, never a reference or a call.
		v, diags := attr.Expr.Value(nil)
		line := attr.SrcRange.Start.Line
		if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() || v.Type() != cty.String {
			return nil, fmt.Errorf("the decrypted secrets assign %s (line %d) something other than a literal string", name, line)
		}
		out[name] = v.AsString()
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the decrypted secrets do not set %s: add them to secrets.tfvars (see secrets.tfvars.example) and encrypt it again", strings.Join(missing, ", "))
	}
	return out, nil
}

// parseSecrets parses a clear tfvars document as literals: a password with
// "${" or "%{" in it is what the operator typed, where HCL would read a
// template (and OpenTofu fail, quoting the line). No tfvars value can use a
// template (there are no variables to read), so every such sequence is
// escaped ($${, %%{) first; the diagnostics are never returned, they quote
// the source.
func parseSecrets(tfvars []byte) (*hclsyntax.Body, error) {
	file, diags := hclsyntax.ParseConfig(escapeTemplates(tfvars), "secrets.tfvars", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("the decrypted secrets are not valid tfvars (HCL) near line %d: fix secrets.tfvars and encrypt it again", diags[0].Subject.Start.Line)
	}
	return file.Body.(*hclsyntax.Body), nil
}

// escapeTemplates doubles the $ or % of every "${" and "%{" not already
// escaped.
func escapeTemplates(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); i++ {
		c := b[i]
		if (c == '$' || c == '%') && i+1 < len(b) && b[i+1] == '{' && (i == 0 || b[i-1] != c) {
			out = append(out, c)
		}
		out = append(out, c)
	}
	return out
}
