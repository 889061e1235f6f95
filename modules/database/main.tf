# One self-hosted SQL server in the data namespace (seed "Base de données":
# one StatefulSet, one PVC, backups to Spaces and a restore check), for
# either engine. Everything is the same shape for both; engines.tf holds
# only what differs (image, flags, probes, client environment).
locals {
  e    = local.engines[var.engine]
  name = var.engine
  # The engine's buffer (shared_buffers, InnoDB buffer pool) plus its own
  # working set, unless the caller sets the request.
  memory_request = coalesce(var.resources.memory_request, "${local.buffer_mb[var.engine] + 128}Mi")
  labels = {
    "app.kubernetes.io/name"       = local.name
    "app.kubernetes.io/part-of"    = "data"
    "app.kubernetes.io/managed-by" = "opentofu"
  }
  # Pods with this label (init and backup jobs) may reach the server.
  client_label = { "fullfrontend.be/db-client" = local.name }
  image        = coalesce(var.image, local.e.image)
  schedules = {
    backup        = coalesce(var.backup_schedule, local.default_schedules[var.engine].backup)
    restore_check = coalesce(var.restore_check_schedule, local.default_schedules[var.engine].restore_check)
  }
  superuser_ref = { secretKeyRef = { name = "${local.name}-superuser", key = "password" } }

  # The ConfigMap: the engine's scripts and the shared library they source,
  # the very files the Go tests run (internal/testsupport/dbtest).
  scripts = merge(
    { for f in local.e.scripts : f => file("${path.module}/files/${var.engine}/${f}") },
    { "db-lib.sh" = file("${path.module}/files/db-lib.sh") },
  )
  # The app names are not secret.
  apps = toset(nonsensitive(keys(var.app_credentials)))
  host = "${local.name}.${var.namespace}.svc.cluster.local"

  # The init Job's name carries a hash of what it applies, so adding an app,
  # changing a password or a script, or an apply after the Job was garbage
  # collected (TTL) creates a new Job. Only 10 hex digits of a SHA-256 over
  # the whole map leave the sensitive context; they reveal nothing usable.
  init_hash = nonsensitive(substr(sha256(jsonencode({
    apps    = var.app_credentials
    scripts = local.scripts
    image   = local.image
  })), 0, 10))

  server_hash = substr(sha256(jsonencode({ scripts = local.scripts, image = local.image })), 0, 10)

  # Both official images run as uid/gid 999 (postgres, mysql).
  pod_security = {
    runAsNonRoot        = true
    runAsUser           = 999
    runAsGroup          = 999
    fsGroup             = 999
    fsGroupChangePolicy = "OnRootMismatch"
    seccompProfile      = { type = "RuntimeDefault" }
  }
  container_security = {
    allowPrivilegeEscalation = false
    readOnlyRootFilesystem   = true
    capabilities             = { drop = ["ALL"] }
  }

  # rclone's static binary, copied from its pinned official image into the
  # job's PATH: one container then dumps, checksums and uploads, so any
  # failure fails the Job.
  rclone_init = {
    name            = "rclone"
    image           = var.rclone_image
    command         = ["cp", "/usr/local/bin/rclone", "/tools/rclone"]
    securityContext = local.container_security
    resources = {
      requests = { cpu = "10m", memory = "16Mi" }
      limits   = { memory = "64Mi" }
    }
    volumeMounts = [{ name = "tools", mountPath = "/tools" }]
  }

  # The backup and the restore check are the same CronJob around a
  # different script: what differs is here.
  dump_jobs = {
    backup = {
      schedule     = local.schedules.backup
      backoffLimit = 1
      labels       = merge(local.client_label, { "app.kubernetes.io/component" = "backup" })
      env = concat(local.e.client_env, [
        { name = "BACKUP_RETENTION_DAYS", value = tostring(var.backup_retention_days) },
      ])
      resources = { requests = { cpu = "100m", memory = "128Mi" }, limits = { memory = "512Mi" } }
      work_size = "20Gi"
    }
    # Restores the newest backup into a scratch server inside its own pod:
    # no database credential, no access to the live server.
    restore-check = {
      schedule     = local.schedules.restore_check
      backoffLimit = 0
      labels       = { "app.kubernetes.io/component" = "restore-check" }
      env = concat([
        { name = "RESTORE_CHECK_EXPECTED_TABLES", value = join(" ", [for db, ts in var.restore_check_expected_tables : "${db}:${join(",", ts)}" if length(ts) > 0]) },
      ], local.e.restore_env)
      resources = { requests = { cpu = "100m", memory = "256Mi" }, limits = { memory = "1Gi" } }
      work_size = "40Gi"
    }
  }
}

