# shellcheck shell=sh
# Helpers shared by the init, backup and restore-check scripts of both
# engines (modules/database/files/<engine>). Sourced, never run:
# in the cluster it sits beside them in the scripts ConfigMap; the tests
# point DB_LIB_DIR at modules/database/files.
#
# S3 goes through rclone, configured only by environment variables: no config
# file, and no secret ever on a command line (argv is world-readable).

log() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# s3_setup checks the BACKUP_S3_* and AWS_* variables and maps them to
# rclone's on-the-fly ":s3:" remote.
s3_setup() {
	: "${BACKUP_S3_ENDPOINT:?BACKUP_S3_ENDPOINT is required}"
	: "${BACKUP_S3_BUCKET:?BACKUP_S3_BUCKET is required}"
	: "${AWS_ACCESS_KEY_ID:?AWS_ACCESS_KEY_ID is required}"
	: "${AWS_SECRET_ACCESS_KEY:?AWS_SECRET_ACCESS_KEY is required}"
	command -v rclone >/dev/null 2>&1 || die "rclone not found in PATH ($PATH)"
	RCLONE_CONFIG=/dev/null
	RCLONE_S3_PROVIDER=Other
	RCLONE_S3_ENV_AUTH=false
	RCLONE_S3_ENDPOINT=$BACKUP_S3_ENDPOINT
	RCLONE_S3_REGION=${BACKUP_S3_REGION:-us-east-1}
	RCLONE_S3_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
	RCLONE_S3_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
	RCLONE_S3_FORCE_PATH_STYLE=${BACKUP_S3_FORCE_PATH_STYLE:-false}
	# The bucket exists (stacks/cluster or the dev S3 server); the keys may
	# lack the right to create one, so never try.
	RCLONE_S3_NO_CHECK_BUCKET=true
	RCLONE_RETRIES=${RCLONE_RETRIES:-3}
	export RCLONE_CONFIG RCLONE_S3_PROVIDER RCLONE_S3_ENV_AUTH RCLONE_S3_ENDPOINT RCLONE_S3_REGION \
		RCLONE_S3_ACCESS_KEY_ID RCLONE_S3_SECRET_ACCESS_KEY RCLONE_S3_FORCE_PATH_STYLE \
		RCLONE_S3_NO_CHECK_BUCKET RCLONE_RETRIES
}

# s3_url KEY: the rclone path of an object or prefix of the backup bucket.
s3_url() { printf ':s3:%s/%s' "$BACKUP_S3_BUCKET" "$1"; }

# s3_put FILE KEY uploads one file; rclone checks the stored object's hash.
s3_put() {
	rclone copyto --no-traverse -q "$1" "$(s3_url "$2")" </dev/null || die "upload of $(basename "$1") to $2 failed"
}

# s3_get KEY FILE downloads one object. rclone exits 0 when the source does
# not exist (it takes it for an empty folder), hence the check of the file.
s3_get() {
	rclone copyto -q "$(s3_url "$1")" "$2" </dev/null || die "download of $1 failed"
	[ -f "$2" ] || die "download of $1 failed: no such object"
}

# s3_ls PREFIX lists the names directly under a prefix ("dir/" for folders).
s3_ls() { rclone lsf -q "$(s3_url "$1")" </dev/null; }

# valid_name NAME: a database or user name that SQL never needs to quote.
valid_name() {
	case $1 in
	'' | [!a-z]* | *[!a-z0-9_]*) return 1 ;;
	esac
	[ "${#1}" -le 63 ]
}

# backup_prefix ENGINE: db/<engine>/<YYYY-MM-DD>/<HHMMSS>Z, one folder per run
# so that two runs on the same day never mix their files.
backup_prefix() { date -u "+db/$1/%Y-%m-%d/%H%M%SZ"; }

# publish DIR PREFIX FILE...: uploads the data files, then SHA256SUMS, then
# the manifest, LAST. A run without a manifest is incomplete and is ignored
# by the restore check, whatever else it holds.
publish() {
	pub_dir=$1
	pub_prefix=$2
	shift 2
	(cd "$pub_dir" && sha256sum -- "$@" >SHA256SUMS) || die "checksums failed"
	for f in "$@"; do
		s3_put "$pub_dir/$f" "$pub_prefix/$f"
	done
	s3_put "$pub_dir/SHA256SUMS" "$pub_prefix/SHA256SUMS"
	{
		echo "format=fullfrontend-db-backup/1"
		echo "sha256sums=$(sha256sum <"$pub_dir/SHA256SUMS" | cut -d' ' -f1)"
		echo "completed_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "completed_epoch=$(date -u +%s)"
	} >>"$pub_dir/manifest" || die "manifest failed"
	s3_put "$pub_dir/manifest" "$pub_prefix/manifest"
}

