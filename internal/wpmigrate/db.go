package wpmigrate

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// quoteIdent quotes a MariaDB identifier.
func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// loadDump runs every statement of the dump on one connection, in database
// db (recreated empty first: it is a scratch copy), and counts what the
// dump inserts. USE and CREATE DATABASE statements (a dump made with
// --databases) are skipped so that nothing lands outside db.
func loadDump(ctx context.Context, pool *sql.DB, db string, dump io.Reader, counter *dumpCounter) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	for _, q := range []string{
		"DROP DATABASE IF EXISTS " + quoteIdent(db),
		"CREATE DATABASE " + quoteIdent(db) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
		"USE " + quoteIdent(db),
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("prepare the scratch database %s: %w", db, err)
		}
	}
	n := 0
	err = splitStatements(dump, func(stmt string) error {
		if skipRe.MatchString(stmt) {
			return nil
		}
		if err := counter.add(stmt); err != nil {
			return err
		}
		n++
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("statement %d of the dump (%.80s...): %w", n, stmt, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load the dump into %s: %w", db, err)
	}
	if n == 0 {
		return fmt.Errorf("the dump holds no SQL statement: is it a mysqldump?")
	}
	return nil
}

// tables lists the base tables of db.
func tables(ctx context.Context, pool *sql.DB, db string) ([]string, error) {
	out, err := strings1(ctx, pool, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", db)
	if err != nil {
		return nil, fmt.Errorf("list the tables of %s: %w", db, err)
	}
	return out, nil
}

// strings1 runs a query whose rows are one string each.
func strings1(ctx context.Context, pool *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := pool.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// replaceURL rewrites the old URL in every text column of every table of
// db that has a primary key, except the posts' guid (WordPress's own rule:
// a GUID never changes, feed readers key on it). It returns how many values
// changed.
func replaceURL(ctx context.Context, pool *sql.DB, db, postsTable string, r Replacer) (int64, error) {
	type column struct{ table, name string }
	rows, err := pool.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND DATA_TYPE IN ('char','varchar','tinytext','text','mediumtext','longtext',
			'binary','varbinary','tinyblob','blob','mediumblob','longblob')
		ORDER BY TABLE_NAME, ORDINAL_POSITION`, db)
	if err != nil {
		return 0, fmt.Errorf("list the text columns of %s: %w", db, err)
	}
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name); err != nil {
			rows.Close()
			return 0, err
		}
		if !(c.table == postsTable && c.name == "guid") {
			cols = append(cols, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var changed int64
	keys := map[string][]string{}
	kept := map[string][]string{} // ON UPDATE CURRENT_TIMESTAMP columns, by table
	var noKey []string
	for _, c := range cols {
		pk, ok := keys[c.table]
		if !ok {
			if pk, err = primaryKey(ctx, pool, db, c.table); err != nil {
				return changed, err
			}
			keys[c.table] = pk
			if kept[c.table], err = onUpdateColumns(ctx, pool, db, c.table); err != nil {
				return changed, err
			}
		}
		if len(pk) == 0 {
			// No way to address a row (WordPress's own tables all have a
			// key; a plugin's may not): stop if the old URL is there.
			found, err := columnHolds(ctx, pool, db, c.table, c.name, r)
			if err != nil {
				return changed, err
			}
			if found {
				noKey = append(noKey, c.table+"."+c.name)
			}
			continue
		}
		n, err := replaceColumn(ctx, pool, db, c.table, c.name, pk, kept[c.table], r)
		changed += n
		if err != nil {
			return changed, err
		}
	}
	if len(noKey) > 0 {
		return changed, fmt.Errorf("the old URL is in columns of tables without a primary key, whose rows cannot be rewritten one by one: %s; add a primary key to those tables on the old site (or empty them if the plugin rebuilds them), dump again and run again", strings.Join(noKey, ", "))
	}
	return changed, nil
}

// onUpdateColumns lists the table's columns that the server sets to the
// current time whenever a row changes (ON UPDATE CURRENT_TIMESTAMP): the
// rewrite assigns them their own value, so they come out as they went in.
func onUpdateColumns(ctx context.Context, pool *sql.DB, db, table string) ([]string, error) {
	cols, err := strings1(ctx, pool, `SELECT COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND LOWER(EXTRA) LIKE '%on update%' ORDER BY ORDINAL_POSITION`, db, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	return cols, nil
}

// columnHolds reports whether some row of the column holds the old URL.
func columnHolds(ctx context.Context, pool *sql.DB, db, table, col string, r Replacer) (bool, error) {
	var like []string
	var args []any
	for _, p := range r.pairs {
		like = append(like, quoteIdent(col)+" LIKE ?")
		args = append(args, "%"+likeEscape(p[0])+"%")
	}
	var n int
	q := fmt.Sprintf("SELECT COUNT(*) FROM %s.%s WHERE %s", quoteIdent(db), quoteIdent(table), strings.Join(like, " OR "))
	if err := pool.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("read %s.%s: %w", table, col, err)
	}
	return n > 0, nil
}

func primaryKey(ctx context.Context, pool *sql.DB, db, table string) ([]string, error) {
	pk, err := strings1(ctx, pool, `SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, db, table)
	if err != nil {
		return nil, fmt.Errorf("primary key of %s: %w", table, err)
	}
	return pk, nil
}

func replaceColumn(ctx context.Context, pool *sql.DB, db, table, col string, pk, keep []string, r Replacer) (int64, error) {
	t := quoteIdent(db) + "." + quoteIdent(table)
	var sel, where []string
	for _, k := range pk {
		sel = append(sel, quoteIdent(k))
		where = append(where, quoteIdent(k)+" = ?")
	}
	var like []string
	var args []any
	for _, p := range r.pairs {
		like = append(like, quoteIdent(col)+" LIKE ?")
		args = append(args, "%"+likeEscape(p[0])+"%")
	}
	q := fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s", strings.Join(sel, ", "), quoteIdent(col), t, strings.Join(like, " OR "))
	// Rows stream from one connection while the updates go through a
	// transaction on another (one commit per column: a commit per row would
	// dominate the time on a large site), so no column is held in memory.
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("update %s.%s: %w", table, col, err)
	}
	defer tx.Rollback()
	set := []string{quoteIdent(col) + " = ?"}
	for _, k := range keep {
		set = append(set, quoteIdent(k)+" = "+quoteIdent(k)) // assigned: not auto-updated
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("UPDATE %s SET %s WHERE %s", t, strings.Join(set, ", "), strings.Join(where, " AND ")))
	if err != nil {
		return 0, fmt.Errorf("update %s.%s: %w", table, col, err)
	}
	defer stmt.Close()
	rows, err := pool.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("read %s.%s: %w", table, col, err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		key := make([]any, len(pk))
		ptrs := make([]any, len(pk)+1)
		for i := range key {
			ptrs[i] = &key[i]
		}
		var v sql.RawBytes
		ptrs[len(pk)] = &v
		if err := rows.Scan(ptrs...); err != nil {
			return 0, fmt.Errorf("read %s.%s: %w", table, col, err)
		}
		nv := r.Replace(string(v))
		if nv == string(v) {
			continue
		}
		if _, err := stmt.ExecContext(ctx, append([]any{nv}, key...)...); err != nil {
			return 0, fmt.Errorf("update %s.%s: %w", table, col, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read %s.%s: %w", table, col, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("update %s.%s: %w", table, col, err)
	}
	return n, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// checksums returns CHECKSUM TABLE of every table of db.
func checksums(ctx context.Context, pool *sql.DB, db string) (map[string]int64, error) {
	ts, err := tables(ctx, pool, db)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, t := range ts {
		var name string
		var sum sql.NullInt64
		if err := pool.QueryRowContext(ctx, "CHECKSUM TABLE "+quoteIdent(db)+"."+quoteIdent(t)).Scan(&name, &sum); err != nil {
			return nil, fmt.Errorf("checksum of %s.%s: %w", db, t, err)
		}
		out[t] = sum.Int64
	}
	return out, nil
}

// sameContent reports whether two databases hold the same tables with the
// same rows.
func sameContent(ctx context.Context, pool *sql.DB, a, b string) (bool, error) {
	x, err := checksums(ctx, pool, a)
	if err != nil {
		return false, err
	}
	y, err := checksums(ctx, pool, b)
	if err != nil {
		return false, err
	}
	if len(x) != len(y) {
		return false, nil
	}
	for t, s := range x {
		if v, ok := y[t]; !ok || v != s {
			return false, nil
		}
	}
	return true, nil
}

// swap moves the tables of staging into db in one atomic RENAME TABLE; the
// tables db held before go to replaced (emptied first), so the site before
// the migration can still be looked at or restored by hand.
func swap(ctx context.Context, pool *sql.DB, staging, db, replaced string) error {
	newTables, err := tables(ctx, pool, staging)
	if err != nil {
		return err
	}
	oldTables, err := tables(ctx, pool, db)
	if err != nil {
		return err
	}
	for _, q := range []string{
		"DROP DATABASE IF EXISTS " + quoteIdent(replaced),
		"CREATE DATABASE " + quoteIdent(replaced),
	} {
		if _, err := pool.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("prepare %s: %w", replaced, err)
		}
	}
	var renames []string
	for _, t := range oldTables {
		renames = append(renames, quoteIdent(db)+"."+quoteIdent(t)+" TO "+quoteIdent(replaced)+"."+quoteIdent(t))
	}
	for _, t := range newTables {
		renames = append(renames, quoteIdent(staging)+"."+quoteIdent(t)+" TO "+quoteIdent(db)+"."+quoteIdent(t))
	}
	if _, err := pool.ExecContext(ctx, "RENAME TABLE "+strings.Join(renames, ", ")); err != nil {
		return fmt.Errorf("move the imported tables into %s: %w", db, err)
	}
	return nil
}

// dbCounts reads the rows per table of db and the rows per value of one
// column of one table.
func dbCounts(ctx context.Context, pool *sql.DB, db, table, column string) (map[string]int64, map[string]int64, error) {
	ts, err := tables(ctx, pool, db)
	if err != nil {
		return nil, nil, err
	}
	rows := map[string]int64{}
	for _, t := range ts {
		var n int64
		if err := pool.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(db)+"."+quoteIdent(t)).Scan(&n); err != nil {
			return nil, nil, fmt.Errorf("count %s.%s: %w", db, t, err)
		}
		rows[t] = n
	}
	byValue := map[string]int64{}
	if _, ok := rows[table]; ok {
		r, err := pool.QueryContext(ctx, fmt.Sprintf("SELECT %s, COUNT(*) FROM %s.%s GROUP BY 1", quoteIdent(column), quoteIdent(db), quoteIdent(table)))
		if err != nil {
			return nil, nil, fmt.Errorf("count %s by %s: %w", table, column, err)
		}
		defer r.Close()
		for r.Next() {
			var v string
			var n int64
			if err := r.Scan(&v, &n); err != nil {
				return nil, nil, err
			}
			byValue[v] = n
		}
		if err := r.Err(); err != nil {
			return nil, nil, err
		}
	}
	return rows, byValue, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Connect opens a pool to a MariaDB server over TCP, in utf8mb4 (WordPress
// content is multilingual; the dump's SET NAMES applies on top).
func Connect(addr, user, password string) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = user, password, "tcp", addr
	// 0: the driver asks the server for max_allowed_packet, so a dump's
	// large extended INSERTs pass whenever the server takes them.
	cfg.MaxAllowedPacket = 0
	sep := "?"
	if strings.Contains(cfg.FormatDSN(), "?") {
		sep = "&"
	}
	dsn, err := mysql.ParseDSN(cfg.FormatDSN() + sep + "charset=utf8mb4")
	if err != nil {
		return nil, fmt.Errorf("database address: %w", err)
	}
	c, err := mysql.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to MariaDB at %s as %s: %w", addr, user, err)
	}
	return db, nil
}
