package wpmigrate

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/dbtest"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

const (
	oldURL = "http://old.fullfrontend.be"
	newURL = "https://fullfrontend.be"
)

// site is the old site's artefacts, built by WordPress itself.
type site struct {
	m       *dbtest.MariaDB
	db      *sql.DB
	dump    string // mysqldump of the old site, gzipped
	tarball string // tar.gz of wp-content
	files   int
	bytes   int64
}

// buildSite creates a WordPress site with Debian's WordPress and PHP on a
// real MariaDB, dumps it with mariadb-dump and archives a wp-content with
// nested, non-ASCII and large files.
func buildSite(t *testing.T, posts int) *site {
	t.Helper()
	php := testenv.Tool(t, "php")
	if _, err := os.Stat("/usr/share/wordpress/wp-settings.php"); err != nil {
		testenv.Missing(t, "Debian's wordpress package (/usr/share/wordpress): %v", err)
	}
	m := dbtest.StartMariaDB(t)
	if r := m.SQL(t, "", "CREATE DATABASE oldsite CHARACTER SET utf8mb4; CREATE DATABASE wordpress CHARACTER SET utf8mb4"); r.Code != 0 {
		t.Fatal(r)
	}
	dir := t.TempDir()
	content := filepath.Join(dir, "wp-content")
	cmd := exec.Command(php, "testdata/build-site.php")
	cmd.Env = append(os.Environ(), "WP_DB_NAME=oldsite", "WP_DB_PASSWORD="+m.Password, fmt.Sprintf("WP_DB_PORT=%d", m.Port),
		"WP_OLD_URL="+oldURL, "WP_CONTENT="+content, fmt.Sprintf("WP_POSTS=%d", posts))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "built") {
		t.Fatalf("build the WordPress site: %v\n%s", err, out)
	}

	// A plugin's table as real sites have them: a timestamp the server
	// sets on every change, and the old URL in a BLOB.
	if r := m.SQL(t, "oldsite", `CREATE TABLE wp_redirection_items (id int AUTO_INCREMENT PRIMARY KEY, url varchar(255), target varchar(255), action_data blob,
		last_access timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP);
		INSERT INTO wp_redirection_items (url, target, action_data, last_access) VALUES ('/old-page', '`+oldURL+`/target', '`+oldURL+`/new-page', '2020-02-03 04:05:06'),
		('/forms', '//www.old.fullfrontend.be/p?r=http%3A%2F%2Fold.fullfrontend.be%2Fq', 'https:\\/\\/www.old.fullfrontend.be\\/j', '2020-02-03 04:05:06')`); r.Code != 0 {
		t.Fatal(r)
	}
	s := &site{m: m, dump: filepath.Join(dir, "wordpress.sql.gz"), tarball: filepath.Join(dir, "wp-content.tar.gz")}
	dump := exec.Command(dbtest.Tool(t, "mariadb-dump"), "--no-defaults", "--host=127.0.0.1", fmt.Sprintf("--port=%d", m.Port),
		"--user=root", "--password="+m.Password, "--single-transaction", "--default-character-set=utf8mb4", "oldsite")
	var sqlText bytes.Buffer
	dump.Stdout, dump.Stderr = &sqlText, os.Stderr
	if err := dump.Run(); err != nil {
		t.Fatalf("mariadb-dump: %v", err)
	}
	writeGzip(t, s.dump, sqlText.Bytes())

	files := map[string][]byte{
		"index.php":                              []byte("<?php // Silence is golden.\n"),
		"plugins/contact/contact.php":            []byte("<?php /* Plugin Name: Contact */\n"),
		"themes/fullfrontend/style.css":          []byte("/* Theme Name: Full Frontend */\n"),
		"uploads/2024/01/éléphant déjà vu.pdf":   randomBytes(t, 3000),
		"uploads/2024/01/very/deep/nested/a.txt": []byte("deep\n"),
		"uploads/2024/02/video.mp4":              randomBytes(t, 12<<20), // a large attachment
	}
	for i := 1; i <= 7; i++ {
		files[fmt.Sprintf("uploads/2024/01/image-%d.jpg", i)] = randomBytes(t, 20000+i)
	}
	writeTarGz(t, s.tarball, files)
	s.files = len(files)
	for _, b := range files {
		s.bytes += int64(len(b))
	}
	db, err := Connect(fmt.Sprintf("127.0.0.1:%d", m.Port), "root", m.Password)
	if err != nil {
		t.Fatal(err)
	}
	s.db = db
	t.Cleanup(func() { s.db.Close() })
	return s
}

