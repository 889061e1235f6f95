#!/bin/sh
# Creates every app's database and role IF NOT EXISTS and applies passwords.
# Usage (init.sh DIR [APP] | init.sh -) and the checks of names and passwords
# are in the shared library, modules/database/files/db-lib.sh.
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD)
# of the superuser. Names are checked by the library and again in init.sql; values go
# to SQL as psql variables, never pasted into statements. Exit status is
# non-zero when any app failed (the others are still
# processed).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

# apply_app DATABASE USER PASSWORD: values reach SQL as psql variables.
apply_app() {
	APP_DATABASE=$1 APP_USER=$2 APP_PASSWORD=$3 \
		psql -X -q -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}" -f "$here/init.sql"
}

# shellcheck source=SCRIPTDIR/../db-lib.sh
. "${DB_LIB_DIR:-$here}/db-lib.sh"
init_main "$@"