# prune ENGINE DAYS: deletes dated folders older than DAYS (0: keep all; in
# prod the bucket's lifecycle rule expires db/ after 30 days anyway).
prune() {
	[ "${2:-0}" -gt 0 ] || return 0
	cutoff=$(date -u -d "@$(($(date -u +%s) - $2 * 86400))" +%Y%m%d) || die "date arithmetic failed"
	for d in $(s3_ls "db/$1/"); do
		day=$(printf '%s' "${d%/}" | tr -d '-')
		case $day in *[!0-9]* | '') continue ;; esac
		if [ "$day" -lt "$cutoff" ]; then
			log "prune: deleting db/$1/$d (older than $2 days)"
			rclone purge -q "$(s3_url "db/$1/${d%/}")" || die "prune of db/$1/$d failed"
		fi
	done
}

# latest_complete ENGINE: prints the prefix of the newest run that has a
# manifest, or fails.
latest_complete() {
	for d in $(s3_ls "db/$1/" | grep '/$' | LC_ALL=C sort -r); do
		for r in $(s3_ls "db/$1/$d" | grep '/$' | LC_ALL=C sort -r); do
			if s3_ls "db/$1/$d$r" | grep -qx manifest; then
				printf 'db/%s/%s%s' "$1" "$d" "${r%/}"
				return 0
			fi
			log "skipping db/$1/$d$r: no manifest (incomplete or running backup)"
		done
	done
	return 1
}

# complete_runs ENGINE: every run that has a manifest, newest first, one
# prefix per line.
complete_runs() {
	for d in $(s3_ls "db/$1/" | grep '/$' | LC_ALL=C sort -r); do
		for r in $(s3_ls "db/$1/$d" | grep '/$' | LC_ALL=C sort -r); do
			if s3_ls "db/$1/$d$r" | grep -qx manifest; then
				printf 'db/%s/%s%s\n' "$1" "$d" "${r%/}"
			fi
		done
	done
}

# pick_run ENGINE [RUN]: prints RUN (db/<engine>/<YYYY-MM-DD>/<HHMMSS>Z)
# if it is complete, else the newest complete run; fails naming the
# complete runs when RUN is not one of them.
pick_run() {
	if [ -z "${2:-}" ]; then
		latest_complete "$1" || die "no complete backup under $(s3_url "db/$1/")"
		return
	fi
	case $2 in
	db/"$1"/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
	*) die "backup $2: want db/$1/<YYYY-MM-DD>/<HHMMSS>Z" ;;
	esac
	if s3_ls "$2/" | grep -qx manifest; then
		printf '%s' "$2"
		return
	fi
	runs=$(complete_runs "$1" | head -n 10 | sed 's/^/  /')
	die "backup $2 has no manifest (incomplete, running, or absent): refusing it. Complete backups, newest first:
${runs:-  none}"
}

# fetch_manifest PREFIX DIR: downloads the manifest and SHA256SUMS of a
# complete run and checks the manifest's hash of SHA256SUMS.
fetch_manifest() {
	mkdir -p "$2"
	s3_get "$1/manifest" "$2/manifest"
	s3_get "$1/SHA256SUMS" "$2/SHA256SUMS"
	grep -qx 'format=fullfrontend-db-backup/1' "$2/manifest" || die "$1/manifest: unknown format"
	want=$(sed -n 's/^sha256sums=//p' "$2/manifest")
	got=$(sha256sum <"$2/SHA256SUMS" | cut -d' ' -f1)
	if [ -z "$want" ] || [ "$want" != "$got" ]; then
		die "$1/SHA256SUMS does not match the manifest"
	fi
}

# fetch_file PREFIX DIR FILE: after fetch_manifest, downloads FILE and
# checks it against SHA256SUMS.
fetch_file() {
	grep -q "^[0-9a-f]\{64\}  $3\$" "$2/SHA256SUMS" || die "$1/SHA256SUMS does not list $3"
	s3_get "$1/$3" "$2/$3"
	(cd "$2" && grep "  $3\$" SHA256SUMS | sha256sum -c --quiet -) >&2 || die "checksum mismatch: $1/$3 is not the file the backup wrote"
	log "checksums verified for $1/$3"
}

