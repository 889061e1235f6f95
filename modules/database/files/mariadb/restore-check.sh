#!/bin/sh
# Restore verification: takes the newest complete MariaDB backup from S3,
# verifies its checksums, restores the accounts and every database into a
# scratch server started inside this container (never the live one: this
# needs no database credential and cannot harm production), then checks that
#   - every dump is complete (gzip intact, mariadb-dump's final line),
#   - the restored tables are exactly those of the dump, each with as many
#     rows as the dump's INSERT statements hold (count-rows.awk),
#   - the expected tables of each database exist,
# and records the result and durations as Prometheus metrics (stdout, the
# file $RESTORE_CHECK_METRICS_FILE if set, and restore-check.prom beside the
# checked backup). Any mismatch exits non-zero.
#
# Environment: BACKUP_S3_* and AWS_* (see db-lib.sh); BACKUP_WORK_DIR
# (scratch space, default /tmp); RESTORE_CHECK_MAX_AGE_HOURS (default 48);
# RESTORE_CHECK_EXPECTED_TABLES ("db:table,table db2:table");
# RESTORE_CHECK_BUFFER_POOL (scratch InnoDB buffer pool, default 256M).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# Beside the script in the cluster (ConfigMap); DB_LIB_DIR points tests at
# modules/database/files.
# shellcheck source=SCRIPTDIR/../db-lib.sh
. "${DB_LIB_DIR:-$here}/db-lib.sh"
# shellcheck source=SCRIPTDIR/mariadb-lib.sh
. "$here/mariadb-lib.sh"

engine=mariadb
s3_setup
work=$(mktemp -d "${BACKUP_WORK_DIR:-/tmp}/mariadb-restore-check.XXXXXX")
METRICS=$work/metrics.prom
: >"$METRICS"
checked=
server_pid=
sock=$work/mariadb.sock
cleanup() {
	status=$?
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
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

fetch_newest "$engine" sql.gz
for f in "$work"/in/*.gz; do
	gzip -t "$f" 2>"$work/gzip.err" || die "$(basename "$f") is corrupt: $(head -c 300 "$work/gzip.err")"
done

# Scratch server: socket only, no binary log, durability off.
user_opt=
[ "$(id -u)" != 0 ] || user_opt=--user=root
# shellcheck disable=SC2086 # $user_opt is empty or one word
mariadb-install-db --no-defaults $user_opt --datadir="$work/data" --auth-root-authentication-method=normal \
	--skip-test-db >"$work/install.log" 2>&1 || die "mariadb-install-db failed: $(tail -n 20 "$work/install.log")"
# shellcheck disable=SC2086
mariadbd --no-defaults $user_opt --datadir="$work/data" --socket="$sock" --pid-file="$work/mariadb.pid" \
	--skip-networking --skip-log-bin --innodb-buffer-pool-size="${RESTORE_CHECK_BUFFER_POOL:-256M}" \
	--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --max-allowed-packet=1G \
	--log-error="$work/mariadb.err" &
server_pid=$!
i=0
until mariadb-admin --no-defaults --socket="$sock" --user=root ping >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 120 ] || die "scratch server did not start: $(tail -n 20 "$work/mariadb.err")"
	kill -0 "$server_pid" 2>/dev/null || die "scratch server exited: $(tail -n 20 "$work/mariadb.err")"
	sleep 1
done
# The accounts dump sets root's password to production's: work as an
# account of our own, unknown to the dump.
scratch_pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
mariadb --no-defaults --socket="$sock" --user=root -e "CREATE USER restorecheck@localhost IDENTIFIED BY '$scratch_pw';
  GRANT ALL PRIVILEGES ON *.* TO restorecheck@localhost WITH GRANT OPTION;
  GRANT PROXY ON ''@'%' TO restorecheck@localhost WITH GRANT OPTION;" || die "cannot create the scratch account"
mdb() { MYSQL_PWD=$scratch_pw mariadb --no-defaults --socket="$sock" --user=restorecheck --batch --skip-column-names "$@"; }

gzip -dc "$work/in/users.sql.gz" >"$work/users.sql"
grep -q 'CREATE USER' "$work/users.sql" || die "users.sql.gz holds no account"
mdb <"$work/users.sql" 2>"$work/users.err" || die "restoring the accounts failed: $(head -c 1000 "$work/users.err")"

failures=0
fail() {
	log "restore-check: MISMATCH: $*"
	failures=$((failures + 1))
}
for db in $databases; do
	dump=$work/in/$db.sql.gz
	metric fullfrontend_db_backup_size_bytes "engine=\"$engine\",database=\"$db\"" "$(wc -c <"$dump")"
	[ "$(gzip -dc "$dump" | tail -n 1 | cut -c1-17)" = "-- Dump completed" ] || die "$db.sql.gz is truncated (no final line)"
	t0=$(date -u +%s)
	# gzip was tested above, so the pipe's status is the client's.
	gzip -dc "$dump" | mdb 2>"$work/$db.err" || die "restore of $db failed: $(head -c 2000 "$work/$db.err")"
	secs=$(($(date -u +%s) - t0))
	metric fullfrontend_db_restore_check_restore_seconds "engine=\"$engine\",database=\"$db\"" "$secs"

	mdb_dump_rows "$dump" "$work/$db.rows.dump"
	mdb_table_rows "$db" "$work/$db.rows.restored"
	if ! diff -u "$work/$db.rows.dump" "$work/$db.rows.restored" >"$work/$db.diff"; then
		fail "$db: tables or row counts differ (dump vs restored):
$(head -n 40 "$work/$db.diff")"
	fi
	tables=$(wc -l <"$work/$db.rows.dump")
	rows=$(sum_rows "$work/$db.rows.dump")
	metric fullfrontend_db_restore_check_tables "engine=\"$engine\",database=\"$db\"" "$tables"
	metric fullfrontend_db_restore_check_rows "engine=\"$engine\",database=\"$db\"" "$rows"

	for spec in ${RESTORE_CHECK_EXPECTED_TABLES:-}; do
		[ "${spec%%:*}" = "$db" ] || continue
		for table in $(printf '%s' "${spec#*:}" | tr ',' ' '); do
			case $table in '' | *[!A-Za-z0-9_]*) die "invalid expected table name: $table" ;; esac
			present=$(mdb -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$db' AND TABLE_NAME = '$table'") ||
				die "expected-table query failed"
			[ "$present" = 1 ] || fail "$db: expected table $table is missing"
		done
	done
	log "restore-check: $db restored in $secs s, $tables tables, $rows rows"
	mdb -e "DROP DATABASE \`$db\`" || die "cannot drop the scratch copy of $db"
done

[ "$failures" -eq 0 ] || die "$failures mismatch(es)"
