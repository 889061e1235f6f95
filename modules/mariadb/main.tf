locals {
  name = "mariadb"
  labels = {
    "app.kubernetes.io/name"       = local.name
    "app.kubernetes.io/part-of"    = "data"
    "app.kubernetes.io/managed-by" = "opentofu"
  }
  # Pods with this label (init and backup jobs) may reach the server.
  client_label = { "fullfrontend.be/db-client" = local.name }

  # The scripts the Jobs run: the same files the Go tests run.
  # The engine's own scripts; db-common adds the shared db-lib.sh.
  scripts = { for f in ["init.sh", "init.sql", "backup.sh", "restore-check.sh", "count-rows.awk"] : f => file("${path.module}/files/${f}") }


  # The init Job's name carries a hash of what it applies, so adding an app,
  # changing a password or a script, or an apply after the Job was garbage
  # collected (TTL) creates a new Job. Only 10 hex digits of a SHA-256 over
  # the whole map leave the sensitive context; they reveal nothing usable.
  init_hash = nonsensitive(substr(sha256(jsonencode({
    apps    = var.app_credentials
    scripts = module.common.scripts
    image   = var.image
  })), 0, 10))

  buffer_pool_mb = floor(var.resources.memory_limit_mb / 3)

  job_path = "/tools:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

# Secrets, scripts, Services and NetworkPolicy, shared with the other engine.
module "common" {
  source             = "../db-common"
  name               = local.name
  port               = 3306
  namespace          = var.namespace
  labels             = local.labels
  client_label       = local.client_label
  apps_tier_label    = var.apps_tier_label
  scripts            = local.scripts
  superuser_password = var.superuser_password
  app_credentials    = var.app_credentials
  backup_s3          = var.backup_s3
  rclone_image       = var.rclone_image
}

resource "kubectl_manifest" "statefulset" {
  server_side_apply = true
  wait_for_rollout  = false
  yaml_body = yamlencode({
    apiVersion = "apps/v1"
    kind       = "StatefulSet"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.labels }
    spec = {
      serviceName = "${local.name}-headless"
      replicas    = 1
      selector    = { matchLabels = { "app.kubernetes.io/name" = local.name } }
      template = {
        metadata = {
          labels = local.labels
          # A new password or script restarts the pod with them.
          annotations = { "fullfrontend.be/config-hash" = local.init_hash }
        }
        spec = {
          securityContext               = module.common.pod_security
          terminationGracePeriodSeconds = 60
          containers = [{
            name  = "mariadb"
            image = var.image
            # Small-node settings. The data directory is a sub-directory of
            # the volume: a fresh DO volume holds lost+found, which MariaDB
            # would list as a database.
            args = [
              "--datadir=/var/lib/mysql/data",
              "--innodb-buffer-pool-size=${local.buffer_pool_mb}M",
              "--innodb-log-file-size=64M",
              "--max-connections=100",
              "--performance-schema=OFF",
              "--skip-name-resolve",
              "--character-set-server=utf8mb4",
              "--collation-server=utf8mb4_unicode_ci",
            ]
            ports = [{ name = "mariadb", containerPort = 3306 }]
            env = [
              { name = "MARIADB_ROOT_PASSWORD", valueFrom = { secretKeyRef = { name = "${local.name}-superuser", key = "password" } } },
              { name = "MARIADB_AUTO_UPGRADE", value = "1" },
            ]
            # mariadb-admin ping succeeds as soon as the server answers, even
            # when it refuses the (absent) credentials: no secret in probes.
            readinessProbe = {
              exec                = { command = ["mariadb-admin", "--no-defaults", "--protocol=tcp", "--host=127.0.0.1", "--connect-timeout=3", "ping"] }
              periodSeconds       = 10
              timeoutSeconds      = 5
              initialDelaySeconds = 5
            }
            livenessProbe = {
              tcpSocket           = { port = "mariadb" }
              periodSeconds       = 20
              timeoutSeconds      = 5
              failureThreshold    = 6
              initialDelaySeconds = 60
            }
            resources = {
              requests = { cpu = var.resources.cpu_request, memory = var.resources.memory_request }
              limits   = { memory = "${var.resources.memory_limit_mb}Mi" }
            }
            securityContext = module.common.container_security
            volumeMounts = [
              { name = "data", mountPath = "/var/lib/mysql" },
              { name = "run", mountPath = "/run/mysqld" },
              { name = "tmp", mountPath = "/tmp" },
              # For `infra db ensure`: the init script inside the server pod.
              { name = "scripts", mountPath = "/scripts", readOnly = true },
            ]
          }]
          volumes = [
            { name = "run", emptyDir = {} },
            { name = "tmp", emptyDir = {} },
            { name = "scripts", configMap = { name = "${local.name}-scripts" } },
          ]
        }
      }
      volumeClaimTemplates = [{
        metadata = { name = "data", labels = local.labels }
        spec = merge({
          accessModes = ["ReadWriteOnce"]
          resources   = { requests = { storage = var.storage_size } }
        }, var.storage_class == null ? {} : { storageClassName = var.storage_class })
      }]
    }
  })
  depends_on = [module.common]
}

