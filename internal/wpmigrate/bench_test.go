package wpmigrate

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/testsupport/dbtest"
)

// TestLargeMigration is a measurement, not a timed test: a migrate round
// trip on a WordPress database of more than 1 GiB, against the raw
// `mariadb-dump | mariadb` of the same data on the same server. Run by
// hand:
//
//	INFRA_BENCH_1GIB=1 go test -v -run TestLargeMigration -timeout 60m ./internal/wpmigrate/
func TestLargeMigration(t *testing.T) {
	if os.Getenv("INFRA_BENCH_1GIB") != "1" {
		t.Skip("measurement: set INFRA_BENCH_1GIB=1 to run it")
	}
	m := dbtest.StartMariaDB(t)
	// 520,000 posts of about 2 KiB: one in five links to the old URL.
	setup := `CREATE DATABASE oldsite CHARACTER SET utf8mb4; CREATE DATABASE wordpress; CREATE DATABASE rawcopy; USE oldsite;
CREATE TABLE wp_posts (ID bigint PRIMARY KEY, post_type varchar(20), post_content longtext, guid varchar(255));
CREATE TABLE wp_options (option_id bigint PRIMARY KEY, option_name varchar(191), option_value longtext);
CREATE TABLE wp_users (ID bigint PRIMARY KEY, user_login varchar(60));
CREATE TABLE wp_comments (comment_ID bigint PRIMARY KEY, comment_content text);
INSERT INTO wp_posts SELECT seq, IF(seq % 10 = 0, 'page', 'post'), CONCAT(REPEAT('lorem ipsum dolor ', 112), IF(seq % 5 = 0, ' <a href="http://old.example/x">x</a>', '')), CONCAT('http://old.example/?p=', seq) FROM seq_1_to_520000;
INSERT INTO wp_options VALUES (1, 'siteurl', 'http://old.example'), (2, 'widget', 'a:1:{s:3:"url";s:20:"http://old.example/w";}');
INSERT INTO wp_users VALUES (1, 'admin');
SELECT ROUND(SUM(data_length + index_length) / 1048576) FROM information_schema.TABLES WHERE table_schema = 'oldsite';`
	r := m.SQL(t, "", setup)
	if r.Code != 0 {
		t.Fatal(r)
	}
	t.Logf("old site: %s MiB in MariaDB's accounting", r.Stdout)
	dir := t.TempDir()
	dump := filepath.Join(dir, "wordpress.sql")
	connArgs := []string{"--no-defaults", "--host=127.0.0.1", fmt.Sprintf("--port=%d", m.Port), "--user=root", "--password=" + m.Password}

	start := time.Now()
	f, err := os.Create(dump)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dbtest.Tool(t, "mariadb-dump"), append(connArgs, "--single-transaction", "oldsite")...)
	cmd.Stdout = f
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(dump)
	t.Logf("mariadb-dump to a file: %s, %d MiB", time.Since(start).Round(time.Second), st.Size()>>20)

	// The raw reference: the same dump loaded with the client.
	start = time.Now()
	in, err := os.Open(dump)
	if err != nil {
		t.Fatal(err)
	}
	load := exec.Command(dbtest.Tool(t, "mariadb"), append(connArgs, "rawcopy")...)
	load.Stdin = in
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("mariadb < dump: %v\n%s", err, out)
	}
	in.Close()
	raw := time.Since(start)

	tarball := filepath.Join(dir, "wp-content.tar.gz")
	writeTarGz(t, tarball, map[string][]byte{"index.php": []byte("<?php\n")})
	db, err := Connect(fmt.Sprintf("127.0.0.1:%d", m.Port), "root", m.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	o := Options{DB: db, Database: "wordpress", Dump: dump, Content: tarball, OldURL: "http://old.example", NewURL: "https://fullfrontend.be", Files: LocalDir(t.TempDir()), Out: testWriter{t}}
	ctx := context.Background()
	start = time.Now()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(start)
	start = time.Now()
	if _, err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	second := time.Since(start)
	t.Logf("mariadb < dump (raw load): %s", raw.Round(time.Second))
	t.Logf("migrate wordpress, first run (load, %d values rewritten, swap, counts): %s (%.1f × raw)", rep.ValuesReplaced, first.Round(time.Second), first.Seconds()/raw.Seconds())
	t.Logf("migrate wordpress, second run (nothing changes): %s", second.Round(time.Second))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

var _ io.Writer = testWriter{}
