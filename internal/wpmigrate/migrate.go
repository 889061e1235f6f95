// Package wpmigrate moves the WordPress site from the Docker host into the
// cluster (infra migrate wordpress): a mysqldump of its database into the
// app's MariaDB database, a tar of wp-content onto its PVC, and the old
// site URL replaced by the new one without breaking PHP serialized values.
//
// The dump is loaded into a scratch database and rewritten there; its
// tables then replace the app's in one atomic RENAME TABLE, or not at all
// when the app already holds the same rows (a second run changes nothing).
// Files are copied only when their content differs. Counts are taken from
// the artefacts (before) and from the cluster (after); any difference
// fails the run and names what differs.
package wpmigrate

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Options of one migration.
type Options struct {
	// DB reaches the MariaDB server with rights to create databases (the
	// root account, through a port-forward in the cluster).
	DB       *sql.DB
	Database string // the app's database, for example wordpress
	Prefix   string // WordPress's table prefix, wp_ by default
	// Dump is the mysqldump file (plain or gzipped); Content the tar (or
	// tar.gz) of wp-content.
	Dump, Content string
	// OldURL is the site URL in the dump, NewURL the cluster's; equal or
	// empty OldURL: nothing is replaced.
	OldURL, NewURL string
	// Also are more hosts (or URLs) of the old site, rewritten like OldURL.
	Also  []string
	Files FileTarget
	Out   io.Writer
}

// Counts are what the run compares, before (artefacts) and after (cluster).
type Counts struct {
	Posts, Pages, Attachments, Users, Comments, Options int64
	Files, Bytes                                        int64
	// Rows per table, for the tables the dump creates.
	Rows map[string]int64
}

// Report is the outcome of a run.
type Report struct {
	Before, After  Counts
	DatabaseMoved  bool  // false: the app's database already held these rows
	ValuesReplaced int64 // values whose URL changed, in the scratch copy
	// Forms are the forms of the old address and how many of each were rewritten.
	Forms       []FormCount
	FilesCopied int64
	BytesCopied int64
	ExtraFiles  int64 // files on the target that the archive does not have
}

func (o Options) names() (staging, replaced string) {
	return o.Database + "_import", o.Database + "_replaced"
}

func (o Options) logf(format string, args ...any) {
	fmt.Fprintf(o.Out, "migrate wordpress: "+format+"\n", args...)
}

// Run migrates, prints the counts before and after, and fails when they
// differ.
func Run(ctx context.Context, o Options) (Report, error) {
	var rep Report
	if o.Prefix == "" {
		o.Prefix = "wp_"
	}
	if o.Database == "" || strings.ContainsAny(o.Database, "`.") {
		return rep, fmt.Errorf("database name %q: want a plain name such as wordpress", o.Database)
	}
	staging, replaced := o.names()
	posts := o.Prefix + "posts"

	// Files first: reading the archive fails early on a bad file, before
	// the database is touched.
	start := time.Now()
	src, err := sourceFiles(o.Content, func(s string) { o.logf("%s", s) })
	if err != nil {
		return rep, err
	}
	for _, s := range src {
		rep.Before.Files++
		rep.Before.Bytes += s.Size
	}

	f, err := os.Open(o.Dump)
	if err != nil {
		return rep, fmt.Errorf("open the dump: %w", err)
	}
	defer f.Close()
	sqlText, err := OpenDump(f)
	if err != nil {
		return rep, err
	}
	counter := newDumpCounter(map[string]string{posts: "post_type"})
	o.logf("loading %s into the scratch database %s", o.Dump, staging)
	if err := loadDump(ctx, o.DB, staging, sqlText, counter); err != nil {
		return rep, err
	}
	rep.Before.fromRows(counter.rows, counter.byValue[posts], o.Prefix)
	if _, ok := counter.rows[posts]; !ok {
		return rep, fmt.Errorf("the dump has no table %s: wrong --table-prefix, or not a WordPress database", posts)
	}
	o.logf("before (from the artefacts): %s", rep.Before)

	if o.OldURL != "" && strings.TrimSuffix(o.OldURL, "/") != strings.TrimSuffix(o.NewURL, "/") {
		r := NewReplacer(o.OldURL, o.NewURL, o.Also...)
		rep.ValuesReplaced, err = replaceURL(ctx, o.DB, staging, posts, r)
		if err != nil {
			return rep, fmt.Errorf("replace %s by %s: %w", o.OldURL, o.NewURL, err)
		}
		o.logf("%s -> %s: %d values rewritten (serialized values kept valid)", o.OldURL, o.NewURL, rep.ValuesReplaced)
		rep.Forms = r.Forms()
		for _, f := range rep.Forms {
			if f.Count > 0 {
				o.logf("  %d x %s", f.Count, f.Form)
			}
		}
	}

	same, err := sameContent(ctx, o.DB, staging, o.Database)
	if err != nil {
		return rep, err
	}
	if same {
		o.logf("database %s already holds these rows: unchanged", o.Database)
		if _, err := o.DB.ExecContext(ctx, "DROP DATABASE "+quoteIdent(staging)); err != nil {
			return rep, fmt.Errorf("drop the scratch database: %w", err)
		}
	} else {
		if err := swap(ctx, o.DB, staging, o.Database, replaced); err != nil {
			return rep, err
		}
		if _, err := o.DB.ExecContext(ctx, "DROP DATABASE "+quoteIdent(staging)); err != nil {
			return rep, fmt.Errorf("drop the scratch database: %w", err)
		}
		rep.DatabaseMoved = true
		o.logf("database %s replaced; its previous tables are in %s", o.Database, replaced)
	}

	if err := copyFiles(ctx, o, src, &rep); err != nil {
		return rep, err
	}

	rows, byType, err := dbCounts(ctx, o.DB, o.Database, posts, "post_type")
	if err != nil {
		return rep, err
	}
	rep.After.fromRows(rows, byType, o.Prefix)
	onTarget, err := o.Files.List(ctx)
	if err != nil {
		return rep, fmt.Errorf("list wp-content after the copy: %w", err)
	}
	for p, s := range onTarget {
		if want, ok := src[p]; ok && want == s {
			rep.After.Files++
			rep.After.Bytes += s.Size
		} else if !ok {
			rep.ExtraFiles++
		}
	}
	o.logf("after (in the cluster):       %s", rep.After)
	o.logf("%d files (%d bytes) copied, %d already there; %d files on the PVC that the archive does not have (left alone); %s",
		rep.FilesCopied, rep.BytesCopied, rep.Before.Files-rep.FilesCopied, rep.ExtraFiles, time.Since(start).Round(time.Millisecond))
	if diffs := rep.Before.diff(rep.After); len(diffs) > 0 {
		return rep, fmt.Errorf("counts differ after the migration: %s", strings.Join(diffs, "; "))
	}
	return rep, nil
}

