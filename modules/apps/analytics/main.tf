# Umami v3 (insights.<root_domain>) on our own manifests: there is no
# official chart. Stateless: every piece of data is in its PostgreSQL
# database, so the module has no PVC and restoring Umami is restoring that
# database (docs/restore.md).
locals {
  name = "umami"
  port = 3000

  selector      = { "app.kubernetes.io/name" = local.name }
  umami_secret  = "${var.app.name}-umami"
  tracking_path = "/script.js"

  # Percent-encoded, since a password from the SOPS file may hold @, :, /
  # or spaces; urlencode writes a space as "+", which means "+" in the
  # user-info part of a URL.
  url_part = { for k in ["user", "password", "database"] : k => replace(urlencode(var.database[k]), "+", "%20") }
  database_url = format(
    "postgresql://%s:%s@%s:%d/%s",
    local.url_part.user, local.url_part.password, var.database.host, var.database.port, local.url_part.database,
  )

  # Writable paths when the root filesystem is read-only: Node's and
  # Prisma's temporary files (and HOME, below), and Next.js's cache.
  scratch = {
    tmp        = "/tmp"
    next-cache = "/app/.next/cache"
  }
}

# Namespace (restricted Pod Security: Umami runs as nextjs, uid 1001, with
# every capability dropped), NetworkPolicy (Traefik and the namespace only,
# port 3000), Ingress on insights.<root_domain> (TLS in prod), the Secret
# analytics-postgres and the Velero Schedule analytics-daily.
module "common" {
  source       = "../../app-common"
  app          = var.app
  platform     = var.platform
  database     = var.database
  pod_security = "restricted"
  volumes      = {}
  routes       = [{ service = local.name, port = local.port }]
  network_policy = {
    pod_selector = local.selector
    ports        = [local.port]
  }
}

# What Umami reads from its environment, as one Secret: the connection URL
# holds the password, so it never appears in the Deployment.
resource "kubectl_manifest" "umami_secret" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata = {
      name      = local.umami_secret
      namespace = module.common.namespace
      labels    = module.common.labels
    }
    # base64 in data (not stringData): the provider masks a Secret's data
    # in plans and diffs.
    data = {
      DATABASE_URL = base64encode(local.database_url)
      APP_SECRET   = base64encode(var.app_secret)
    }
  })
  depends_on = [module.common]
}

resource "kubectl_manifest" "deployment" {
  server_side_apply = true
  wait_for_rollout  = false
  yaml_body = yamlencode({
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = local.name, namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      replicas = 1
      # No volume to hand over: the new pod starts before the old one
      # stops. Umami's migrations add to the schema, which the old pod
      # tolerates for the few seconds both run.
      strategy = { type = "RollingUpdate", rollingUpdate = { maxSurge = 1, maxUnavailable = 0 } }
      selector = { matchLabels = local.selector }
      template = {
        metadata = {
          labels = merge(module.common.labels, local.selector)
          annotations = {
            # Scratch space only: the Schedule backs up every pod volume.
            "backup.velero.io/backup-volumes-excludes" = join(",", keys(local.scratch))
          }
        }
        spec = {
          # Umami never talks to the Kubernetes API.
          automountServiceAccountToken = false
          # The image's USER is the name nextjs: the kubelet can only check
          # runAsNonRoot against a numeric uid. 1001:1001 (nextjs:nodejs)
          # owns the app's files in the image.
          securityContext = {
            runAsNonRoot   = true
            runAsUser      = 1001
            runAsGroup     = 1001
            seccompProfile = { type = "RuntimeDefault" }
          }
          containers = [{
            name  = local.name
            image = var.image
            ports = [{ name = "http", containerPort = local.port }]
            env = concat(
              [for k in ["DATABASE_URL", "APP_SECRET"] : {
                name      = k
                valueFrom = { secretKeyRef = { name = local.umami_secret, key = k } }
              }],
              [
                # No pixel to umami.is from the dashboard, no browser call
                # to its update API: upgrades go through var.image.
                { name = "DISABLE_TELEMETRY", value = "1" },
                { name = "DISABLE_UPDATES", value = "1" },
                # Prisma's CLI runs the migrations at every start.
                { name = "CHECKPOINT_DISABLE", value = "1" },
                # pnpm, Prisma and their caches write under HOME: the
                # image's /home/nextjs is read-only here.
                { name = "HOME", value = "/tmp" },
              ],
            )
            # The start script (check-db) applies the release's Prisma
            # migrations before the server listens: on a first start or an
            # upgrade that can take minutes, which liveness must not cut.
            startupProbe   = { httpGet = { path = "/api/heartbeat", port = "http" }, periodSeconds = 5, timeoutSeconds = 3, failureThreshold = 60 }
            readinessProbe = { httpGet = { path = "/api/heartbeat", port = "http" }, periodSeconds = 10, timeoutSeconds = 3 }
            livenessProbe  = { httpGet = { path = "/api/heartbeat", port = "http" }, periodSeconds = 20, timeoutSeconds = 5, failureThreshold = 6 }
            resources      = var.resources
            securityContext = {
              allowPrivilegeEscalation = false
              readOnlyRootFilesystem   = var.read_only_root_filesystem
              capabilities             = { drop = ["ALL"] }
            }
            volumeMounts = [for v, path in local.scratch : { name = v, mountPath = path }]
          }]
          volumes = [for v, _ in local.scratch : { name = v, emptyDir = { sizeLimit = "256Mi" } }]
        }
      }
    }
  })
  depends_on = [kubectl_manifest.umami_secret]
}

resource "kubectl_manifest" "service" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = local.name, namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      selector = local.selector
      ports    = [{ name = "http", port = local.port, targetPort = "http" }]
    }
  })
  depends_on = [module.common]
}
