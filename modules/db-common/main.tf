# What both SQL engines need around their StatefulSet: the superuser and S3
# Secrets, the scripts ConfigMap, the init Job's and each app's credentials,
# the Services and the NetworkPolicy. modules/postgres and modules/mariadb
# add the engine-specific StatefulSet and Jobs.
locals {
  # The engine's scripts and the shared library they source.
  scripts = merge(var.scripts, { "db-lib.sh" = file("${path.module}/files/db-lib.sh") })
  # for_each cannot take sensitive values; the app names are not secret.
  apps = toset(nonsensitive(keys(var.app_credentials)))
  host = "${var.name}.${var.namespace}.svc.cluster.local"

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

  # What the backup and restore-check Jobs mount: their scripts, rclone and
  # a scratch directory ("work", an emptyDir sized by the engine module).
  job_volume_mounts = [
    { name = "scripts", mountPath = "/scripts", readOnly = true },
    { name = "tools", mountPath = "/tools", readOnly = true },
    { name = "work", mountPath = "/work" },
  ]
  job_volumes = [
    { name = "scripts", configMap = { name = "${var.name}-scripts" } },
    { name = "tools", emptyDir = {} },
  ]
}

resource "kubectl_manifest" "superuser" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = "${var.name}-superuser", namespace = var.namespace, labels = var.labels }
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
    metadata   = { name = "${var.name}-backup-s3", namespace = var.namespace, labels = var.labels }
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
    metadata   = { name = "${var.name}-scripts", namespace = var.namespace, labels = var.labels }
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
    metadata   = { name = "${var.name}-init-apps", namespace = var.namespace, labels = var.labels }
    type       = "Opaque"
    data = merge([for app, c in var.app_credentials : {
      "${app}.database" = base64encode(c.database)
      "${app}.user"     = base64encode(c.user)
      "${app}.password" = base64encode(c.password)
    }]...)
  })
}

# Each app's credentials, in the app's namespace (created by its module).
resource "kubectl_manifest" "app_secret" {
  for_each          = local.apps
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    metadata = {
      name      = "${each.key}-${var.name}"
      namespace = nonsensitive(var.app_credentials[each.key].namespace)
      labels    = merge(var.labels, { "app.kubernetes.io/instance" = each.key })
    }
    type = "Opaque"
    data = { for k, v in {
      host     = local.host
      port     = tostring(var.port)
      database = var.app_credentials[each.key].database
      username = var.app_credentials[each.key].user
      password = var.app_credentials[each.key].password
    } : k => base64encode(v) }
  })
}

resource "kubectl_manifest" "service" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = var.name, namespace = var.namespace, labels = var.labels }
    spec = {
      selector = { "app.kubernetes.io/name" = var.name }
      ports    = [{ name = var.name, port = var.port, targetPort = var.name }]
    }
  })
}

resource "kubectl_manifest" "headless" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = "${var.name}-headless", namespace = var.namespace, labels = var.labels }
    spec = {
      clusterIP = "None"
      selector  = { "app.kubernetes.io/name" = var.name }
      ports     = [{ name = var.name, port = var.port, targetPort = var.name }]
    }
  })
}

# Only app namespaces and this module's jobs reach the port.
resource "kubectl_manifest" "network_policy" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata   = { name = var.name, namespace = var.namespace, labels = var.labels }
    spec = {
      podSelector = { matchLabels = { "app.kubernetes.io/name" = var.name } }
      policyTypes = ["Ingress"]
      ingress = [{
        from = [
          { namespaceSelector = { matchLabels = { (var.apps_tier_label.key) = var.apps_tier_label.value } } },
          { podSelector = { matchLabels = var.client_label } },
        ]
        ports = [{ protocol = "TCP", port = var.port }]
      }]
    }
  })
}
