# What differs between the two engines, and only that: main.tf builds the
# same StatefulSet, Services, Secrets, init Job, backup and restore-check
# CronJobs for both from this table.
locals {
  # The engine's main memory buffer: shared_buffers (postgres), the InnoDB
  # buffer pool (mariadb).
  buffer_mb = { postgres = floor(var.resources.memory_limit_mb / 4), mariadb = floor(var.resources.memory_limit_mb / 3) }
  engines = {
    postgres = {
      port = 5432
      # The scripts' psql, pg_dump and initdb come from the image too.
      image         = "docker.io/library/postgres:17.7"
      image_pattern = "^[a-z0-9./-]*postgres:17\\.[0-9]+(-[a-z]+)?$"
      image_rule    = "an official postgres image pinned to a 17.x patch release (for example docker.io/library/postgres:17.7): the data directory and the dumps are PostgreSQL 17"
      scripts       = ["init.sh", "init.sql", "backup.sh", "restore-check.sh", "restore.sh", "pg-lib.sh"]
      # Small-node settings; the rest are PostgreSQL's defaults.
      # shared_buffers follows the memory limit / 4.
      args = [
        "-c", "shared_buffers=${local.buffer_mb.postgres}MB",
        "-c", "effective_cache_size=${local.buffer_mb.postgres * 2}MB",
        "-c", "maintenance_work_mem=64MB",
        "-c", "work_mem=4MB",
        "-c", "max_connections=100",
        "-c", "wal_compression=on",
        "-c", "log_min_duration_statement=2000",
      ]
      server_env = [
        { name = "POSTGRES_PASSWORD", valueFrom = local.superuser_ref },
        # A sub-directory: a fresh DO volume holds lost+found.
        { name = "PGDATA", value = "/var/lib/postgresql/data/pgdata" },
      ]
      data_mount = "/var/lib/postgresql/data"
      run_mount  = "/var/run/postgresql"
      readiness  = { exec = { command = ["pg_isready", "-h", "127.0.0.1", "-U", "postgres"] } }
      liveness   = { exec = { command = ["pg_isready", "-h", "127.0.0.1", "-U", "postgres"] }, initialDelaySeconds = 30 }
      # How the Jobs reach the server as the superuser, and wait for it.
      client_env = [
        { name = "PGHOST", value = local.name },
        { name = "PGUSER", value = "postgres" },
        { name = "PGPASSWORD", valueFrom = local.superuser_ref },
      ]
      wait        = "until pg_isready -q; do sleep 2; done"
      job_path    = "/tools:/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
      restore_env = []
    }
    mariadb = {
      port          = 3306
      image         = "docker.io/library/mariadb:11.4.8"
      image_pattern = "^[a-z0-9./-]*mariadb:11\\.4\\.[0-9]+(-[a-z]+)?$"
      image_rule    = "an official mariadb image pinned to an 11.4.x patch release (for example docker.io/library/mariadb:11.4.8), the LTS line the data directory belongs to"
      scripts       = ["init.sh", "init.sql", "backup.sh", "restore-check.sh", "restore.sh", "mariadb-lib.sh", "count-rows.awk"]
      # Small-node settings. The data directory is a sub-directory of the
      # volume: a fresh DO volume holds lost+found, which MariaDB would list
      # as a database. The buffer pool follows the memory limit / 3.
      args = [
        "--datadir=/var/lib/mysql/data",
        "--innodb-buffer-pool-size=${local.buffer_mb.mariadb}M",
        "--innodb-log-file-size=64M",
        "--max-connections=100",
        "--performance-schema=OFF",
        "--skip-name-resolve",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
      ]
      server_env = [
        { name = "MARIADB_ROOT_PASSWORD", valueFrom = local.superuser_ref },
        { name = "MARIADB_AUTO_UPGRADE", value = "1" },
      ]
      data_mount = "/var/lib/mysql"
      run_mount  = "/run/mysqld"
      # mariadb-admin ping succeeds as soon as the server answers, even when
      # it refuses the (absent) credentials: no secret in probes.
      readiness = { exec = { command = ["mariadb-admin", "--no-defaults", "--protocol=tcp", "--host=127.0.0.1", "--connect-timeout=3", "ping"] } }
      liveness  = { tcpSocket = { port = "mariadb" }, initialDelaySeconds = 60 }
      client_env = [
        { name = "MARIADB_HOST", value = local.name },
        { name = "MARIADB_USER", value = "root" },
        { name = "MARIADB_PASSWORD", valueFrom = local.superuser_ref },
      ]
      wait        = "until mariadb-admin --no-defaults --protocol=tcp --host=\"$MARIADB_HOST\" --connect-timeout=3 ping >/dev/null 2>&1; do sleep 2; done"
      job_path    = "/tools:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
      restore_env = [{ name = "RESTORE_CHECK_BUFFER_POOL", value = "256M" }]
    }
  }

  # Each engine has its own half-hour before Velero's 03:00 and its own
  # restore-check slot, so the two never dump at the same time.
  default_schedules = {
    postgres = { backup = "15 2 * * *", restore_check = "15 5 * * *" }
    mariadb  = { backup = "30 2 * * *", restore_check = "30 5 * * *" }
  }

  # Names an app may not use, per engine (the engine's own databases and
  # accounts).
  reserved = {
    postgres = { databases = ["postgres", "template0", "template1"], users = ["postgres"], user_prefix = "pg_" }
    mariadb  = { databases = ["mysql", "information_schema", "performance_schema", "sys", "test"], users = ["root", "mysql", "mariadb", "healthcheck"], user_prefix = null }
  }
}