resource "kubectl_manifest" "superuser" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = "${local.name}-superuser", namespace = var.namespace, labels = local.labels }
    type       = "Opaque"
    data       = { password = base64encode(var.superuser_password) }
  })
}

resource "kubectl_manifest" "backup_s3" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = "${local.name}-backup-s3", namespace = var.namespace, labels = local.labels }
    type       = "Opaque"
    data = { for k, v in {
      BACKUP_S3_ENDPOINT         = var.backup_s3.endpoint
      BACKUP_S3_BUCKET           = var.backup_s3.bucket
      BACKUP_S3_REGION           = var.backup_s3.region
      BACKUP_S3_FORCE_PATH_STYLE = tostring(var.backup_s3.force_path_style)
      AWS_ACCESS_KEY_ID          = var.backup_s3.access_key_id
      AWS_SECRET_ACCESS_KEY      = var.backup_s3.secret_access_key
    } : k => base64encode(v) }
  })
}

resource "kubectl_manifest" "scripts" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "${local.name}-scripts", namespace = var.namespace, labels = local.labels }
    data       = local.scripts
  })
}

# What the init Job mounts: <app>.database, <app>.user, <app>.password.
resource "kubectl_manifest" "init_apps" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = "${local.name}-init-apps", namespace = var.namespace, labels = local.labels }
    type       = "Opaque"
    data = merge([for app, c in var.app_credentials : {
      "${app}.database" = base64encode(c.database)
      "${app}.user"     = base64encode(c.user)
      "${app}.password" = base64encode(c.password)
    }]...)
  })
  lifecycle {
    precondition {
      condition = alltrue([for v in values(var.app_credentials) :
        !contains(local.reserved[var.engine].databases, v.database) &&
        !contains(local.reserved[var.engine].users, v.user) &&
        (local.reserved[var.engine].user_prefix == null || !startswith(v.user, coalesce(local.reserved[var.engine].user_prefix, "-")))
      ])
      error_message = "${var.engine} app_credentials: the database may not be ${join(", ", local.reserved[var.engine].databases)} and the user may not be ${join(", ", local.reserved[var.engine].users)}${local.reserved[var.engine].user_prefix == null ? "" : " or start with ${local.reserved[var.engine].user_prefix}"} (reserved by ${var.engine})."
    }
  }
}

# The Service apps connect to, and the headless one the StatefulSet needs.
resource "kubectl_manifest" "service" {
  for_each          = { (local.name) = {}, "${local.name}-headless" = { clusterIP = "None" } }
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = each.key, namespace = var.namespace, labels = local.labels }
    spec = merge(each.value, {
      selector = { "app.kubernetes.io/name" = local.name }
      ports    = [{ name = local.name, port = local.e.port, targetPort = local.name }]
    })
  })
}