func (s *site) options(t *testing.T, target FileTarget, out io.Writer) Options {
	return Options{DB: s.db, Database: "wordpress", Dump: s.dump, Content: s.tarball, OldURL: oldURL, NewURL: newURL, Files: target, Out: out}
}

func TestMigrateWordPress(t *testing.T) {
	s := buildSite(t, 60)
	// The target the cluster uses (scripts in the WordPress pod), run here.
	pvc := PodDir{Dir: t.TempDir(), Shell: localShell}
	// What the cluster's fresh WordPress had created before the move.
	if r := s.m.SQL(t, "wordpress", "CREATE TABLE wp_options (option_id bigint PRIMARY KEY, option_name varchar(191), option_value longtext); INSERT INTO wp_options VALUES (1, 'siteurl', 'https://fullfrontend.be')"); r.Code != 0 {
		t.Fatal(r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var log bytes.Buffer
	rep, err := Run(ctx, s.options(t, pvc, &log))
	t.Log("\n" + log.String())
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	// wp_install adds a post, two pages (sample, privacy policy) and a comment.
	want := Counts{Posts: 61, Pages: 6, Attachments: 7, Users: 6, Comments: 21, Files: int64(s.files), Bytes: s.bytes}
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"posts", rep.After.Posts, want.Posts}, {"pages", rep.After.Pages, want.Pages},
		{"attachments", rep.After.Attachments, want.Attachments}, {"users", rep.After.Users, want.Users},
		{"comments", rep.After.Comments, want.Comments}, {"files", rep.After.Files, want.Files}, {"bytes", rep.After.Bytes, want.Bytes},
	} {
		if c.got != c.want {
			t.Errorf("%s after the move: %d, want %d (what the test built)", c.name, c.got, c.want)
		}
	}
	if rep.After.Options == 0 || rep.After.Options != rep.Before.Options {
		t.Errorf("options: %d before, %d after", rep.Before.Options, rep.After.Options)
	}
	if !rep.DatabaseMoved || rep.ValuesReplaced == 0 || rep.FilesCopied != int64(s.files) {
		t.Errorf("first run: moved %v, %d values replaced, %d files copied", rep.DatabaseMoved, rep.ValuesReplaced, rep.FilesCopied)
	}

	t.Run("URL replaced, serialized values still valid for PHP", func(t *testing.T) {
		if got := s.m.SQL(t, "wordpress", "SELECT option_value FROM wp_options WHERE option_name IN ('home','siteurl') ORDER BY option_name"); strings.Fields(got.Stdout)[0] != newURL || strings.Fields(got.Stdout)[1] != newURL {
			t.Errorf("home and siteurl = %q, want %s", got.Stdout, newURL)
		}
		if r := s.m.SQL(t, "wordpress", "SELECT COUNT(*) FROM wp_posts WHERE guid LIKE 'http://old.fullfrontend.be%'"); strings.TrimSpace(r.Stdout) == "0" {
			t.Errorf("guids were rewritten: WordPress keeps a post's GUID forever")
		}
		for _, q := range []string{
			"SELECT option_value FROM wp_options WHERE option_name = 'widget_text'",
			"SELECT option_value FROM wp_options WHERE option_name = 'theme_mods_twentytwentythree'",
			"SELECT option_value FROM wp_options WHERE option_name = 'fullfrontend_double'",
			"SELECT meta_value FROM wp_postmeta WHERE meta_key = '_wp_attachment_metadata' LIMIT 1",
			"SELECT meta_value FROM wp_postmeta WHERE meta_key = '_links' LIMIT 1",
		} {
			v := rawValue(t, s.db, q)
			if strings.Contains(v, "old.fullfrontend.be") || !strings.Contains(v, "fullfrontend.be") {
				t.Errorf("%s: old URL still there or new one missing: %s", q, v)
			}
			if !phpUnserializes(t, v) {
				t.Errorf("%s: PHP's unserialize() refuses the rewritten value %s", q, v)
			}
		}
		if v := rawValue(t, s.db, "SELECT meta_value FROM wp_postmeta WHERE meta_key = '_builder_data' LIMIT 1"); !strings.Contains(v, `https:\/\/fullfrontend.be`) {
			t.Errorf("JSON-escaped URL not replaced: %s", v)
		}
		if r := s.m.SQL(t, "", "SHOW DATABASES LIKE 'wordpress_replaced'"); !strings.Contains(r.Stdout, "wordpress_replaced") {
			t.Errorf("the tables the cluster had before are not kept in wordpress_replaced")
		}
	})

	t.Run("empty folders of wp-content are made too", func(t *testing.T) {
		if st, err := os.Stat(filepath.Join(pvc.Dir, "cache", "page-builder")); err != nil || !st.IsDir() {
			t.Errorf("wp-content/cache/page-builder not on the PVC: %v", err)
		}
	})

	t.Run("a plugin's BLOB rewritten, its ON UPDATE timestamp kept", func(t *testing.T) {
		var target, data, at string
		if err := s.db.QueryRow("SELECT target, action_data, DATE_FORMAT(last_access, '%Y-%m-%d %H:%i:%s') FROM wordpress.wp_redirection_items WHERE url = '/old-page'").Scan(&target, &data, &at); err != nil {
			t.Fatal(err)
		}
		if target != newURL+"/target" || data != newURL+"/new-page" || at != "2020-02-03 04:05:06" {
			t.Errorf("target %q, action_data %q, last_access %s; want %q, %q and the old site's 2020-02-03 04:05:06", target, data, at, newURL+"/target", newURL+"/new-page")
		}
	})

	t.Run("every form of the old address, counted", func(t *testing.T) {
		var target, data string
		if err := s.db.QueryRow("SELECT target, action_data FROM wordpress.wp_redirection_items WHERE url = '/forms'").Scan(&target, &data); err != nil {
			t.Fatal(err)
		}
		if target != "//fullfrontend.be/p?r=https%3A%2F%2Ffullfrontend.be%2Fq" || data != `https:\/\/fullfrontend.be\/j` {
			t.Errorf("target %q, action_data %q", target, data)
		}
		counts := map[string]int64{}
		for _, f := range rep.Forms {
			counts[f.Form] = f.Count
		}
		for _, form := range []string{oldURL, "//www.old.fullfrontend.be", "http%3A%2F%2Fold.fullfrontend.be", `https:\/\/www.old.fullfrontend.be`} {
			if counts[form] == 0 {
				t.Errorf("form %s not counted: %v", form, counts)
			}
		}
	})

	t.Run("a table without a primary key that holds the old URL stops the rewrite", func(t *testing.T) {
		if r := s.m.SQL(t, "", "CREATE DATABASE nokey; CREATE TABLE nokey.wp_stats (page text, hits int); INSERT INTO nokey.wp_stats VALUES ('"+oldURL+"/a', 3)"); r.Code != 0 {
			t.Fatal(r)
		}
		_, err := replaceURL(ctx, s.db, "nokey", "wp_posts", NewReplacer(oldURL, newURL))
		if err == nil || !strings.Contains(err.Error(), "tables without a primary key") || !strings.Contains(err.Error(), "wp_stats.page") {
			t.Fatalf("err = %v, want the table named", err)
		}
	})

	t.Run("second run changes nothing", func(t *testing.T) {
		var log bytes.Buffer
		again, err := Run(ctx, s.options(t, pvc, &log))
		t.Log("\n" + log.String())
		if err != nil {
			t.Fatal(err)
		}
		if again.DatabaseMoved || again.FilesCopied != 0 || again.After.Posts != rep.After.Posts || again.After.Files != rep.After.Files {
			t.Errorf("second run: moved %v, %d files copied, %s", again.DatabaseMoved, again.FilesCopied, again.After)
		}
		if r := s.m.SQL(t, "", "SHOW DATABASES LIKE 'wordpress_import'"); strings.Contains(r.Stdout, "wordpress_import") {
			t.Errorf("the scratch database is left behind")
		}
	})

	t.Run("a lost file fails the counts", func(t *testing.T) {
		lossy := dropOne{LocalDir(t.TempDir())}
		_, err := Run(ctx, s.options(t, lossy, io.Discard))
		if err == nil || !strings.Contains(err.Error(), "wp-content files:") {
			t.Fatalf("want a counts error naming wp-content files, got %v", err)
		}
	})

	t.Run("a write to the live site during the move fails the counts", func(t *testing.T) {
		// WordPress left running: a visitor comments while the files copy.
		live := commentDuringCopy{LocalDir(t.TempDir()), s.db}
		_, err := Run(ctx, s.options(t, live, io.Discard))
		if err == nil || !strings.Contains(err.Error(), "comments: 21 before, 22 after") || !strings.Contains(err.Error(), "table wp_comments") {
			t.Fatalf("want a counts error naming the comments, got %v", err)
		}
	})
}

