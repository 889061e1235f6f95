#!/bin/sh
# Creates every app's database and user IF NOT EXISTS and applies passwords.
#
#   init.sh DIR [APP]   DIR holds, per app, the files <app>.database,
#                       <app>.user and <app>.password (the Secret the init
#                       Job mounts); APP limits the run to one app.
#   init.sh -           one app from stdin: database, user, password, one per
#                       line (infra db ensure, through kubectl exec).
#
# Connection: MARIADB_HOST (empty: local socket), MARIADB_PORT, MARIADB_USER
# (default root) and MARIADB_PASSWORD, passed to the client as MYSQL_PWD,
# never on the command line. Values reach the server as hex literals and are
# quoted there (init.sql). Exit status is non-zero when any app failed (the
# others are still processed).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

valid_name() {
	case $1 in
	'' | [!a-z]* | *[!a-z0-9_]*) return 1 ;;
	esac
	[ "${#1}" -le 63 ]
}

hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

mdb() {
	if [ -n "${MARIADB_HOST:-}" ]; then
		set -- --protocol=tcp --host="$MARIADB_HOST" --port="${MARIADB_PORT:-3306}" "$@"
	fi
	MYSQL_PWD=${MARIADB_PASSWORD:-} mariadb --no-defaults --user="${MARIADB_USER:-root}" "$@"
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
	{
		echo "SET NAMES utf8mb4;"
		printf "SET @app_database = CONVERT(UNHEX('%s') USING utf8mb4), @app_user = CONVERT(UNHEX('%s') USING utf8mb4), @app_password = CONVERT(UNHEX('%s') USING utf8mb4);\n" \
			"$(hex "$2")" "$(hex "$3")" "$(hex "$4")"
		cat "$here/init.sql"
	} | mdb --batch --skip-column-names || {
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
