package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// PolicyFile is the seed's name for the SOPS creation rules.
const PolicyFile = "sops.yaml"

// Policy is the part of sops.yaml the tool enforces: which clear files may be
// encrypted. Recipients come from SOPS_AGE_RECIPIENTS (seed workflow).
type Policy struct {
	CreationRules []struct {
		PathRegex string `json:"path_regex"`
	} `json:"creation_rules"`
}

// LoadPolicy reads sops.yaml.
func LoadPolicy(path string) (Policy, error) {
	var p Policy
	data, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("read SOPS policy: %w", err)
	}
	if err := yaml.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("parse SOPS policy %s: %w", path, err)
	}
	if len(p.CreationRules) == 0 {
		return p, fmt.Errorf("SOPS policy %s has no creation_rules", path)
	}
	return p, nil
}

// Allows reports whether the policy has a rule for a file named name.
func (p Policy) Allows(name string) (bool, error) {
	for _, r := range p.CreationRules {
		re, err := regexp.Compile(r.PathRegex)
		if err != nil {
			return false, fmt.Errorf("SOPS policy path_regex %q: %w", r.PathRegex, err)
		}
		if re.MatchString(filepath.ToSlash(name)) {
			return true, nil
		}
	}
	return false, nil
}

// SOPS runs the sops binary.
type SOPS struct {
	Binary string // path to sops
	Policy string // path to sops.yaml
}

// Encrypt encrypts the clear file in for recipients into out, which must end
// in .enc. The clear file must be allowed by the policy; out is written
// atomically so a failed run never leaves a truncated ciphertext.
func (s SOPS) Encrypt(ctx context.Context, in, out string, recipients []string) error {
	pol, err := LoadPolicy(s.Policy)
	if err != nil {
		return err
	}
	ok, err := pol.Allows(filepath.Base(in))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s is not a secrets file under %s (creation_rules path_regex): name it secrets.tfvars, or secrets.<env>.tfvars", in, s.Policy)
	}
	if !strings.HasSuffix(out, ".enc") {
		return fmt.Errorf("output %s must end in .enc: only *.enc files are committed, and the pre-commit hook and tests check they hold SOPS ciphertext", out)
	}
	clear, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read clear secrets: %w", err)
	}
	if IsCiphertext(clear) {
		return fmt.Errorf("%s is already SOPS ciphertext: nothing to encrypt", in)
	}
	cmd := exec.CommandContext(ctx, s.Binary, "--config", s.Policy, "--encrypt",
		"--age", strings.Join(recipients, ","),
		"--input-type", "binary", "--output-type", "json", in)
	env, cleanup, err := onlyKey("")
	if err != nil {
		return err
	}
	defer cleanup()
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("sops --encrypt %s: %w: %s", in, err, strings.TrimSpace(stderr.String()))
	}
	if !IsCiphertext(stdout.Bytes()) {
		return fmt.Errorf("sops --encrypt %s produced no SOPS ciphertext; %s left unchanged", in, out)
	}
	return writeAtomic(out, stdout.Bytes(), 0o644)
}

// Decrypt returns the clear content of a SOPS-encrypted file, decrypted with
// the age key in keyFile. It checks up front that the file exists, is SOPS
// ciphertext and was encrypted for that key, to give errors an operator can
// act on rather than sops's own.
func (s SOPS) Decrypt(ctx context.Context, encFile, keyFile string) ([]byte, error) {
	ids, err := LoadIdentities(keyFile)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(encFile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("encrypted secrets %s not found: cp secrets.tfvars.example secrets.tfvars, fill it in, then bin/sops-encrypt.sh secrets.tfvars %s", encFile, filepath.Base(encFile))
		}
		return nil, fmt.Errorf("read encrypted secrets: %w", err)
	}
	if !IsCiphertext(data) {
		return nil, fmt.Errorf("%s is not SOPS ciphertext: re-encrypt it with bin/sops-encrypt.sh", encFile)
	}
	recipients, err := Recipients(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", encFile, err)
	}
	mine := make([]string, 0, len(ids))
	for _, id := range ids {
		mine = append(mine, id.Recipient().String())
	}
	if !slices.ContainsFunc(recipients, func(r string) bool { return slices.Contains(mine, r) }) {
		return nil, fmt.Errorf("%s is not encrypted for your age key %s (from %s); it is encrypted for %s: ask an operator who can decrypt it to add your public key to %s and run bin/sops-encrypt.sh again",
			encFile, strings.Join(mine, ", "), keyFile, strings.Join(recipients, ", "), RecipientsEnv)
	}
	cmd := exec.CommandContext(ctx, s.Binary, "--decrypt", "--input-type", "binary", "--output-type", "binary", encFile)
	env, cleanup, err := onlyKey(keyFile)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sops --decrypt %s: %w: %s", encFile, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// onlyKey is the environment of a sops run that may use keyFile's key and
