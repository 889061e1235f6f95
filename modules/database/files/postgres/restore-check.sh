#!/bin/sh
# Restore verification: takes the newest complete PostgreSQL backup from S3,
# verifies its checksums, restores the roles and every database into a
# scratch server started inside this container (never the live one: this
# needs no database credential and cannot harm production), then checks that
#   - the tables, views and materialized views listed in the dump exist,
#   - every table holds as many rows as the dump's data section,
#   - the expected tables of each database exist,
# and records the result and durations as Prometheus metrics (stdout, the
# file $RESTORE_CHECK_METRICS_FILE if set, and restore-check.prom beside the
# checked backup). Any mismatch exits non-zero.
#
# Environment: BACKUP_S3_* and AWS_* (see db-lib.sh); BACKUP_WORK_DIR
# (scratch space for the download and the scratch server, default /tmp);
# RESTORE_CHECK_MAX_AGE_HOURS (default 48: an older newest backup fails the
# check, so a backup job that stopped running is noticed);
# RESTORE_CHECK_EXPECTED_TABLES ("db:table,table db2:table", tables of the
# public schema or schema-qualified).
# Must run as a non-root user (initdb refuses root): the image's postgres.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# Beside the script in the cluster (ConfigMap); DB_LIB_DIR points tests at
# modules/database/files.
# shellcheck source=SCRIPTDIR/../db-lib.sh
. "${DB_LIB_DIR:-$here}/db-lib.sh"
# shellcheck source=SCRIPTDIR/pg-lib.sh
. "$here/pg-lib.sh"

engine=postgres
s3_setup
work=$(mktemp -d "${BACKUP_WORK_DIR:-/tmp}/pg-restore-check.XXXXXX")
METRICS=$work/metrics.prom
: >"$METRICS"
checked=
pgdata=$work/pgdata
cleanup() {
	status=$?
	if [ -f "$pgdata/postmaster.pid" ]; then
		pg_ctl -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
	fi
	if [ "$status" -eq 0 ]; then
		finish_metrics "$engine" 1 "$checked"
		log "restore-check: PASSED for ${checked:-nothing}"
	else
		finish_metrics "$engine" 0 "$checked"
		log "restore-check: FAILED (exit $status) for ${checked:-no backup}"
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fetch_newest "$engine" dump

# Scratch server: unix socket only, durability off (it is thrown away).
initdb -D "$pgdata" -U restorecheck --auth=trust -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 ||
	die "initdb failed: $(cat "$work/initdb.log")"
cat >>"$pgdata/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$work'
fsync = off
full_page_writes = off
synchronous_commit = off
wal_level = minimal
max_wal_senders = 0
maintenance_work_mem = '256MB'
CONF
pg_ctl -D "$pgdata" -l "$work/postgres.log" -w -t 120 start >/dev/null || die "scratch server did not start: $(tail -n 20 "$work/postgres.log")"
# Only the scratch server from here on, whatever the environment said.
unset PGPASSWORD PGSERVICE PGSERVICEFILE PGPASSFILE PGPORT PGOPTIONS
PGHOST=$work
PGUSER=restorecheck
PGDATABASE=postgres
export PGHOST PGUSER PGDATABASE
psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

gzip -dc "$work/in/globals.sql.gz" >"$work/globals.sql" || die "globals.sql.gz is corrupt"
grep -q '^CREATE ROLE ' "$work/globals.sql" || die "globals.sql.gz holds no role"
psql_q -f "$work/globals.sql" >/dev/null || die "restoring the roles failed"

# Tables (plain and partitioned), views and materialized views, without
# those that belong to an extension (the dump creates them via the extension).
catalog_counts_sql="SELECT count(*) FILTER (WHERE relkind IN ('r', 'p')), count(*) FILTER (WHERE relkind = 'v'), count(*) FILTER (WHERE relkind = 'm')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
failures=0
fail() {
	log "restore-check: MISMATCH: $*"
	failures=$((failures + 1))
}
for db in $databases; do
	dump=$work/in/$db.dump
	metric fullfrontend_db_backup_size_bytes "engine=\"$engine\",database=\"$db\"" "$(wc -c <"$dump")"
	t0=$(date -u +%s)
	pg_restore -l "$dump" >"$work/$db.toc" 2>"$work/$db.err" || die "$db.dump is not a readable archive: $(head -c 500 "$work/$db.err")"
	pg_restore --create --exit-on-error -d postgres "$dump" 2>"$work/$db.err" ||
		die "restore of $db failed: $(head -c 2000 "$work/$db.err")"
	secs=$(($(date -u +%s) - t0))
	metric fullfrontend_db_restore_check_restore_seconds "engine=\"$engine\",database=\"$db\"" "$secs"

	# Objects: what the dump's table of contents lists vs the catalog.
	want=$(awk '$1 ~ /^[0-9]+;$/ {
		if ($4 == "TABLE" && $5 != "DATA" && $5 != "ATTACH") t++
		else if ($4 == "VIEW") v++
		else if ($4 == "MATERIALIZED" && $5 == "VIEW" && $6 != "DATA") m++
	} END { printf "%d|%d|%d", t, v, m }' "$work/$db.toc")
	got=$(psql_q -d "$db" -c "$catalog_counts_sql") || die "catalog query on $db failed"
	[ "$want" = "$got" ] || fail "$db: dump lists tables|views|matviews $want, restored $got"

	# Rows: the dump's COPY blocks counted line by line vs count(*).
	pg_dump_rows "$dump" "$work/$db.rows.dump"
	pg_table_rows "$db" "$work/$db.rows.restored"
	if ! diff -u "$work/$db.rows.dump" "$work/$db.rows.restored" >"$work/$db.diff"; then
		fail "$db: row counts differ (dump vs restored):
$(head -n 40 "$work/$db.diff")"
	fi
	tables=$(wc -l <"$work/$db.rows.dump")
	rows=$(sum_rows "$work/$db.rows.dump")
	metric fullfrontend_db_restore_check_tables "engine=\"$engine\",database=\"$db\"" "$tables"
	metric fullfrontend_db_restore_check_rows "engine=\"$engine\",database=\"$db\"" "$rows"

	for spec in ${RESTORE_CHECK_EXPECTED_TABLES:-}; do
		[ "${spec%%:*}" = "$db" ] || continue
		for table in $(printf '%s' "${spec#*:}" | tr ',' ' '); do
			# psql interpolates :'t' (as a quoted literal) only in scripts, not in -c.
			present=$(echo "SELECT to_regclass(:'t') IS NOT NULL;" | psql_q -d "$db" -v t="$table") || die "expected-table query failed"
			[ "$present" = t ] || fail "$db: expected table $table is missing"
		done
	done
	log "restore-check: $db restored in $secs s, $tables tables, $rows rows"
	psql_q -c "DROP DATABASE $db" || die "cannot drop the scratch copy of $db"
done

[ "$failures" -eq 0 ] || die "$failures mismatch(es)"
