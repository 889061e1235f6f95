#!/bin/sh
# Creates every app's database and role IF NOT EXISTS and applies passwords.
#
#   init.sh DIR [APP]   DIR holds, per app, the files <app>.database,
#                       <app>.user and <app>.password (the Secret the init
#                       Job mounts); APP limits the run to one app.
#   init.sh -           one app from stdin: database, user, password, one per
#                       line (infra db ensure, through kubectl exec).
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD)
# of the superuser. Names are checked here and again in init.sql; values go
# to SQL as psql variables, never pasted into statements. Exit status is
# non-zero when any app failed (the others are still
# processed).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

valid_name() {
	case $1 in
	'' | [!a-z]* | *[!a-z0-9_]*) return 1 ;;
	esac
	[ "${#1}" -le 63 ]
}

# ensure APP DATABASE USER PASSWORD
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
	APP_DATABASE=$2 APP_USER=$3 APP_PASSWORD=$4 \
		psql -X -q -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}" -f "$here/init.sql" || {
		echo "init: $1: failed" >&2
		return 1
	}
}

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
	# One app's failure does not stop the others; the exit status reports it.
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
