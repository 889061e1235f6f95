package mailmigrate

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
)

// record is what the journal remembers of one copied message: where it
// went, under which identity, and the source flags it last carried over.
// The flags are the common ancestor that lets a later run tell a flag
// changed on the source (carry it over) from one changed on the target by
// the user (keep it).
type record struct {
	Folder       string   `json:"f"` // source folder (UTF-8)
	UIDValidity  uint32   `json:"v"`
	UID          uint32   `json:"u"`
	TargetFolder string   `json:"tf"`
	TargetUV     uint32   `json:"tv,omitempty"` // 0: unknown (no UIDPLUS)
	TargetUID    uint32   `json:"tu,omitempty"`
	MessageID    string   `json:"m,omitempty"`
	Date         int64    `json:"d"` // INTERNALDATE, Unix seconds
	Size         int64    `json:"s"`
	Flags        []string `json:"fl"`
}

func recordKey(folder string, uv, uid uint32) string {
	return fmt.Sprintf("%d/%d/%s", uv, uid, folder)
}

func (r record) key() string { return recordKey(r.Folder, r.UIDValidity, r.UID) }

// journal is an append-only JSON-lines file per pair of accounts. A line
// is written (and flushed to the kernel) after each message, so a killed
// run loses at most the message in flight, which the next run then finds
// on the target by its identity.
type journal struct {
	path string
	recs map[string]record
	f    *os.File
	w    *bufio.Writer
}

func openJournal(stateDir, sourceHost, sourceUser, targetHost, targetUser string) (*journal, error) {
	if stateDir == "" {
		return nil, errors.New("state directory not set: it holds the journal that makes a second run copy nothing twice")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w", stateDir, err)
	}
	id := sha256.Sum256([]byte(sourceHost + "\x00" + sourceUser + "\x00" + targetHost + "\x00" + targetUser))
	name := "journal-" + safeFileName(sourceUser) + "-" + hex.EncodeToString(id[:6]) + ".jsonl"
	j := &journal{path: filepath.Join(stateDir, name), recs: map[string]record{}}
	data, err := os.ReadFile(j.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			// Only the last line can be cut by a crash; a bad line before
			// it is damage worth stopping for.
			if i == len(lines)-1 {
				break
			}
			return nil, fmt.Errorf("journal %s line %d: %w (move the file away to rebuild it from the target)", j.path, i+1, err)
		}
		j.recs[r.key()] = r
	}
	// Rewrite compacted: one line per message.
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
	if err := w.Flush(); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, j.path)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("rewrite journal %s: %w", j.path, err)
	}
	j.f, j.w = f, w
	return j, nil
}

func (j *journal) get(folder string, uv, uid uint32) (record, bool) {
	r, ok := j.recs[recordKey(folder, uv, uid)]
	return r, ok
}

// uids lists the source UIDs the journal knows in one folder generation.
func (j *journal) uids(folder string, uv uint32) map[uint32]bool {
	out := map[uint32]bool{}
	for _, r := range j.recs {
		if r.Folder == folder && r.UIDValidity == uv {
			out[r.UID] = true
		}
	}
	return out
}

func (j *journal) put(r record) error {
	j.recs[r.key()] = r
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if _, err := j.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

func (j *journal) close() error {
	err := j.w.Flush()
	if err == nil {
		err = j.f.Sync()
	}
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', 0, '*':
			return '_'
		}
		return r
	}, s)
}
