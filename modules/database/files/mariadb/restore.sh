#!/bin/sh
# Restores one database from a backup on S3 into the live server: the engine
# of `infra restore db` (cmd/infra/restore.go), which runs it in a Job made
# from the backup CronJob (same image, root login and S3 keys).
#
#   restore.sh DATABASE [RUN]
#
# RUN is db/mariadb/<YYYY-MM-DD>/<HHMMSS>Z; without it, the newest complete
# backup. A run without a manifest is refused, naming the complete ones.
#
# As postgres/restore.sh: the dump is loaded beside the live database, as
# DATABASE__restoring, and checked table by table against the dump's row
# counts before the live one is touched. Then one RENAME TABLE statement
# (atomic) moves the live tables into DATABASE_before_<UTC time> (kept:
# nothing here drops it) and the restored ones into DATABASE, which is
# marked with the run and the dump's checksum. A second run on the same
# backup changes nothing; an interrupted one leaves at most
# DATABASE__restoring, dropped and redone by the next run. Views, triggers,
# routines and events do not move with RENAME TABLE: a database that has
# any is refused (docs/restore.md, the manual steps).
#
# Environment: MARIADB_HOST, MARIADB_PORT, MARIADB_USER, MARIADB_PASSWORD;
# BACKUP_S3_* and AWS_* (db-lib.sh); BACKUP_WORK_DIR; RESTORE_DRY_RUN=1:
# verify the backup and report, change nothing.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../db-lib.sh
. "${DB_LIB_DIR:-$here}/db-lib.sh"
# shellcheck source=SCRIPTDIR/mariadb-lib.sh
. "$here/mariadb-lib.sh"

db=${1:-}
# The kept copy's name adds 24 characters (_before_YYYYMMDD_HHMMSSz).
if ! valid_name "$db" || [ "${#db}" -gt 40 ]; then
	die "usage: restore.sh DATABASE [RUN]; DATABASE must be [a-z][a-z0-9_]*, at most 40 characters: ${db:-missing}"
fi
case $db in mysql | sys) die "refusing to restore the system database $db" ;; esac

s3_setup
work=$(mktemp -d "${BACKUP_WORK_DIR:-/tmp}/mariadb-restore.XXXXXX")
trap 'rm -rf "$work"' EXIT

mdb() { conn mariadb --batch --skip-column-names "$@"; }
exists() { [ "$(mdb -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$1'")" = 1 ]; }
# others DB: views, triggers, routines and events of DB, one per line.
others() {
	mdb -e "SELECT CONCAT('view ', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '$1'
	  UNION ALL SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$1'
	  UNION ALL SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '$1'
	  UNION ALL SELECT CONCAT('event ', EVENT_NAME) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '$1'"
}
mdb -e 'SELECT 1' >/dev/null || die "cannot connect to MariaDB at ${MARIADB_HOST:-local socket}"

run=$(pick_run mariadb "${2:-}")
fetch_manifest "$run" "$work/in"
case " $(manifest_get "$work/in" databases) " in
*" $db "*) ;;
*) die "$run holds no database $db (it has: $(manifest_get "$work/in" databases))" ;;
esac
dump=$work/in/$db.sql.gz
fetch_file "$run" "$work/in" "$db.sql.gz"
gzip -t "$dump" 2>"$work/gzip.err" || die "$db.sql.gz is corrupt: $(head -c 300 "$work/gzip.err")"
[ "$(gzip -dc "$dump" | tail -n 1 | cut -c1-17)" = "-- Dump completed" ] || die "$db.sql.gz is truncated (no final line)"
dump_rows_of "$run" "$work/in" "$db" sql.gz mdb_dump_rows "$work/want"
tables=$(wc -l <"$work/want")
rows=$(sum_rows "$work/want")
mark="fullfrontend-restore run=$run sha256=$(listed_sum "$work/in" "$db.sql.gz")"
log "restore: $run/$db.sql.gz holds $tables tables, $rows rows"