# Seed "Init Jobs": creates missing databases and users, applies passwords.
resource "kubectl_manifest" "init_job" {
  server_side_apply = true
  force_new         = true # a Job's pod template is immutable
  wait              = false
  yaml_body = yamlencode({
    apiVersion = "batch/v1"
    kind       = "Job"
    metadata   = { name = "${local.name}-init-${local.init_hash}", namespace = var.namespace, labels = local.labels }
    spec = {
      ttlSecondsAfterFinished = 120
      backoffLimit            = 6
      activeDeadlineSeconds   = 900
      template = {
        metadata = { labels = merge(local.labels, local.client_label, { "app.kubernetes.io/component" = "init" }) }
        spec = {
          restartPolicy   = "OnFailure"
          securityContext = module.common.pod_security
          containers = [{
            name  = "init"
            image = var.image
            # Waits for the server (first apply: it is still starting).
            command = ["sh", "-c", "until mariadb-admin --no-defaults --protocol=tcp --host=\"$MARIADB_HOST\" --connect-timeout=3 ping >/dev/null 2>&1; do sleep 2; done; exec sh /scripts/init.sh /apps"]
            env = [
              { name = "MARIADB_HOST", value = local.name },
              { name = "MARIADB_USER", value = "root" },
              { name = "MARIADB_PASSWORD", valueFrom = { secretKeyRef = { name = "${local.name}-superuser", key = "password" } } },
            ]
            resources = {
              requests = { cpu = "10m", memory = "32Mi" }
              limits   = { memory = "128Mi" }
            }
            securityContext = module.common.container_security
            volumeMounts = [
              { name = "scripts", mountPath = "/scripts", readOnly = true },
              { name = "apps", mountPath = "/apps", readOnly = true },
            ]
          }]
          volumes = [
            { name = "scripts", configMap = { name = "${local.name}-scripts" } },
            { name = "apps", secret = { secretName = "${local.name}-init-apps" } },
          ]
        }
      }
    }
  })
  depends_on = [kubectl_manifest.statefulset, module.common]
}

resource "kubectl_manifest" "backup" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "batch/v1"
    kind       = "CronJob"
    metadata   = { name = "${local.name}-backup", namespace = var.namespace, labels = local.labels }
    spec = {
      schedule                   = var.backup_schedule
      timeZone                   = "Etc/UTC"
      concurrencyPolicy          = "Forbid"
      startingDeadlineSeconds    = 3600
      successfulJobsHistoryLimit = 3
      failedJobsHistoryLimit     = 3
      jobTemplate = {
        spec = {
          backoffLimit          = 1
          activeDeadlineSeconds = 14400
          template = {
            metadata = { labels = merge(local.labels, local.client_label, { "app.kubernetes.io/component" = "backup" }) }
            spec = {
              restartPolicy   = "Never"
              securityContext = module.common.pod_security
              initContainers  = [module.common.rclone_init]
              containers = [{
                name    = "backup"
                image   = var.image
                command = ["sh", "/scripts/backup.sh"]
                env = [
                  { name = "PATH", value = local.job_path },
                  { name = "MARIADB_HOST", value = local.name },
                  { name = "MARIADB_USER", value = "root" },
                  { name = "MARIADB_PASSWORD", valueFrom = { secretKeyRef = { name = "${local.name}-superuser", key = "password" } } },
                  { name = "BACKUP_WORK_DIR", value = "/work" },
                  { name = "BACKUP_RETENTION_DAYS", value = tostring(var.backup_retention_days) },
                  { name = "HOME", value = "/work" },
                ]
                envFrom = [{ secretRef = { name = "${local.name}-backup-s3" } }]
                resources = {
                  requests = { cpu = "100m", memory = "128Mi" }
                  limits   = { memory = "512Mi" }
                }
                securityContext = module.common.container_security
                volumeMounts    = module.common.job_volume_mounts
              }]
              volumes = concat(module.common.job_volumes, [{ name = "work", emptyDir = { sizeLimit = "20Gi" } }])
            }
          }
        }
      }
    }
  })
  depends_on = [module.common]
}

# Restores the newest backup into a scratch server inside its own pod: no
# database credential, no access to the live server.
resource "kubectl_manifest" "restore_check" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "batch/v1"
    kind       = "CronJob"
    metadata   = { name = "${local.name}-restore-check", namespace = var.namespace, labels = local.labels }
    spec = {
      schedule                   = var.restore_check_schedule
      timeZone                   = "Etc/UTC"
      concurrencyPolicy          = "Forbid"
      startingDeadlineSeconds    = 3600
      successfulJobsHistoryLimit = 3
      failedJobsHistoryLimit     = 3
      jobTemplate = {
        spec = {
          backoffLimit          = 0
          activeDeadlineSeconds = 14400
          template = {
            metadata = { labels = merge(local.labels, { "app.kubernetes.io/component" = "restore-check" }) }
            spec = {
              restartPolicy   = "Never"
              securityContext = module.common.pod_security
              initContainers  = [module.common.rclone_init]
              containers = [{
                name    = "restore-check"
                image   = var.image
                command = ["sh", "/scripts/restore-check.sh"]
                env = [
                  { name = "PATH", value = local.job_path },
                  { name = "BACKUP_WORK_DIR", value = "/work" },
                  { name = "HOME", value = "/work" },
                  { name = "RESTORE_CHECK_BUFFER_POOL", value = "256M" },
                  { name = "RESTORE_CHECK_EXPECTED_TABLES", value = join(" ", [for db, ts in var.restore_check_expected_tables : "${db}:${join(",", ts)}" if length(ts) > 0]) },
                ]
                envFrom = [{ secretRef = { name = "${local.name}-backup-s3" } }]
                resources = {
                  requests = { cpu = "100m", memory = "256Mi" }
                  limits   = { memory = "1Gi" }
                }
                securityContext = module.common.container_security
                volumeMounts    = module.common.job_volume_mounts
              }]
              volumes = concat(module.common.job_volumes, [{ name = "work", emptyDir = { sizeLimit = "40Gi" } }])
            }
          }
        }
      }
    }
  })
  depends_on = [module.common]
}
