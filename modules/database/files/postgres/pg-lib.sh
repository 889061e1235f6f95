# shellcheck shell=sh
# PostgreSQL helpers of restore-check.sh and restore.sh, sourced after
# db-lib.sh. The caller defines psql_q (psql quiet, tuples only, stop on
# error) for the server it works on.

# pg_dump_rows DUMP OUT: "schema.table<TAB>rows" for every table whose data
# the dump (custom format) holds, its COPY block counted line by line,
# sorted; names quoted the way pg_dump quotes them. Fails if the archive
# cannot be read.
pg_dump_rows() {
	pg_restore --data-only -f - "$1" 2>"$2.err" | awk '
		BEGIN { id = "([a-z_][a-z0-9_]*|\"([^\"]|\"\")*\")"; re = "^COPY " id "\\." id " " }
		incopy && $0 == "\\." { printf "%s\t%d\n", name, n; incopy = 0; next }
		incopy { n++; next }
		match($0, re) { name = substr($0, 6, RLENGTH - 6); n = 0; incopy = 1 }
	' | LC_ALL=C sort >"$2"
	if [ -s "$2.err" ]; then
		die "reading the data of $(basename "$1") failed: $(head -c 500 "$2.err")"
	fi
	rm -f "$2.err"
}

# pg_table_rows DB OUT: the same lines from count(*) of every plain table
# of DB (those of an extension aside: the dump recreates them through it).
pg_table_rows() {
	psql_q -d "$1" -c "SELECT format('SELECT %L || E''\\t'' || count(*) FROM %I.%I;', format('%I.%I', n.nspname, c.relname), n.nspname, c.relname)
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
	   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')" \
		>"$2.sql" || die "listing the tables of $1 failed"
	psql_q -d "$1" -f "$2.sql" | LC_ALL=C sort >"$2" || die "counting the rows of $1 failed"
	rm -f "$2.sql"
}