# dump_rows_of PREFIX DIR DB EXT COUNT OUT: the rows per table the backup
# recorded for DB (<db>.rows, verified) into OUT, or, for a backup older
# than those files, COUNT run on the dump (DIR/DB.EXT).
dump_rows_of() {
	if grep -q "^[0-9a-f]\{64\}  $3\.rows\$" "$2/SHA256SUMS"; then
		fetch_file "$1" "$2" "$3.rows"
		cp "$2/$3.rows" "$6"
	else
		log "restore: $1 has no $3.rows (older backup): counting the rows of the dump"
		"$5" "$2/$3.$4" "$6"
	fi
}

# listed_sum DIR FILE: FILE's checksum in DIR/SHA256SUMS.
listed_sum() { sed -n "s/^\([0-9a-f]\{64\}\)  $2\$/\1/p" "$1/SHA256SUMS"; }

# --- restore.sh of both engines ---

# kept_name DB: the name the live database is kept under by a restore.
kept_name() { printf '%s_before_%s' "$1" "$(date -u +%Y%m%d_%H%M%Sz)"; }

# restore_same DB RUN WANT LIVE: for a database marked as restored from
# RUN, exits 0 (result=unchanged) when its rows (LIVE) are still the
# backup's (WANT).
restore_same() {
	if cmp -s "$3" "$4"; then
		log "restore: $1 already holds $2 with the same row counts: nothing to do"
		log "restore: result=unchanged database=$1 run=$2 tables=$(wc -l <"$3") rows=$(sum_rows "$3")"
		exit 0
	fi
	log "restore: $1 was restored from $2 but has changed since: restoring it again"
}

# restore_dry_run DB RUN WANT KEPT: with RESTORE_DRY_RUN=1, says what the
# restore would do and exits 0. KEPT is empty when DB does not exist.
restore_dry_run() {
	[ "${RESTORE_DRY_RUN:-}" = 1 ] || return 0
	sed 's/^/restore:   /' "$3" >&2
	if [ -n "$4" ]; then
		log "restore: dry run: would restore $1 from $2 and keep the current one as $4"
	else
		log "restore: dry run: would create $1 from $2"
	fi
	log "restore: result=dry-run database=$1 run=$2 tables=$(wc -l <"$3") rows=$(sum_rows "$3")"
	exit 0
}

# sum_rows FILE: total of the second column of "table<TAB>rows" lines.
sum_rows() { awk -F '\t' '{ s += $2 } END { printf "%d", s }' "$1"; }

