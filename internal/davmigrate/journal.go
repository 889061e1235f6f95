package davmigrate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	jf "fullfrontend.be/infra/internal/journal"
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

// journal is the account pair's journal (internal/journal): one record per
// copied item, and this run's backups of replaced target items.
type journal struct {
	*jf.File[record]
	backups string // directory of this run's backups
}

// openJournal loads the journal of this pair of accounts and rewrites it
// compacted (one line per item).
func openJournal(stateDir string, src, tgt Endpoint) (*journal, error) {
	f, err := jf.Open(stateDir, src.User, []string{src.URL, src.User, tgt.URL, tgt.User}, record.key)
	if err != nil {
		return nil, err
	}
	return &journal{File: f, backups: filepath.Join(stateDir, "backups", time.Now().UTC().Format("20060102T150405Z"))}, nil
}

func (j *journal) get(k Kind, coll, src string) (record, bool) {
	return j.Get(journalKey(k, coll, src))
}

// backup saves the target's version of an item before it is replaced,
// so that "source wins" never loses what the target held.
func (j *journal) backup(k Kind, coll, name string, data []byte) (string, error) {
	dir := filepath.Join(j.backups, string(k), jf.SafeName(coll))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	p := filepath.Join(dir, jf.SafeName(name))
	if !strings.HasSuffix(p, k.ext()) {
		p += k.ext()
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	return p, nil
}
