package tofusecrets

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// minPassphrase is pbkdf2's minimum in OpenTofu's state encryption.
const minPassphrase = 16

// stateSecrets are what `tofu init` needs before any stack validation can
// speak: the state passphrase everywhere; in prod the Spaces keys of the
// state backend and the DigitalOcean token.
type stateSecrets struct {
	Passphrase           string
	AccessKey, SecretKey string
}

// checkSecrets reads and checks, from the decrypted secrets, what init needs,
// so that an operator gets the name of the secret and the fix instead of
// OpenTofu's "no passphrase provided and no chained provider defined".
func checkSecrets(env string, clear []byte, file string) (stateSecrets, error) {
	vals, err := literalStrings(clear)
	if err != nil {
		return stateSecrets{}, err
	}
	edit := fmt.Sprintf("set it in secrets.tfvars and encrypt it again (bin/sops-encrypt.sh secrets.tfvars %s), or edit it in place with sops %s", file, file)
	var problems []string
	pass := vals["state_encryption_passphrase"]
	switch {
	case pass == "":
		problems = append(problems, fmt.Sprintf("state_encryption_passphrase is missing or empty: it encrypts the OpenTofu state; %s (at least %d characters, and keep it in the team's password manager: losing it loses the state)", edit, minPassphrase))
	case len(pass) < minPassphrase:
		problems = append(problems, fmt.Sprintf("state_encryption_passphrase has %d characters, OpenTofu needs at least %d: %s", len(pass), minPassphrase, edit))
	}
	if env == "prod" {
		for _, name := range []struct{ key, what string }{
			{"spaces_access_key_id", "the Spaces access key of the state bucket"},
			{"spaces_secret_access_key", "the Spaces secret key of the state bucket"},
			{"do_token", "the DigitalOcean API token"},
		} {
			if strings.TrimSpace(vals[name.key]) == "" {
				problems = append(problems, fmt.Sprintf("%s (%s) is missing or empty: %s", name.key, name.what, edit))
			}
		}
	}
	if len(problems) > 0 {
		return stateSecrets{}, fmt.Errorf("the secrets of %s cannot open the state:\n  - %s", file, strings.Join(problems, "\n  - "))
	}
	return stateSecrets{Passphrase: pass, AccessKey: vals["spaces_access_key_id"], SecretKey: vals["spaces_secret_access_key"]}, nil
}

// literalStrings returns every top-level string assignment of a tfvars
// document; other values are left out.
func literalStrings(tfvars []byte) (map[string]string, error) {
	body, err := parseSecrets(tfvars)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for name, attr := range body.Attributes {
		v, diags := attr.Expr.Value(nil)
		if !diags.HasErrors() && v.IsWhollyKnown() && !v.IsNull() && v.Type() == cty.String {
			out[name] = v.AsString()
		}
	}
	return out, nil
}

// checkDeclared refuses a secret that no stack declares: it would be
// dropped without a word (each stack gets only its own variables), so a
// misspelt key silently falls back to a generated value. The closest
// declared name is suggested.
func (c Config) checkDeclared(clear []byte, file string) error {
	declared := map[string]bool{}
	for _, s := range Stacks("prod") {
		d, err := declaredVariables(c.stackDir(s))
		if err != nil {
			return err
		}
		maps.Copy(declared, d)
	}
	body, err := parseSecrets(clear)
	if err != nil {
		return err
	}
	var unknown []string
	for name := range body.Attributes {
		if declared[name] {
			continue
		}
		msg := name
		if near := closest(name, slices.Collect(maps.Keys(declared))); near != "" {
			msg += " (did you mean " + near + "?)"
		}
		unknown = append(unknown, msg)
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return fmt.Errorf("the secrets of %s set what no stack declares, which would be ignored: %s; fix the names in secrets.tfvars (the variables are in stacks/*/variables.tf) and encrypt it again", file, strings.Join(unknown, ", "))
}

// closest is the candidate nearest to name by edit distance, if it is near
// enough to be a typo (at most a third of the name's length).
func closest(name string, candidates []string) string {
	best, bestD := "", len(name)/3+1
	slices.Sort(candidates)
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is Levenshtein's distance between two ASCII names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