// dropOne loses the first file of every extraction.
type dropOne struct{ LocalDir }

func (d dropOne) Extract(ctx context.Context, r io.Reader) error {
	tr := tar.NewReader(r)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for first := true; ; first = false {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if first {
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	tw.Close()
	return d.LocalDir.Extract(ctx, &buf)
}

type commentDuringCopy struct {
	LocalDir
	db *sql.DB
}

func (c commentDuringCopy) Extract(ctx context.Context, r io.Reader) error {
	if _, err := c.db.ExecContext(ctx, "INSERT INTO wordpress.wp_comments (comment_post_ID, comment_author, comment_content) VALUES (1, 'visitor', 'hello')"); err != nil {
		return err
	}
	return c.LocalDir.Extract(ctx, r)
}

func rawValue(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	var v string
	if err := db.QueryRow(strings.Replace(q, "FROM wp_", "FROM wordpress.wp_", 1)).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// phpUnserializes asks PHP itself whether v is valid serialized data.
func phpUnserializes(t *testing.T, v string) bool {
	t.Helper()
	cmd := exec.Command("php", "-r", `$v = stream_get_contents(STDIN); exit(unserialize($v) === false && $v !== serialize(false) ? 1 : 0);`)
	cmd.Stdin = strings.NewReader(v)
	return cmd.Run() == nil
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeGzip(t *testing.T, name string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write(data)
	z.Close()
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeTarGz archives files under a wp-content/ prefix, as `tar czf
// wp-content.tar.gz wp-content` on the Docker host does.
func writeTarGz(t *testing.T, name string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	tw := tar.NewWriter(z)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "wp-content/", Mode: 0o755})
	for _, p := range sortedKeys(files) {
		b := files[p]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "wp-content/" + p, Size: int64(len(b)), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "wp-content/uploads/latest", Linkname: "2024/02"})
	// An empty folder a plugin expects to find (its cache).
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "wp-content/cache/page-builder/", Mode: 0o755})
	tw.Close()
	z.Close()
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// localShell runs the PodDir scripts with the local sh, find, stat,
// sha256sum and tar (GNU, as in the official image).
func localShell(ctx context.Context, script string, args []string, stdin io.Reader, stdout io.Writer) error {
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", script, "sh"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, stderr.String())
	}
	return nil
}

// The pod target's own scripts, on a real directory: same listing as the
// local target, and a second run copies nothing.
func TestPodDirScripts(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	tarball := filepath.Join(src, "wp-content.tar.gz")
	files := map[string][]byte{"a.txt": []byte("a\n"), "uploads/é t/b.bin": randomBytes(t, 70000), "x/y/z/c": {}}
	writeTarGz(t, tarball, files)
	pod := PodDir{Dir: filepath.Join(t.TempDir(), "wp-content"), Shell: localShell}
	if _, err := pod.List(ctx); err == nil {
		t.Fatalf("listing a missing directory succeeded")
	}
	want := map[string]bool{}
	for p := range files {
		want[p] = true
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeSubset(tarball, want, pw)) }()
	if err := pod.Extract(ctx, pr); err != nil {
		t.Fatal(err)
	}
	got, err := pod.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	local, err := LocalDir(pod.Dir).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srcSums, err := sourceFiles(tarball, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(files) || fmt.Sprint(got) != fmt.Sprint(local) || fmt.Sprint(got) != fmt.Sprint(srcSums) {
		t.Errorf("pod listing %v\nlocal listing %v\narchive %v", got, local, srcSums)
	}
}