# Only app namespaces and this module's jobs reach the port.
resource "kubectl_manifest" "network_policy" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.labels }
    spec = {
      podSelector = { matchLabels = { "app.kubernetes.io/name" = local.name } }
      policyTypes = ["Ingress"]
      ingress = [{
        from = [
          { namespaceSelector = { matchLabels = { (var.apps_tier_label.key) = var.apps_tier_label.value } } },
          { podSelector = { matchLabels = local.client_label } },
        ]
        ports = [{ protocol = "TCP", port = local.e.port }]
      }]
    }
  })
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
          # A new script or image restarts the pod with them; a new app or
          # password does not (the init Job applies those).
          annotations = { "fullfrontend.be/config-hash" = local.server_hash }
        }
        spec = {
          securityContext               = local.pod_security
          terminationGracePeriodSeconds = 60
          containers = [{
            name           = local.name
            image          = local.image
            args           = local.e.args
            ports          = [{ name = local.name, containerPort = local.e.port }]
            env            = local.e.server_env
            readinessProbe = merge({ periodSeconds = 10, timeoutSeconds = 5, initialDelaySeconds = 5 }, local.e.readiness)
            livenessProbe  = merge({ periodSeconds = 20, timeoutSeconds = 5, failureThreshold = 6 }, local.e.liveness)
            resources = {
              requests = { cpu = var.resources.cpu_request, memory = local.memory_request }
              limits   = { memory = "${var.resources.memory_limit_mb}Mi" }
            }
            securityContext = local.container_security
            volumeMounts = [
              { name = "data", mountPath = local.e.data_mount },
              { name = "run", mountPath = local.e.run_mount },
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
  lifecycle {
    precondition {
      condition     = can(regex(local.e.image_pattern, local.image))
      error_message = "image must be ${local.e.image_rule}."
    }
    precondition {
      condition     = var.engine == "postgres" || alltrue([for ts in values(var.restore_check_expected_tables) : alltrue([for t in ts : !strcontains(t, ".")])])
      error_message = "restore_check_expected_tables: MariaDB has no schemas; list plain table names (wp_posts, not wordpress.wp_posts)."
    }
  }
  depends_on = [kubectl_manifest.superuser, kubectl_manifest.scripts, kubectl_manifest.service]
}

# Seed "Init Jobs": creates missing databases and users (roles), applies
# passwords.
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
          securityContext = local.pod_security
          containers = [{
            name  = "init"
            image = local.image
            # Waits for the server (first apply: it is still starting).
            command = ["sh", "-c", "${local.e.wait}; exec sh /scripts/init.sh /apps"]
            env     = local.e.client_env
            resources = {
              requests = { cpu = "10m", memory = "32Mi" }
              limits   = { memory = "128Mi" }
            }
            securityContext = local.container_security
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
  depends_on = [kubectl_manifest.statefulset, kubectl_manifest.init_apps]
}

# The daily dump to S3 and the daily restore check of the newest dump.
resource "kubectl_manifest" "dump_job" {
  for_each          = local.dump_jobs
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "batch/v1"
    kind       = "CronJob"
    metadata   = { name = "${local.name}-${each.key}", namespace = var.namespace, labels = local.labels }
    spec = {
      schedule                   = each.value.schedule
      timeZone                   = "Etc/UTC"
      concurrencyPolicy          = "Forbid"
      startingDeadlineSeconds    = 3600
      successfulJobsHistoryLimit = 3
      failedJobsHistoryLimit     = 3
      jobTemplate = {
        spec = {
          backoffLimit          = each.value.backoffLimit
          activeDeadlineSeconds = 14400
          template = {
            metadata = { labels = merge(local.labels, each.value.labels) }
            spec = {
              restartPolicy   = "Never"
              securityContext = local.pod_security
              initContainers  = [local.rclone_init]
              containers = [{
                name    = each.key
                image   = local.image
                command = ["sh", "/scripts/${each.key}.sh"]
                env = concat([
                  { name = "PATH", value = local.e.job_path },
                  { name = "BACKUP_WORK_DIR", value = "/work" },
                  { name = "HOME", value = "/work" },
                ], each.value.env)
                envFrom         = [{ secretRef = { name = "${local.name}-backup-s3" } }]
                resources       = each.value.resources
                securityContext = local.container_security
                volumeMounts = [
                  { name = "scripts", mountPath = "/scripts", readOnly = true },
                  { name = "tools", mountPath = "/tools", readOnly = true },
                  { name = "work", mountPath = "/work" },
                ]
              }]
              volumes = [
                { name = "scripts", configMap = { name = "${local.name}-scripts" } },
                { name = "tools", emptyDir = {} },
                { name = "work", emptyDir = { sizeLimit = each.value.work_size } },
              ]
            }
          }
        }
      }
    }
  })
  depends_on = [kubectl_manifest.backup_s3, kubectl_manifest.scripts]
}
