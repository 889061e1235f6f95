#!/bin/sh
# Logical backup of every MariaDB database to S3 (Spaces), run daily by the
# backup CronJob and by the tests.
#
# Uploads db/mariadb/<YYYY-MM-DD>/<HHMMSS>Z/: users.sql.gz (accounts and
# grants, mariadb-dump --system=users), one <db>.sql.gz per database
# (mariadb-dump --single-transaction: a consistent snapshot of InnoDB tables
# without locking the apps out), SHA256SUMS, and the manifest, uploaded last:
# a run without a manifest is never taken for a backup. Any failure exits
# non-zero, which fails the Job and fires the platform's backup alert.
#
# Environment: MARIADB_HOST, MARIADB_PORT, MARIADB_USER, MARIADB_PASSWORD
# (root); BACKUP_S3_* and AWS_* (see db-lib.sh); BACKUP_WORK_DIR
# (scratch space, default /tmp); BACKUP_RETENTION_DAYS (0, the default,
# leaves expiry to the bucket's lifecycle rule).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# Beside the script in the cluster (ConfigMap); DB_LIB_DIR points tests at
# modules/database/files.
# shellcheck source=SCRIPTDIR/../db-lib.sh
. "${DB_LIB_DIR:-$here}/db-lib.sh"
# shellcheck source=SCRIPTDIR/mariadb-lib.sh
. "$here/mariadb-lib.sh"

s3_setup
work=$(mktemp -d "${BACKUP_WORK_DIR:-/tmp}/mariadb-backup.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$(backup_prefix mariadb)
started=$(date -u +%s)
log "backup: starting, target $(s3_url "$prefix")"

server_version=$(conn mariadb -N -B -e 'SELECT VERSION()') || die "cannot connect to MariaDB at ${MARIADB_HOST:-local socket}"
conn mariadb -N -B -e "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA
  WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1" \
	>"$work/.databases" || die "cannot list databases"

# --insert-ignore: CREATE USER IF NOT EXISTS, so the accounts replay onto a
# fresh server that already has root and mariadb.sys.
conn mariadb-dump --system=users --insert-ignore --result-file="$work/users.sql" || die "dump of the users failed"
gzip -6 "$work/users.sql" || die "gzip users failed"
files=users.sql.gz
databases=
while IFS= read -r db; do
	valid_name "$db" || die "database name needs quoting, refusing to guess: $db"
	t0=$(date -u +%s)
	conn mariadb-dump --single-transaction --quick --routines --triggers --events \
		--databases "$db" --result-file="$work/$db.sql" </dev/null || die "mariadb-dump of $db failed"
	# mariadb-dump ends a complete dump with this line: its absence means the
	# dump stopped early even if the tool said otherwise.
	tail -n 1 "$work/$db.sql" | grep -q '^-- Dump completed' || die "dump of $db is incomplete"
	gzip -6 "$work/$db.sql" || die "gzip of $db failed"
	log "backup: dumped $db ($(wc -c <"$work/$db.sql.gz") bytes compressed, $(($(date -u +%s) - t0)) s)"
	# What restore.sh checks a restore against: each table's rows, counted
	# in the dump itself.
	mdb_dump_rows "$work/$db.sql.gz" "$work/$db.rows"
	files="$files $db.sql.gz $db.rows"
	databases="${databases:+$databases }$db"
done <"$work/.databases"

{
	echo "engine=mariadb"
	echo "server_version=$server_version"
	echo "started_epoch=$started"
	echo "databases=$databases"
} >"$work/manifest"
# shellcheck disable=SC2086 # $files is a list of validated names
publish "$work" "$prefix" $files
log "backup: complete in $(($(date -u +%s) - started)) s: $(s3_url "$prefix")"
prune mariadb "${BACKUP_RETENTION_DAYS:-0}"