// copyFiles writes the archive's files that the target lacks or holds with
// other content.
func copyFiles(ctx context.Context, o Options, src map[string]FileSum, rep *Report) error {
	have, err := o.Files.List(ctx)
	if err != nil {
		return fmt.Errorf("list wp-content on the target: %w", err)
	}
	want := map[string]bool{}
	for p, s := range src {
		if have[p] != s {
			want[p] = true
			rep.FilesCopied++
			rep.BytesCopied += s.Size
		}
	}
	if len(want) == 0 {
		// The archive's directories are still made (empty ones included).
		o.logf("wp-content already holds every file of the archive: nothing to copy")
	} else {
		o.logf("copying %d of %d files of wp-content", len(want), len(src))
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeSubset(o.Content, want, pw)) }()
	if err := o.Files.Extract(ctx, pr); err != nil {
		pr.CloseWithError(err)
		return fmt.Errorf("copy wp-content: %w", err)
	}
	return nil
}

func (c *Counts) fromRows(rows, byType map[string]int64, prefix string) {
	c.Rows = rows
	c.Posts, c.Pages, c.Attachments = byType["post"], byType["page"], byType["attachment"]
	c.Users, c.Comments, c.Options = rows[prefix+"users"], rows[prefix+"comments"], rows[prefix+"options"]
}

func (c Counts) String() string {
	return fmt.Sprintf("posts %d, pages %d, attachments %d, users %d, comments %d, options %d; wp-content %d files, %d bytes",
		c.Posts, c.Pages, c.Attachments, c.Users, c.Comments, c.Options, c.Files, c.Bytes)
}

// diff names every figure that differs, the rows of each table included.
func (c Counts) diff(after Counts) []string {
	var out []string
	for _, f := range []struct {
		name string
		a, b int64
	}{
		{"posts", c.Posts, after.Posts}, {"pages", c.Pages, after.Pages}, {"attachments", c.Attachments, after.Attachments},
		{"users", c.Users, after.Users}, {"comments", c.Comments, after.Comments}, {"options", c.Options, after.Options},
		{"wp-content files", c.Files, after.Files}, {"wp-content bytes", c.Bytes, after.Bytes},
	} {
		if f.a != f.b {
			out = append(out, fmt.Sprintf("%s: %d before, %d after", f.name, f.a, f.b))
		}
	}
	for _, t := range sortedKeys(c.Rows) {
		if n, ok := after.Rows[t]; !ok {
			out = append(out, fmt.Sprintf("table %s: %d rows before, missing after", t, c.Rows[t]))
		} else if n != c.Rows[t] {
			out = append(out, fmt.Sprintf("table %s: %d rows before, %d after", t, c.Rows[t], n))
		}
	}
	return out
}
