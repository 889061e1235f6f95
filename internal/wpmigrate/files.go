package wpmigrate

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// FileSum is what identifies a file's content.
type FileSum struct {
	Size   int64
	SHA256 string
}

// FileTarget is where wp-content goes: the PVC, through the WordPress pod
// in the cluster, or a local directory.
type FileTarget interface {
	// List returns every regular file below the root, by slash-separated
	// relative path.
	List(ctx context.Context) (map[string]FileSum, error)
	// Extract unpacks a tar stream (regular files and directories with
	// relative paths) below the root, replacing files of the same name.
	Extract(ctx context.Context, tarStream io.Reader) error
}

// openTar opens a tar or tar.gz file.
func openTar(name string) (*tar.Reader, io.Closer, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("open the wp-content archive: %w", err)
	}
	br := bufio.NewReaderSize(f, 1<<20)
	magic, _ := br.Peek(2)
	var r io.Reader = br
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		z, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s looks gzipped but is not: %w", name, err)
		}
		r = z
	}
	return tar.NewReader(r), f, nil
}

// entryPath is the archive entry's path below wp-content: a leading "./"
// and "wp-content/" (a tar made from the parent directory) are dropped.
// Absolute paths and ".." are refused: the archive must not write outside
// the PVC.
func entryPath(name string) (string, error) {
	p := path.Clean(strings.TrimPrefix(name, "./"))
	if strings.HasPrefix(name, "/") || p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("archive entry %q points outside wp-content", name)
	}
	p = strings.TrimPrefix(p, "wp-content/")
	if p == "wp-content" || p == "." {
		return "", nil
	}
	return p, nil
}

// sourceFiles reads the archive once: path, size and SHA-256 of every
// regular file. Links and devices are reported, not copied.
func sourceFiles(name string, warn func(string)) (map[string]FileSum, error) {
	tr, c, err := openTar(name)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	out := map[string]FileSum{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the wp-content archive: %w", err)
		}
		p, err := entryPath(h.Name)
		if err != nil {
			return nil, err
		}
		switch h.Typeflag {
		case tar.TypeReg:
			hash := sha256.New()
			n, err := io.Copy(hash, tr)
			if err != nil {
				return nil, fmt.Errorf("read %s from the archive: %w", p, err)
			}
			out[p] = FileSum{Size: n, SHA256: hex.EncodeToString(hash.Sum(nil))}
		case tar.TypeDir:
		default:
			warn(fmt.Sprintf("wp-content: %s is not a regular file (type %q): not copied", p, h.Typeflag))
		}
	}
}

// writeSubset streams, as a new tar, the archive's regular files that want
// lists, and every directory of the archive.
func writeSubset(name string, want map[string]bool, w io.Writer) error {
	tr, c, err := openTar(name)
	if err != nil {
		return err
	}
	defer c.Close()
	tw := tar.NewWriter(w)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read the wp-content archive: %w", err)
		}
		p, err := entryPath(h.Name)
		if err != nil {
			return err
		}
		// Every directory, empty ones too (a plugin's cache or upload
		// folder it expects to find).
		if h.Typeflag == tar.TypeDir && p != "" {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: 0o755, ModTime: h.ModTime}); err != nil {
				return err
			}
			continue
		}
		if h.Typeflag != tar.TypeReg || !want[p] {
			continue
		}
		mode := h.Mode & 0o777
		if mode == 0 {
			mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Size: h.Size, Mode: mode, ModTime: h.ModTime}); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return fmt.Errorf("copy %s: %w", p, err)
		}
	}
	return tw.Close()
}

// LocalDir is a FileTarget on a local directory.
type LocalDir string

// List walks the directory.
func (d LocalDir) List(ctx context.Context) (map[string]FileSum, error) {
	out := map[string]FileSum{}
	err := filepath.WalkDir(string(d), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !e.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(string(d), p)
		sum, err := hashFile(p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = sum
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d, err)
	}
	return out, nil
}

func hashFile(p string) (FileSum, error) {
	f, err := os.Open(p)
	if err != nil {
		return FileSum{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return FileSum{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

// Extract writes each file through a temporary name and a rename, so an
// interrupted copy never leaves a half-written file under its real name.
func (d LocalDir) Extract(ctx context.Context, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p, err := entryPath(h.Name)
		if err != nil || p == "" {
			continue
		}
		dst := filepath.Join(string(d), filepath.FromSlash(p))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			continue
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		tmp, err := os.CreateTemp(filepath.Dir(dst), ".wpmigrate-*")
		if err != nil {
			return err
		}
		_, err = io.Copy(tmp, tr)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(tmp.Name(), fs.FileMode(h.Mode&0o777))
		}
		if err == nil {
			err = os.Rename(tmp.Name(), dst)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
}
