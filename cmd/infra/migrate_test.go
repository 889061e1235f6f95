package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/dbtest"
)

// TestMigrateWordPressCommand runs the command end to end: kubectl is a fake
// that hands it a real MariaDB (as the port-forward would) and a real
// directory (as the WordPress pod would). The package's own tests cover
// the migration itself on a site WordPress builds.
func TestMigrateWordPressCommand(t *testing.T) {
	m := dbtest.StartMariaDB(t)
	dir := t.TempDir()
	kubectl := filepath.Join(dir, "kubectl")
	if out, err := exec.Command("go", "build", "-o", kubectl, "./testdata/fakekubectl").CombinedOutput(); err != nil {
		t.Fatalf("build fakekubectl: %v\n%s", err, out)
	}
	site := `CREATE DATABASE oldsite; USE oldsite;
CREATE TABLE wp_posts (ID bigint PRIMARY KEY, post_type varchar(20), post_content longtext, guid varchar(255));
CREATE TABLE wp_options (option_id bigint PRIMARY KEY, option_name varchar(191), option_value longtext);
CREATE TABLE wp_users (ID bigint PRIMARY KEY, user_login varchar(60));
CREATE TABLE wp_comments (comment_ID bigint PRIMARY KEY, comment_content text);
INSERT INTO wp_posts VALUES (1,'post','<a href="http://old.example/a">a</a>','http://old.example/?p=1'),(2,'page','x','http://old.example/?p=2');
INSERT INTO wp_options VALUES (1,'siteurl','http://old.example'),(2,'widget','a:1:{s:3:"url";s:20:"http://old.example/w";}');
INSERT INTO wp_users VALUES (1,'admin');
CREATE DATABASE wordpress;`
	if r := m.SQL(t, "", site); r.Code != 0 {
		t.Fatal(r)
	}
	dump := filepath.Join(dir, "wordpress.sql")
	out, err := exec.Command(dbtest.Tool(t, "mariadb-dump"), "--no-defaults", "--host=127.0.0.1", fmt.Sprintf("--port=%d", m.Port),
		"--user=root", "--password="+m.Password, "oldsite").Output()
	if err != nil {
		t.Fatalf("mariadb-dump: %v", err)
	}
	if err := os.WriteFile(dump, out, 0o600); err != nil {
		t.Fatal(err)
	}
	content := filepath.Join(dir, "wp-content.tar")
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for name, body := range map[string]string{"./index.php": "<?php\n", "./uploads/2024/a.jpg": "jpeg"} {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(body)), Mode: 0o644})
		tw.Write([]byte(body))
	}
	tw.Close()
	if err := os.WriteFile(content, tb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	pvc := t.TempDir()
	t.Setenv("FAKE_ROOT_PASSWORD", m.Password)
	t.Setenv("FAKE_MARIADB_PORT", fmt.Sprint(m.Port))
	t.Setenv("FAKE_PVC_DIR", pvc)

	o := migrateWordPressOptions{dump: dump, content: content, oldURL: "http://old.example", newURL: "https://fullfrontend.be",
		database: "wordpress", prefix: "wp_", dataNS: "data", appNS: "wordpress", kube: kubeFlags{kubectl: kubectl}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := migrateWordPress(ctx, o, &stdout, &stderr); err != nil {
		t.Fatalf("migrate: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	t.Log("\n" + stdout.String())
	for _, want := range []string{
		"before (from the artefacts): posts 1, pages 1, attachments 0, users 1, comments 0, options 2; wp-content 2 files, 10 bytes",
		"after (in the cluster):       posts 1, pages 1, attachments 0, users 1, comments 0, options 2; wp-content 2 files, 10 bytes",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if r := m.SQL(t, "wordpress", "SELECT option_value FROM wp_options WHERE option_id = 2"); strings.TrimSpace(r.Stdout) != `a:1:{s:3:"url";s:25:"https://fullfrontend.be/w";}` {
		t.Errorf("serialized option after the move: %q", r.Stdout)
	}
	if b, err := os.ReadFile(filepath.Join(pvc, "uploads/2024/a.jpg")); err != nil || string(b) != "jpeg" {
		t.Errorf("wp-content not on the PVC: %v %q", err, b)
	}

	t.Run("bad input is refused before anything runs", func(t *testing.T) {
		for _, c := range []struct {
			name string
			edit func(*migrateWordPressOptions)
			want string
		}{
			{"no old URL", func(o *migrateWordPressOptions) { o.oldURL = "" }, "missing --old-url"},
			{"URL without scheme", func(o *migrateWordPressOptions) { o.newURL = "fullfrontend.be" }, "is not a site URL"},
			{"missing dump", func(o *migrateWordPressOptions) { o.dump = filepath.Join(dir, "nope.sql") }, "nope.sql"},
			// The cluster's WordPress reads wp_ (FAKE_TABLE_PREFIX unset:
			// the image's default).
			{"another table prefix than the cluster's", func(o *migrateWordPressOptions) { o.prefix = "wpx7_" },
				`--table-prefix is wpx7_ but the cluster's WordPress reads wp_ (WORDPRESS_TABLE_PREFIX of deploy/wordpress): it would find no installation; set wordpress_table_prefix = "wpx7_"`},
		} {
			bad := o
			c.edit(&bad)
			err := migrateWordPress(ctx, bad, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: want an error with %q, got %v", c.name, c.want, err)
			}
		}
	})
}