# fetch_verified PREFIX DIR: downloads a complete run and verifies the
# manifest's hash of SHA256SUMS and every file's checksum.
fetch_verified() {
	fetch_manifest "$1" "$2"
	sed 's/^[0-9a-f]*  //' "$2/SHA256SUMS" >"$2/.files"
	while IFS= read -r f; do
		case $f in */* | .* | '') die "$1/SHA256SUMS names an unexpected file: $f" ;; esac
		s3_get "$1/$f" "$2/$f"
	done <"$2/.files"
	(cd "$2" && sha256sum -c --quiet SHA256SUMS) >&2 || die "checksum mismatch in $1"
	log "checksums verified for $1"
}

# manifest_get DIR KEY: one value of the manifest.
manifest_get() { sed -n "s/^$2=//p" "$1/manifest" | head -n 1; }

# metric NAME LABELS VALUE: appends one Prometheus sample to $METRICS.
metric() { printf '%s{%s} %s\n' "$1" "$2" "$3" >>"$METRICS"; }

# finish_metrics ENGINE STATUS PREFIX: writes the result, prints it and,
# when a run was checked, stores it next to that run as restore-check.prom.
finish_metrics() {
	metric fullfrontend_db_restore_check_success "engine=\"$1\"" "$2"
	metric fullfrontend_db_restore_check_timestamp_seconds "engine=\"$1\"" "$(date -u +%s)"
	if [ -n "${RESTORE_CHECK_METRICS_FILE:-}" ]; then
		cp "$METRICS" "$RESTORE_CHECK_METRICS_FILE.tmp" && mv "$RESTORE_CHECK_METRICS_FILE.tmp" "$RESTORE_CHECK_METRICS_FILE"
	fi
	cat "$METRICS"
	if [ -n "$3" ]; then
		rclone copyto --no-traverse -q "$METRICS" "$(s3_url "$3/restore-check.prom")" ||
			log "warning: could not store restore-check.prom"
	fi
}

# fetch_newest ENGINE EXT: downloads the newest complete backup of ENGINE
# into $work/in and verifies it: checksums, age (RESTORE_CHECK_MAX_AGE_HOURS,
# default 48), one <db>.EXT per database of the manifest, and the databases
# of RESTORE_CHECK_EXPECTED_TABLES. The caller sets $work (its scratch
# directory); sets $checked and $databases.
fetch_newest() {
	: "${work:?fetch_newest needs a scratch directory in work}"
	checked=$(latest_complete "$1") || {
		checked=
		die "no complete backup under $(s3_url "db/$1/")"
	}
	log "restore-check: newest complete backup is $checked"
	t_fetch=$(date -u +%s)
	fetch_verified "$checked" "$work/in"
	metric fullfrontend_db_restore_check_download_seconds "engine=\"$1\"" "$(($(date -u +%s) - t_fetch))"

	completed=$(manifest_get "$work/in" completed_epoch)
	age=$(($(date -u +%s) - ${completed:-0}))
	metric fullfrontend_db_backup_age_seconds "engine=\"$1\"" "$age"
	max_age=$((${RESTORE_CHECK_MAX_AGE_HOURS:-48} * 3600))
	[ "$age" -le "$max_age" ] || die "newest complete backup is $((age / 3600)) h old (limit ${RESTORE_CHECK_MAX_AGE_HOURS:-48} h)"

	databases=$(manifest_get "$work/in" databases)
	for db in $databases; do
		valid_name "$db" || die "manifest names an invalid database: $db"
		[ -f "$work/in/$db.$2" ] || die "manifest lists $db but $db.$2 is not in SHA256SUMS"
	done
	for spec in ${RESTORE_CHECK_EXPECTED_TABLES:-}; do
		case " $databases " in *" ${spec%%:*} "*) ;; *) die "expected database ${spec%%:*} is not in the backup" ;; esac
	done
}

# --- init ---
# Driver of the engines' init.sh. The engine's init.sh defines apply_app DATABASE USER PASSWORD (its SQL for one app),
# then calls init_main "$@":
#
#   init.sh DIR [APP]   DIR holds, per app, <app>.database, <app>.user and
#                       <app>.password (the Secret the init Job mounts);
#                       APP limits the run to one app.
#   init.sh -           one app from stdin: database, user, password, one per
#                       line (infra db ensure, through kubectl exec).
#
# One app's failure does not stop the others; the exit status reports it.

# ensure APP DATABASE USER PASSWORD: checks, then the engine's apply_app.
ensure() {
	valid_name "$2" || {
		echo "init: $1: invalid database name (want [a-z][a-z0-9_]*, at most 63 characters)" >&2
		return 1
	}
	valid_name "$3" || {
		echo "init: $1: invalid user name (want [a-z][a-z0-9_]*, at most 63 characters)" >&2
		return 1
	}
	[ -n "$4" ] || {
		echo "init: $1: empty password" >&2
		return 1
	}
	apply_app "$2" "$3" "$4" || {
		echo "init: $1: failed" >&2
		return 1
	}
}

init_main() {
	[ $# -ge 1 ] || {
		echo "usage: init.sh DIR [APP] | init.sh -" >&2
		exit 2
	}
	if [ "$1" = - ]; then
		IFS= read -r db || true
		IFS= read -r user || true
		IFS= read -r password || true
		ensure stdin "$db" "$user" "$password"
		exit
	fi
	dir=$1
	only=${2:-}
	found=0
	failed=0
	for f in "$dir"/*.database; do
		[ -e "$f" ] || continue
		app=$(basename "$f" .database)
		[ -z "$only" ] || [ "$app" = "$only" ] || continue
		found=1
		if [ ! -r "$dir/$app.user" ] || [ ! -r "$dir/$app.password" ]; then
			echo "init: $app: missing $app.user or $app.password" >&2
			failed=$((failed + 1))
			continue
		fi
		ensure "$app" "$(cat "$f")" "$(cat "$dir/$app.user")" "$(cat "$dir/$app.password")" || failed=$((failed + 1))
	done
	if [ -n "$only" ] && [ "$found" = 0 ]; then
		echo "init: no app named $only in $dir" >&2
		exit 1
	fi
	if [ "$failed" -gt 0 ]; then
		echo "init: $failed app(s) failed" >&2
		exit 1
	fi
	echo "init: done"
}