if exists "$db"; then
	current=$(mdb -e "SELECT SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$db'")
	if [ "$current" = "$mark" ]; then
		mdb_table_rows "$db" "$work/live"
		restore_same "$db" "$run" "$work/want" "$work/live"
	fi
	live_others=$(others "$db") || die "cannot list the views, triggers and routines of $db"
	[ -z "$live_others" ] || die "$db has objects that RENAME TABLE cannot move; restore it by hand (docs/restore.md):
$live_others"
fi

kept=
if exists "$db"; then
	kept=$(kept_name "$db")
fi
restore_dry_run "$db" "$run" "$work/want" "$kept"

tmp=${db}__restoring
if exists "$tmp"; then
	log "restore: dropping $tmp, left by an interrupted restore"
	mdb -e "DROP DATABASE \`$tmp\`" || die "cannot drop $tmp"
fi
t0=$(date -u +%s)
# The dump (--databases) creates and selects its database by name: only
# those two statements are pointed at the copy. Data lines start with
# INSERT or "(", never with these words.
gzip -dc "$dump" | sed -e "s/^CREATE DATABASE \(.*\)\`$db\`/CREATE DATABASE \1\`$tmp\`/" -e "s/^USE \`$db\`;\$/USE \`$tmp\`;/" |
	mdb 2>"$work/restore.err" || die "restore of $db from $run failed, $db is unchanged ($tmp is dropped by the next run): $(head -c 2000 "$work/restore.err")"
tmp_others=$(others "$tmp") || die "cannot list the views, triggers and routines of $tmp"
[ -z "$tmp_others" ] || die "the backup of $db has objects that RENAME TABLE cannot move, $db is unchanged; restore it by hand (docs/restore.md):
$tmp_others"
mdb_table_rows "$tmp" "$work/got"
if ! diff -u "$work/want" "$work/got" >"$work/diff"; then
	die "$tmp does not match the dump, $db is unchanged ($tmp is left for inspection, dropped by the next run). Tables that differ (dump vs restored):
$(grep '^[-+][^-+]' "$work/diff" | head -n 40)"
fi
log "restore: $tmp restored and checked in $(($(date -u +%s) - t0)) s"

# The swap, one statement: the live tables to the kept copy, the restored
# ones in their place.
mdb -e "SELECT CONCAT('\`$db\`.\`', REPLACE(TABLE_NAME, '\`', '\`\`'), '\` TO \`$kept\`.\`', REPLACE(TABLE_NAME, '\`', '\`\`'), '\`')
  FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$db'" >"$work/out" || die "cannot list the tables of $db"
mdb -e "SELECT CONCAT('\`$tmp\`.\`', REPLACE(TABLE_NAME, '\`', '\`\`'), '\` TO \`$db\`.\`', REPLACE(TABLE_NAME, '\`', '\`\`'), '\`')
  FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$tmp'" >"$work/in.pairs" || die "cannot list the tables of $tmp"
if [ -n "$kept" ]; then
	mdb -e "CREATE DATABASE \`$kept\`" || die "cannot create $kept"
else
	mdb -e "CREATE DATABASE \`$db\`" || die "cannot create $db"
fi
pairs=$(cat "$work/out" "$work/in.pairs" | paste -sd, -)
if [ -n "$pairs" ]; then
	mdb -e "RENAME TABLE $pairs" || die "cannot swap the tables of $db and $tmp"
fi
mdb -e "DROP DATABASE \`$tmp\`; ALTER DATABASE \`$db\` COMMENT '$mark'" || die "cannot finish the swap of $db"
[ -z "$kept" ] || log "restore: the previous $db is kept as $kept (drop it by hand once the app is checked)"
mdb_table_rows "$db" "$work/final"
cmp -s "$work/want" "$work/final" || die "$db changed during the swap: check it"
log "restore: result=restored database=$db run=$run tables=$tables rows=$rows kept=${kept:-none}"
