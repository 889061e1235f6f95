# Velero everywhere (seed): prod to the Spaces backups bucket, dev to an S3
# server on a hostPath inside the cluster. PVC data goes through kopia
# file-system backups, so it lands in the bucket, never in DO snapshots.
locals {
  dev_s3 = {
    endpoint = "http://s3.infra.svc.cluster.local:7070"
    region   = "us-east-1"
    image    = "versity/versitygw:v1.8.0"
  }
  backup_s3 = var.is_prod ? {
    endpoint          = "https://${var.backups_bucket.region}.digitaloceanspaces.com"
    bucket            = var.backups_bucket.name
    region            = var.backups_bucket.region
    access_key_id     = var.spaces_access_key_id
    secret_access_key = var.spaces_secret_access_key
    force_path_style  = false
    } : {
    endpoint          = local.dev_s3.endpoint
    bucket            = "backups"
    region            = local.dev_s3.region
    access_key_id     = random_password.dev_s3_access_key[0].result
    secret_access_key = random_password.dev_s3_secret_key[0].result
    force_path_style  = true
  }
  velero_prefix = "velero"
}

resource "random_password" "dev_s3_access_key" {
  count   = var.is_prod ? 0 : 1
  length  = 20
  special = false
}

resource "random_password" "dev_s3_secret_key" {
  count   = var.is_prod ? 0 : 1
  length  = 40
  special = false
}

resource "kubectl_manifest" "velero_credentials" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  depends_on        = [kubectl_manifest.namespace]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata   = { name = "velero-s3", namespace = "infra" }
    data = {
      cloud = base64encode(join("\n", [
        "[default]",
        "aws_access_key_id=${local.backup_s3.access_key_id}",
        "aws_secret_access_key=${local.backup_s3.secret_access_key}",
        "",
      ]))
    }
  })
  # Backups run whatever apps are on: without the keys Velero and the
  # database dumps would fail every night, silently until the alerts.
  lifecycle {
    precondition {
      condition     = !var.is_prod || (nonsensitive(var.spaces_access_key_id != "") && nonsensitive(var.spaces_secret_access_key != ""))
      error_message = "prod backups need Spaces keys: spaces_access_key_id or spaces_secret_access_key is empty in the secrets file. Create a Spaces access key (DigitalOcean, API > Spaces Keys) with access to the backups bucket and put both halves in secrets.tfvars (README.md, \"Mettre la prod en place\")."
    }
  }
}

resource "helm_release" "velero" {
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = "velero"
  namespace       = "infra"
  repository      = var.charts["velero"].repository
  chart           = var.charts["velero"].chart
  version         = var.charts["velero"].version
  depends_on      = [kubectl_manifest.velero_credentials, kubectl_manifest.dev_s3]

  values = [yamlencode({
    # >= v1.14.3: v1.14.1 and v1.14.2 corrupt objects on S3-compatible stores.
    initContainers = [{
      name            = "velero-plugin-for-aws"
      image           = "velero/velero-plugin-for-aws:v1.14.3"
      imagePullPolicy = "IfNotPresent"
      volumeMounts    = [{ mountPath = "/target", name = "plugins" }]
      resources = {
        requests = { cpu = "10m", memory = "32Mi" }
        limits   = { memory = "128Mi" }
      }
    }]
    credentials = { useSecret = true, existingSecret = "velero-s3" }
    configuration = {
      backupStorageLocation = [{
        name     = "default"
        provider = "aws"
        bucket   = local.backup_s3.bucket
        prefix   = local.velero_prefix
        default  = true
        config = {
          region           = local.backup_s3.region
          s3Url            = local.backup_s3.endpoint
          s3ForcePathStyle = tostring(local.backup_s3.force_path_style)
          # Spaces and other S3-compatible stores reject the SDK's default checksums.
          checksumAlgorithm = ""
        }
      }]
      volumeSnapshotLocation   = []
      uploaderType             = "kopia"
      defaultVolumesToFsBackup = true
      defaultBackupTTL         = "720h0m0s"
      # The Jobs Velero starts to maintain each kopia repository have no
      # requests or limits unless this ConfigMap gives them.
      repositoryMaintenanceJob = {
        repositoryConfigData = {
          name = "velero-repo-maintenance"
          global = {
            podResources              = { cpuRequest = "100m", memoryRequest = "100Mi", memoryLimit = "1Gi" }
            keepLatestMaintenanceJobs = 3
          }
        }
      }
    }
    # No snapshotsEnabled: the chart only reads it to render
    # volumeSnapshotLocation, which is empty (file-system backups only).
    deployNodeAgent = true
    # Idle between backups (Velero sets no request by default, so that
    # backups are never throttled); the limit holds kopia during a backup:
    # 251 MB for 10,000 files of 1 MB, up to 861 MB for 700,000 small files
    # (Velero's performance guide), an OOM at 1 GiB only with 2 million.
    nodeAgent = {
      resources = {
        requests = { cpu = "50m", memory = "128Mi" }
        limits   = { memory = "1Gi" }
      }
    }
    # velero install's defaults, "found to work well when backing up and
    # restoring 1000 or less resources" (Velero's docs).
    resources = {
      requests = { cpu = "500m", memory = "128Mi" }
      limits   = { memory = "512Mi" }
    }
    upgradeJobResources = {
      requests = { cpu = "10m", memory = "32Mi" }
      limits   = { memory = "128Mi" }
    }
  })]
}

