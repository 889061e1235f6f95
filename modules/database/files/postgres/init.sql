-- Creates one app's role and database if missing, applies its password and
-- ownership; never drops or truncates anything. Run by init.sh once per app:
--   psql -X -v ON_ERROR_STOP=1 -f init.sql   with APP_DATABASE, APP_USER and
--   APP_PASSWORD in the environment.
-- Values reach SQL only as psql variables: :'var' is a quoted literal and
-- format('%I' / '%L') quotes identifiers and literals on the server, so no
-- value can change the statements, whatever characters it holds.
\set QUIET on
\getenv app_database APP_DATABASE
\getenv app_user APP_USER
\getenv app_password APP_PASSWORD
-- The password appears in an ALTER ROLE statement: keep it out of the log.
SET log_statement = 'none';
SET log_min_error_statement = 'panic';
SET password_encryption = 'scram-sha-256';

-- Second line of defence behind the plan-time validation and init.sh.
SELECT :'app_database' ~ '^[a-z][a-z0-9_]{0,62}$'
   AND :'app_user' ~ '^[a-z][a-z0-9_]{0,62}$'
   AND :'app_database' NOT IN ('postgres', 'template0', 'template1')
   AND :'app_user' !~ '^pg_' AND :'app_user' <> 'postgres'
   AND length(:'app_password') > 0 AS names_ok,
       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user' AND rolsuper) AS user_is_superuser
\gset
\if :names_ok
\else
  \warn 'init: refused: invalid database or user name, or empty password'
  DO $$ BEGIN RAISE EXCEPTION 'init: invalid database or user name, or empty password'; END $$;
\endif
\if :user_is_superuser
  \warn 'init: refused: the app user is a superuser'
  DO $$ BEGIN RAISE EXCEPTION 'init: refusing to manage a superuser role'; END $$;
\endif

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') AS create_role,
       NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_database') AS create_database
\gset

\if :create_role
  SELECT format('CREATE ROLE %I LOGIN', :'app_user') \gexec
  \echo init: created role :app_user
\endif
-- Always applied: a password changed in the SOPS file takes effect here.
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'app_user', :'app_password') \gexec

\if :create_database
  SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'app_database', :'app_user', 'UTF8') \gexec
  \echo init: created database :app_database
\else
  -- An existing database (for example restored by an operator) is handed
  -- to the app's role; its contents are left alone.
  SELECT format('ALTER DATABASE %I OWNER TO %I', :'app_database', :'app_user')
   WHERE (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'app_database') <> :'app_user' \gexec
\endif
-- Apps do not see each other's databases.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'app_database') \gexec
SELECT format('GRANT ALL PRIVILEGES ON DATABASE %I TO %I', :'app_database', :'app_user') \gexec
\echo init: ok :app_database :app_user
