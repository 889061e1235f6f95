#!/bin/sh
# Restores one database from a backup on S3 into the live server: the engine
# of `infra restore db` (cmd/infra/restore.go), which runs it in a Job made
# from the backup CronJob (same image, superuser login and S3 keys).
#
#   restore.sh DATABASE [RUN]
#
# RUN is db/postgres/<YYYY-MM-DD>/<HHMMSS>Z; without it, the newest complete
# backup. A run without a manifest is refused, naming the complete ones.
#
# The live database is touched only once the backup is restored in full
# beside it, as DATABASE__restoring, with the row count of every table equal
# to the dump's. Then the live database is renamed DATABASE_before_<UTC
# time> (kept: nothing here drops it), the copy takes its name and is
# marked with the run and the dump's checksum. A second run on the same
# backup finds the mark and the same counts and changes nothing; an
# interrupted run leaves at most DATABASE__restoring, which the next run
# drops and redoes. The last line says what happened: "restore: result=…".
#
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD (superuser); BACKUP_S3_*
# and AWS_* (db-lib.sh); BACKUP_WORK_DIR (scratch space, default /tmp);
# RESTORE_DRY_RUN=1: verify the backup and report, change nothing.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../db-lib.sh
. "${DB_LIB_DIR:-$here}/db-lib.sh"
# shellcheck source=SCRIPTDIR/pg-lib.sh
. "$here/pg-lib.sh"

db=${1:-}
# The kept copy's name adds 24 characters (_before_YYYYMMDD_HHMMSSz).
if ! valid_name "$db" || [ "${#db}" -gt 39 ]; then
	die "usage: restore.sh DATABASE [RUN]; DATABASE must be [a-z][a-z0-9_]*, at most 39 characters: ${db:-missing}"
fi
case $db in postgres | template0 | template1) die "refusing to restore the system database $db" ;; esac

s3_setup
work=$(mktemp -d "${BACKUP_WORK_DIR:-/tmp}/pg-restore.XXXXXX")
trap 'rm -rf "$work"' EXIT

psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
exists() { [ "$(psql_q -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]; }
psql_q -c 'SELECT 1' >/dev/null || die "cannot connect to PostgreSQL at ${PGHOST:-local socket}"

run=$(pick_run postgres "${2:-}")
fetch_manifest "$run" "$work/in"
case " $(manifest_get "$work/in" databases) " in
*" $db "*) ;;
*) die "$run holds no database $db (it has: $(manifest_get "$work/in" databases))" ;;
esac
fetch_file "$run" "$work/in" "$db.dump"
dump_rows_of "$run" "$work/in" "$db" dump pg_dump_rows "$work/want"
tables=$(wc -l <"$work/want")
rows=$(sum_rows "$work/want")
mark="fullfrontend-restore run=$run sha256=$(listed_sum "$work/in" "$db.dump")"
log "restore: $run/$db.dump holds $tables tables, $rows rows"

if exists "$db"; then
	current=$(psql_q -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'")
	if [ "$current" = "$mark" ]; then
		pg_table_rows "$db" "$work/live"
		restore_same "$db" "$run" "$work/want" "$work/live"
	fi
fi

kept=
if exists "$db"; then
	kept=$(kept_name "$db")
fi
restore_dry_run "$db" "$run" "$work/want" "$kept"

tmp=${db}__restoring
if exists "$tmp"; then
	log "restore: dropping $tmp, left by an interrupted restore"
	psql_q -c "DROP DATABASE $tmp WITH (FORCE)" || die "cannot drop $tmp"
fi
psql_q -c "CREATE DATABASE $tmp TEMPLATE template0 ENCODING 'UTF8'" || die "cannot create $tmp"
t0=$(date -u +%s)
pg_restore --exit-on-error -d "$tmp" "$work/in/$db.dump" 2>"$work/restore.err" ||
	die "restore of $db from $run failed, $db is unchanged ($tmp is dropped by the next run): $(head -c 2000 "$work/restore.err")"
pg_table_rows "$tmp" "$work/got"
if ! diff -u "$work/want" "$work/got" >"$work/diff"; then
	die "$tmp does not match the dump, $db is unchanged ($tmp is left for inspection, dropped by the next run). Tables that differ (dump vs restored):
$(grep '^[-+][^-+]' "$work/diff" | head -n 40)"
fi
log "restore: $tmp restored and checked in $(($(date -u +%s) - t0)) s"

# The swap: nobody may connect to the live database while it is renamed.
if [ -n "$kept" ]; then
	psql_q -c "ALTER DATABASE $db WITH ALLOW_CONNECTIONS false" \
		-c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" \
		-c "ALTER DATABASE $db RENAME TO $kept" \
		-c "ALTER DATABASE $kept WITH ALLOW_CONNECTIONS true" >/dev/null || die "cannot rename $db to $kept"
	log "restore: the previous $db is kept as $kept (drop it by hand once the app is checked)"
fi
psql_q -c "ALTER DATABASE $tmp RENAME TO $db" -c "COMMENT ON DATABASE $db IS '$mark'" || die "cannot rename $tmp to $db"
pg_table_rows "$db" "$work/final"
cmp -s "$work/want" "$work/final" || die "$db changed during the swap: check it"
log "restore: result=restored database=$db run=$run tables=$tables rows=$rows kept=${kept:-none}"
