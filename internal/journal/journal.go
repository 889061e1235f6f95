// Package journal is the resumable memory of a migration: an append-only
// JSON-lines file per pair of accounts, under the command's state
// directory, that says what an earlier run copied. A line is flushed to the
// kernel after each item, so a killed run loses at most the item in flight
// (which the migrations then find on the target by its identity); opening
// the file rewrites it compacted, one line per key.
package journal

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

// File is an open journal of records of type R, the newest per key.
type File[R any] struct {
	Path string
	Recs map[string]R
	key  func(R) string
	f    *os.File
	w    *bufio.Writer
}

// Open loads the journal of one pair of accounts in stateDir (created if
// needed) and rewrites it compacted. The file is named after user and a
// hash of ids (hosts and users of both sides), so each pair has its own.
func Open[R any](stateDir, user string, ids []string, key func(R) string) (*File[R], error) {
	if stateDir == "" {
		return nil, errors.New("state directory not set: it holds the journal that makes a second run copy nothing twice")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w", stateDir, err)
	}
	id := sha256.Sum256([]byte(strings.Join(ids, "\x00")))
	name := "journal-" + SafeName(user) + "-" + hex.EncodeToString(id[:6]) + ".jsonl"
	j := &File[R]{Path: filepath.Join(stateDir, name), Recs: map[string]R{}, key: key}
	data, err := os.ReadFile(j.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read journal %s: %w", j.Path, err)
	}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r R
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			// Only the last line can be cut by a crash; a bad line before
			// it is damage worth stopping for.
			if i == len(lines)-1 {
				break
			}
			return nil, fmt.Errorf("journal %s line %d: %w (move the file away to rebuild it from the target)", j.Path, i+1, err)
		}
		j.Recs[key(r)] = r
	}
	if err := j.rewrite(); err != nil {
		return nil, err
	}
	return j, nil
}

// rewrite writes the records to a new file, one line each, moves it over
// the journal and keeps it open for appending.
func (j *File[R]) rewrite() error {
	tmp := j.Path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("rewrite journal %s: %w", j.Path, err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, r := range j.Recs {
		if err = enc.Encode(r); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, j.Path)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("rewrite journal %s: %w", j.Path, err)
	}
	j.f, j.w = f, w
	return nil
}

// Get returns the record of a key.
func (j *File[R]) Get(key string) (R, bool) {
	r, ok := j.Recs[key]
	return r, ok
}

// Put records r (replacing the record of its key) and flushes the line.
func (j *File[R]) Put(r R) error {
	j.Recs[j.key(r)] = r
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if _, err := j.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", j.Path, err)
	}
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("journal %s: %w", j.Path, err)
	}
	return nil
}

// Sync makes what was put durable.
func (j *File[R]) Sync() error {
	err := j.w.Flush()
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.Path, err)
	}
	return nil
}

// Close syncs and closes the file.
func (j *File[R]) Close() error {
	err := j.Sync()
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("journal %s: %w", j.Path, cerr)
	}
	return err
}

// SafeName keeps a user or resource name usable as a file name.
func SafeName(s string) string {
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', 0, '*':
			return '_'
		}
		return r
	}, s)
}
