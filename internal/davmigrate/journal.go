package davmigrate

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// record is what the journal remembers of one copied item: which source
// version went to which target version. With it a later run tells a
// source change (copy again) from a change made on the target since
// (keep it), which neither server can tell alone.
type record struct {
	Kind    Kind   `json:"k"`
	Coll    string `json:"c"`
	Src     string `json:"s"`  // source resource name
	Tgt     string `json:"t"`  // target resource name (the same, unless matched by UID)
	SrcETag string `json:"se"` // source ETag when copied
	SrcHash string `json:"sh"` // contentHash of the source when copied
	TgtETag string `json:"te"` // target ETag after the copy ("" while unknown)
}

func (r record) key() string { return journalKey(r.Kind, r.Coll, r.Src) }

func journalKey(k Kind, coll, src string) string { return string(k) + "/" + coll + "/" + src }

// journal is an append-only JSON-lines file, one per source account and
// target account, under the state directory. Appending per item makes a
// run that is cut short resumable without rewriting the file each time.
type journal struct {
	path    string
	recs    map[string]record
	f       *os.File
	w       *bufio.Writer
	backups string // directory of this run's backups
}

// openJournal loads the journal of this pair of accounts and rewrites it
// compacted (one line per item).
func openJournal(stateDir string, src, tgt Endpoint) (*journal, error) {
	if stateDir == "" {
		return nil, errors.New("state directory not set: it holds the journal that makes a second run copy nothing twice")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	id := sha256.Sum256([]byte(src.URL + "\x00" + src.User + "\x00" + tgt.URL + "\x00" + tgt.User))
	name := "journal-" + safeName(src.User) + "-" + hex.EncodeToString(id[:6]) + ".jsonl"
	j := &journal{path: filepath.Join(stateDir, name), recs: map[string]record{},
		backups: filepath.Join(stateDir, "backups", time.Now().UTC().Format("20060102T150405Z"))}
	data, err := os.ReadFile(j.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			// A line cut by a crash is the last one; an earlier bad line is
			// a damaged file.
			if i == strings.Count(string(data), "\n") {
				break
			}
			return nil, fmt.Errorf("journal %s line %d: %w", j.path, i+1, err)
		}
		j.recs[r.key()] = r
	}
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("rewrite journal: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, r := range j.recs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return nil, fmt.Errorf("rewrite journal: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return nil, fmt.Errorf("rewrite journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("rewrite journal: %w", err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		f.Close()
		return nil, fmt.Errorf("rewrite journal: %w", err)
	}
	j.f, j.w = f, w
	return j, nil
}

func (j *journal) get(k Kind, coll, src string) (record, bool) {
	r, ok := j.recs[journalKey(k, coll, src)]
	return r, ok
}

func (j *journal) put(r record) error {
	j.recs[r.key()] = r
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if _, err := j.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	// Flushed per item so that a killed process loses at most the item
	// in flight (which the next run then finds identical on the target).
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

func (j *journal) sync() error {
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

func (j *journal) close() error {
	err := j.sync()
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("journal: %w", cerr)
	}
	return err
}

// backup saves the target's version of an item before it is replaced,
// so that "source wins" never loses what the target held.
func (j *journal) backup(k Kind, coll, name string, data []byte) (string, error) {
	dir := filepath.Join(j.backups, string(k), safeName(coll))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	p := filepath.Join(dir, safeName(name))
	if !strings.HasSuffix(p, k.ext()) {
		p += k.ext()
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	return p, nil
}

// safeName keeps a resource name usable as a file name.
func safeName(s string) string {
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', 0:
			return '_'
		}
		return r
	}, s)
}