# Seed: every day at 03:00, 30 days. Apps add their own with the same module.
module "platform_backup" {
  source              = "../velero-schedule"
  name                = "platform-daily"
  included_namespaces = var.default_backup_namespaces
  depends_on          = [helm_release.velero]
}

# Dev S3 server. The seed names MinIO, which no longer publishes community
# images; versitygw (Apache-2.0, maintained) serves a host directory over S3.
resource "kubectl_manifest" "dev_s3_credentials" {
  count             = var.is_prod ? 0 : 1
  server_side_apply = true
  sensitive_fields  = ["data"]
  depends_on        = [kubectl_manifest.namespace]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata   = { name = "dev-s3-root", namespace = "infra" }
    data = {
      ROOT_ACCESS_KEY = base64encode(local.backup_s3.access_key_id)
      ROOT_SECRET_KEY = base64encode(local.backup_s3.secret_access_key)
    }
  })
}

locals {
  dev_s3_labels = { "app.kubernetes.io/name" = "s3", "app.kubernetes.io/part-of" = "fullfrontend-dev" }
  # Rendered to YAML here so both objects fit one map(string) for for_each.
  dev_s3_objects = { for k, v in {
    deployment = {
      apiVersion = "apps/v1"
      kind       = "Deployment"
      metadata   = { name = "s3", namespace = "infra", labels = local.dev_s3_labels }
      spec = {
        replicas = 1
        strategy = { type = "Recreate" }
        selector = { matchLabels = local.dev_s3_labels }
        template = {
          metadata = { labels = local.dev_s3_labels }
          spec = {
            # Buckets are top-level directories of the posix backend: the
            # backups, and the CRM's files (prod: the Spaces media bucket).
            initContainers = [{
              name            = "buckets"
              image           = local.dev_s3.image
              command         = ["sh", "-c", "mkdir -p /data/backups /data/crm"]
              volumeMounts    = [{ name = "data", mountPath = "/data" }]
              securityContext = { allowPrivilegeEscalation = false }
              resources = {
                requests = { cpu = "10m", memory = "16Mi" }
                limits   = { memory = "64Mi" }
              }
            }]
            containers = [{
              name    = "versitygw"
              image   = local.dev_s3.image
              args    = ["--port", ":7070", "posix", "/data"]
              envFrom = [{ secretRef = { name = "dev-s3-root" } }]
              ports   = [{ name = "s3", containerPort = 7070 }]
              readinessProbe = {
                tcpSocket     = { port = "s3" }
                periodSeconds = 10
              }
              livenessProbe = {
                tcpSocket           = { port = "s3" }
                initialDelaySeconds = 10
                periodSeconds       = 20
              }
              securityContext = { allowPrivilegeEscalation = false }
              volumeMounts    = [{ name = "data", mountPath = "/data" }]
              resources = {
                requests = { cpu = "20m", memory = "64Mi" }
                limits   = { memory = "256Mi" }
              }
            }]
            volumes = [{ name = "data", hostPath = { path = var.dev_s3_host_path, type = "DirectoryOrCreate" } }]
          }
        }
      }
    }
    service = {
      apiVersion = "v1"
      kind       = "Service"
      metadata   = { name = "s3", namespace = "infra", labels = local.dev_s3_labels }
      spec = {
        selector = local.dev_s3_labels
        ports    = [{ name = "s3", port = 7070, targetPort = "s3" }]
      }
    }
  } : k => yamlencode(v) if !var.is_prod }
}

resource "kubectl_manifest" "dev_s3" {
  for_each          = local.dev_s3_objects
  server_side_apply = true
  depends_on        = [kubectl_manifest.dev_s3_credentials]
  yaml_body         = each.value
}
