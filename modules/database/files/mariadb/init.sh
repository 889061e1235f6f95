#!/bin/sh
# Creates every app's database and user IF NOT EXISTS and applies passwords.
# Usage (init.sh DIR [APP] | init.sh -) and the checks of names and passwords
# are in the shared library, modules/database/files/db-lib.sh.
#
# Connection: MARIADB_HOST (empty: local socket), MARIADB_PORT, MARIADB_USER
# (default root) and MARIADB_PASSWORD, passed to the client as MYSQL_PWD,
# never on the command line. Values reach the server as hex literals and are
# quoted there (init.sql). Exit status is non-zero when any app failed (the
# others are still processed).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

mdb() {
	if [ -n "${MARIADB_HOST:-}" ]; then
		set -- --protocol=tcp --host="$MARIADB_HOST" --port="${MARIADB_PORT:-3306}" "$@"
	fi
	MYSQL_PWD=${MARIADB_PASSWORD:-} mariadb --no-defaults --user="${MARIADB_USER:-root}" "$@"
}

# apply_app DATABASE USER PASSWORD: values reach the server as hex literals.
apply_app() {
	{
		echo "SET NAMES utf8mb4;"
		printf "SET @app_database = CONVERT(UNHEX('%s') USING utf8mb4), @app_user = CONVERT(UNHEX('%s') USING utf8mb4), @app_password = CONVERT(UNHEX('%s') USING utf8mb4);\n" \
			"$(hex "$1")" "$(hex "$2")" "$(hex "$3")"
		cat "$here/init.sql"
	} | mdb --batch --skip-column-names
}

# shellcheck source=SCRIPTDIR/../db-lib.sh
. "${DB_LIB_DIR:-$here}/db-lib.sh"
init_main "$@"
