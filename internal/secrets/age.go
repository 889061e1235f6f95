// Package secrets holds the SOPS/age workflow of the seed's "Secrets" section:
// creating an operator's age key, encrypting the clear tfvars with sops under
// the sops.yaml policy, and decrypting them into memory for OpenTofu.
//
// Clear secrets never touch the disk here except where the caller asks for
// it (the wrapper's .secrets.auto.tfvars, mode 0600, removed on every exit).
package secrets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
)

// Environment variables of the seed's workflow (also read by sops itself).
const (
	KeyFileEnv    = "SOPS_AGE_KEY_FILE"
	RecipientsEnv = "SOPS_AGE_RECIPIENTS"
)

// DefaultKeyFile is where sops looks for age keys when SOPS_AGE_KEY_FILE is
// unset: $XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt.
func DefaultKeyFile() (string, error) {
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "sops", "age", "keys.txt"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locate age key file: %w (set %s)", err, KeyFileEnv)
	}
	return filepath.Join(home, ".config", "sops", "age", "keys.txt"), nil
}

// KeyFileFromEnv returns $SOPS_AGE_KEY_FILE, else DefaultKeyFile.
func KeyFileFromEnv() (string, error) {
	if f := os.Getenv(KeyFileEnv); f != "" {
		return f, nil
	}
	return DefaultKeyFile()
}

// InitKey creates an age key at path unless one exists; it never overwrites.
// It returns the public key (recipient) and whether the file was created.
func InitKey(path string, now time.Time) (recipient string, created bool, err error) {
	return InitKeyWithNote(path, now, "")
}

// InitKeyWithNote is InitKey that writes note (one line) as a comment at the
// top of a new key file, to tell a reader what the key is for.
func InitKeyWithNote(path string, now time.Time, note string) (recipient string, created bool, err error) {
	if _, err := os.Stat(path); err == nil {
		ids, err := LoadIdentities(path)
		if err != nil {
			return "", false, fmt.Errorf("%s exists but is not a usable age key file (it is left untouched): %w", path, err)
		}
		return ids[0].Recipient().String(), false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("check age key file: %w", err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", false, fmt.Errorf("generate age key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, fmt.Errorf("create key directory: %w", err)
	}
	// O_EXCL: a key created by a concurrent run is never overwritten.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("create age key file: %w", err)
	}
	content := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", now.UTC().Format(time.RFC3339), id.Recipient(), id)
	if note != "" {
		content = "# " + strings.ReplaceAll(note, "\n", " ") + "\n" + content
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		os.Remove(path)
		return "", false, fmt.Errorf("write age key file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", false, fmt.Errorf("write age key file: %w", err)
	}
	return id.Recipient().String(), true, nil
}

// LoadIdentities reads the X25519 identities of an age key file.
func LoadIdentities(path string) ([]*age.X25519Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("age key file %s not found: create one with bin/age-init.sh or set %s to your key file", path, KeyFileEnv)
		}
		return nil, fmt.Errorf("open age key file: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("parse age key file %s: %w", path, err)
	}
	var out []*age.X25519Identity
	for _, id := range ids {
		if x, ok := id.(*age.X25519Identity); ok {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("age key file %s holds no X25519 key (AGE-SECRET-KEY-1...)", path)
	}
	return out, nil
}

// ParseRecipients validates a comma-separated SOPS_AGE_RECIPIENTS value.
func ParseRecipients(value string) ([]string, error) {
	var out []string
	i := 0
	for r := range strings.SplitSeq(value, ",") {
		r = strings.TrimSpace(r)
		i++
		if r == "" {
			continue
		}
		// The value is never echoed: a private key pasted here by mistake
		// must not end up in a terminal's scrollback or a CI log.
		if strings.HasPrefix(strings.ToUpper(r), "AGE-SECRET-KEY-") {
			return nil, fmt.Errorf("%s entry %d is an age PRIVATE key: put the public key there (age1..., printed by bin/age-init.sh or age-keygen -y), and treat this private key as exposed if it was shared", RecipientsEnv, i)
		}
		if _, err := age.ParseX25519Recipient(r); err != nil {
			return nil, fmt.Errorf("%s entry %d (%d characters) is not an age public key: want age1... (bin/age-init.sh prints yours)", RecipientsEnv, i, len(r))
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is empty: export it with every operator's age public key, comma-separated (bin/age-init.sh prints yours)", RecipientsEnv)
	}
	return out, nil
}

// MergeRecipients is who a re-encrypted file is for: the existing file's
// recipients, less those dropped on purpose, plus the given ones. kept are
// the existing recipients that given does not name (the caller says so). A
// dropped key that is not an existing recipient is an error (a typo would
// otherwise keep the operator it meant to remove), and so is an empty result.
func MergeRecipients(existing, given, drop []string) (merged, kept []string, err error) {
	for _, d := range drop {
		if !slices.Contains(existing, d) {
			return nil, nil, fmt.Errorf("--drop %s: not a recipient of the existing file (its recipients: %s)", d, strings.Join(existing, ", "))
		}
	}
	for _, r := range existing {
		if slices.Contains(drop, r) || slices.Contains(merged, r) {
			continue
		}
		merged = append(merged, r)
		if !slices.Contains(given, r) {
			kept = append(kept, r)
		}
	}
	for _, r := range given {
		if slices.Contains(drop, r) {
			return nil, nil, fmt.Errorf("%s is both dropped and in %s: remove it from one", r, RecipientsEnv)
		}
		if !slices.Contains(merged, r) {
			merged = append(merged, r)
		}
	}
	if len(merged) == 0 {
		return nil, nil, fmt.Errorf("no recipient left: %s must name at least one age public key", RecipientsEnv)
	}
	return merged, kept, nil
}