// no other. Besides SOPS_AGE_KEY_FILE, sops loads every age identity it can
// find: $SOPS_AGE_KEY, $SOPS_AGE_KEY_CMD, the user config dir's
// sops/age/keys.txt and ~/.ssh/id_ed25519 or id_rsa. A dev run must not
// even read an operator's prod key, and an explicit key must mean that key,
// so those variables are dropped and HOME and XDG_CONFIG_HOME point at an
// empty directory, removed by cleanup. keyFile "" offers no key (encrypting
// needs none).
func onlyKey(keyFile string) (env []string, cleanup func(), err error) {
	empty, err := os.MkdirTemp("", "sops-home-")
	if err != nil {
		return nil, nil, fmt.Errorf("prepare sops's environment: %w", err)
	}
	drop := []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", KeyFileEnv, "HOME", "XDG_CONFIG_HOME"}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains(drop, k) {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+empty, "XDG_CONFIG_HOME="+empty)
	if keyFile != "" {
		abs, err := filepath.Abs(keyFile)
		if err != nil {
			os.RemoveAll(empty)
			return nil, nil, fmt.Errorf("age key path: %w", err)
		}
		env = append(env, KeyFileEnv+"="+abs)
	}
	return env, func() { os.RemoveAll(empty) }, nil
}

// sopsFile is the envelope sops writes around the encrypted data.
type sopsFile struct {
	SOPS *struct {
		MAC string `json:"mac"`
		Age []struct {
			Recipient string `json:"recipient"`
		} `json:"age"`
	} `json:"sops"`
}

// Recipients lists the age recipients a SOPS file was encrypted for.
func Recipients(data []byte) ([]string, error) {
	var f sopsFile
	if err := yaml.Unmarshal(data, &f); err != nil || f.SOPS == nil {
		return nil, errors.New("not a SOPS file")
	}
	var out []string
	for _, a := range f.SOPS.Age {
		out = append(out, a.Recipient)
	}
	if len(out) == 0 {
		return nil, errors.New("encrypted for no age recipient")
	}
	return out, nil
}

// IsCiphertext reports whether data is a SOPS document (JSON or YAML) whose
// every value outside the sops metadata is encrypted, and that carries a MAC.
func IsCiphertext(data []byte) bool {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil || doc == nil {
		return false
	}
	meta, ok := doc["sops"].(map[string]any)
	if !ok {
		return false
	}
	if mac, _ := meta["mac"].(string); !strings.HasPrefix(mac, "ENC[") {
		return false
	}
	delete(doc, "sops")
	if len(doc) == 0 {
		return false
	}
	return allEncrypted(doc)
}

func allEncrypted(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for _, x := range t {
			if !allEncrypted(x) {
				return false
			}
		}
		return true
	case []any:
		for _, x := range t {
			if !allEncrypted(x) {
				return false
			}
		}
		return true
	case string:
		return strings.HasPrefix(t, "ENC[") && strings.HasSuffix(t, "]")
	default:
		return false
	}
}

// writeAtomic writes data to a temporary file beside path and renames it.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
