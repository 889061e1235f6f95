// Package secretscan finds clear secrets among files git tracks or is about
// to commit: clear tfvars, the wrapper's .secrets.auto.tfvars, state files,
// age private keys, kubeconfigs, and *.enc files that are not SOPS ciphertext.
// The pre-commit hook and a test over the tracked tree both use it.
package secretscan

import (
	"bytes"
	"fmt"
	"os/exec"
	"path"
	"regexp"
	"strings"

	"fullfrontend.be/infra/internal/secrets"
)

// Finding is one problem in one file.
type Finding struct {
	Path   string
	Reason string
}

func (f Finding) String() string { return f.Path + ": " + f.Reason }

// namePatterns are files that hold clear secrets by their name alone.
var namePatterns = []struct {
	re     *regexp.Regexp
	reason string
}{
	{regexp.MustCompile(`(^|/)secrets(\.[a-z0-9-]+)?\.tfvars$`), "clear secrets tfvars: encrypt it with bin/sops-encrypt.sh and commit only the .enc file"},
	{regexp.MustCompile(`(^|/)[^/]*\.auto\.tfvars(\.json)?$`), "decrypted .auto.tfvars (written by scripts/tofu-secrets.sh): never commit it"},
	// Editors' copies of a clear secrets file hold the same secrets.
	{regexp.MustCompile(`(^|/)[^/]*secrets[^/]*\.tfvars[^/]*(~|\.swp|\.swo|\.bak|\.orig)$`), "an editor's copy of a clear secrets file: delete it"},
	{regexp.MustCompile(`(^|/)\.env$`), ".env files hold clear credentials: put secrets in secrets.tfvars and encrypt it"},
	{regexp.MustCompile(`\.tfstate(\.[^/]*)?$`), "OpenTofu state holds every secret of a stack: it lives in the backend, not in git"},
	{regexp.MustCompile(`(^|/)(keys\.txt|[^/]*\.agekey)$`), "age key file: keep it in your password manager, not in git"},
	{regexp.MustCompile(`(^|/)\.kube/|(^|/)kubeconfig[^/]*$`), "kubeconfig: regenerate it with doctl, never commit it"},
	{regexp.MustCompile(`^\.state/`), "local dev state and generated dev secrets (scripts/tofu-secrets.sh): they belong to one checkout, never to git"},
}

// Check inspects one file, given its path in the repository and its content.
func Check(name string, content []byte) []Finding {
	var out []Finding
	for _, p := range namePatterns {
		if p.re.MatchString(name) {
			out = append(out, Finding{name, p.reason})
		}
	}
	// Docs may describe the key format; any other file holding one leaks it.
	if ext := path.Ext(name); ext != ".md" && realAgeKey.Match(content) {
		out = append(out, Finding{name, "contains an age private key (AGE-SECRET-KEY-1...)"})
	}
	if !strings.HasSuffix(name, ".enc") {
		for _, p := range contentPatterns {
			if p.re.Match(content) {
				out = append(out, Finding{name, p.reason})
			}
		}
	}
	if strings.HasSuffix(name, ".enc") && !secrets.IsCiphertext(content) {
		out = append(out, Finding{name, "named .enc but is not SOPS ciphertext: encrypt with bin/sops-encrypt.sh"})
	}
	return out
}

// contentPatterns are secrets found by their form, whatever the file's
// name (terraform.tfvars, prod.tfvars, a note): the findings never quote
// the match.
var contentPatterns = []struct {
	re     *regexp.Regexp
	reason string
}{
	{regexp.MustCompile(`\bdo[opr]_v1_[a-f0-9]{64}\b`), "contains a DigitalOcean API token (dop_v1_...): revoke it in the control panel, then put the new one in secrets.tfvars and encrypt it"},
	// Spaces keys in the shape DigitalOcean issues them (an ID of 20
	// capitals and digits starting with DO, a secret of 43 base64 signs).
	{regexp.MustCompile(`spaces_access_key_id\s*=\s*"DO[0-9A-Z]{18}"|spaces_secret_access_key\s*=\s*"[A-Za-z0-9+/]{40,}"`), "assigns a Spaces key in clear: put it in secrets.tfvars and encrypt it"},
	// A real PEM body (lines of base64), not a placeholder such as MIIEmock.
	{regexp.MustCompile(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----(\\n|\s)+([A-Za-z0-9+/=]{40,}(\\n|\s)+){2,}`), "contains a PEM private key: keep it in the SOPS secrets"},
}

// realAgeKey matches a complete Bech32 age identity, not the bare prefix
// that code and docs mention.
var realAgeKey = regexp.MustCompile(`AGE-SECRET-KEY-1[023456789ACDEFGHJKLMNPQRSTUVWXYZ]{58}`)

// Tracked checks every file git tracks in repoRoot, as the index holds it.
func Tracked(repoRoot string) ([]Finding, error) {
	return scan(repoRoot, "ls-files", "-z")
}

// Staged checks the files staged for the next commit, as staged.
func Staged(repoRoot string) ([]Finding, error) {
	return scan(repoRoot, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR")
}

// scan checks the files a git listing command names.
func scan(repoRoot string, list ...string) ([]Finding, error) {
	names, err := git(repoRoot, list...)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for n := range strings.SplitSeq(string(names), "\x00") {
		if n == "" {
			continue
		}
		content, err := git(repoRoot, "show", ":"+n)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n, err)
		}
		out = append(out, Check(n, content)...)
	}
	return out, nil
}

func git(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
