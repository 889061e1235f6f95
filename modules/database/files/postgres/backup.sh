#!/bin/sh
# Logical backup of every PostgreSQL database to S3 (Spaces), run daily by the
# backup CronJob and by the tests.
#
# Uploads db/postgres/<YYYY-MM-DD>/<HHMMSS>Z/: globals.sql.gz (roles, from
# pg_dumpall --globals-only), one <db>.dump per database (pg_dump custom
# format, compressed) with its <db>.rows (rows per table in the dump),
# SHA256SUMS, and the manifest, uploaded last: a run
# without a manifest is never taken for a backup. Any failure exits non-zero,
# which fails the Job and fires the platform's backup alert.
#
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD (superuser); BACKUP_S3_*
# and AWS_* (see db-lib.sh); BACKUP_WORK_DIR (scratch space, default
# /tmp); BACKUP_RETENTION_DAYS (0, the default, leaves expiry to the bucket's
# lifecycle rule).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# Beside the script in the cluster (ConfigMap); DB_LIB_DIR points tests at
# modules/database/files.
# shellcheck source=SCRIPTDIR/../db-lib.sh
. "${DB_LIB_DIR:-$here}/db-lib.sh"
# shellcheck source=SCRIPTDIR/pg-lib.sh
. "$here/pg-lib.sh"

s3_setup
work=$(mktemp -d "${BACKUP_WORK_DIR:-/tmp}/pg-backup.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$(backup_prefix postgres)
started=$(date -u +%s)
log "backup: starting, target $(s3_url "$prefix")"

psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

server_version=$(psql_q -c 'SHOW server_version') || die "cannot connect to PostgreSQL at ${PGHOST:-local socket}"
psql_q -c "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' ORDER BY 1" \
	>"$work/.databases" || die "cannot list databases"

pg_dumpall --globals-only -f "$work/globals.sql" || die "pg_dumpall --globals-only failed"
gzip -6 "$work/globals.sql" || die "gzip globals failed"
files=globals.sql.gz
databases=
while IFS= read -r db; do
	# A name a shell or a file system could misread fails the run loudly
	# rather than being skipped.
	valid_name "$db" || die "database name needs quoting, refusing to guess: $db"
	t0=$(date -u +%s)
	pg_dump -Fc -Z 6 -d "$db" -f "$work/$db.dump" </dev/null || die "pg_dump of $db failed"
	log "backup: dumped $db ($(wc -c <"$work/$db.dump") bytes, $(($(date -u +%s) - t0)) s)"
	# What restore.sh checks a restore against: each table's rows, counted
	# in the dump itself.
	pg_dump_rows "$work/$db.dump" "$work/$db.rows"
	files="$files $db.dump $db.rows"
	databases="${databases:+$databases }$db"
done <"$work/.databases"

{
	echo "engine=postgres"
	echo "server_version=$server_version"
	echo "started_epoch=$started"
	echo "databases=$databases"
} >"$work/manifest"
# shellcheck disable=SC2086 # $files is a list of validated names
publish "$work" "$prefix" $files
log "backup: complete in $(($(date -u +%s) - started)) s: $(s3_url "$prefix")"
prune postgres "${BACKUP_RETENTION_DAYS:-0}"
