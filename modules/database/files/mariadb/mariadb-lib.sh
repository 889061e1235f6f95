# shellcheck shell=sh
# MariaDB helpers of backup.sh, restore-check.sh and restore.sh, sourced
# after db-lib.sh. restore-check.sh and restore.sh define mdb (the client,
# batch mode without column names) for the server they work on.

# conn TOOL ARGS...: runs a client tool against the live server
# (MARIADB_HOST, MARIADB_PORT, MARIADB_USER, MARIADB_PASSWORD), the
# password in the environment only.
conn() {
	tool=$1
	shift
	if [ -n "${MARIADB_HOST:-}" ]; then
		set -- --protocol=tcp --host="$MARIADB_HOST" --port="${MARIADB_PORT:-3306}" "$@"
	fi
	MYSQL_PWD=${MARIADB_PASSWORD:-} "$tool" --no-defaults --user="${MARIADB_USER:-root}" "$@"
}

# mdb_dump_rows DUMP OUT: "table<TAB>rows" for every table of a gzipped
# mariadb-dump file, counted without a server (count-rows.awk), sorted.
mdb_dump_rows() {
	# shellcheck disable=SC2154 # here: the sourcing script's directory
	gzip -dc "$1" | awk -f "$here/count-rows.awk" | LC_ALL=C sort >"$2"
}

# mdb_table_rows DB OUT: the same lines from COUNT(*) of every base table
# of DB.
mdb_table_rows() {
	mdb -e "SELECT CONCAT('SELECT ', QUOTE(TABLE_NAME), ', COUNT(*) FROM \`', REPLACE(TABLE_SCHEMA, '\`', '\`\`'), '\`.\`',
	        REPLACE(TABLE_NAME, '\`', '\`\`'), '\`;')
	  FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$1' AND TABLE_TYPE = 'BASE TABLE'" >"$2.sql" ||
		die "listing the tables of $1 failed"
	mdb <"$2.sql" | LC_ALL=C sort >"$2" || die "counting the rows of $1 failed"
	rm -f "$2.sql"
}
