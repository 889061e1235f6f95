# Twenty CRM at crm.<root_domain>: one image, two Deployments (docs of
# Twenty: packages/twenty-docker/docker-compose.yml). The server serves the
# app and the API on 3000 and migrates the database when it starts; the
# worker runs the BullMQ jobs (yarn worker:prod). Twenty publishes no chart
# repository (its in-repo chart has carried Bitnami subcharts): our own
# manifests.
locals {
  name = "twenty"
  port = 3000

  server_selector = { "app.kubernetes.io/name" = local.name, "app.kubernetes.io/component" = "server" }
  worker_selector = { "app.kubernetes.io/name" = local.name, "app.kubernetes.io/component" = "worker" }
  env_secret      = "twenty-env"

  # Without a database the URL stays empty, so that app-common's
  # precondition (which says what to add to the stack) is the error shown.
  database_url = var.database == null ? "" : "postgres://${var.database.user}:${urlencode(var.database.password)}@${var.database.host}:${var.database.port}/${var.database.database}"
  # urlencode writes a space as "+", a literal plus in a URL's userinfo:
  # spell it %20.
  redis_password = replace(urlencode(var.redis.password), "+", "%20")

  # The only keys of the Secret; everything else is plain configuration.
  secret_env = {
    PG_DATABASE_URL = local.database_url
    REDIS_URL       = "redis://default:${local.redis_password}@${var.redis.host}:${var.redis.port}/${var.redis.db}"
    # ENCRYPTION_KEY is the at-rest key since v2.5; APP_SECRET is its legacy
    # fallback, still read for sessions and old tokens. Same value in both,
    # so nothing changes when Twenty drops APP_SECRET.
    ENCRYPTION_KEY               = var.app_secret
    APP_SECRET                   = var.app_secret
    STORAGE_S3_ACCESS_KEY_ID     = var.s3.access_key_id
    STORAGE_S3_SECRET_ACCESS_KEY = var.s3.secret_access_key
  }
  # Where files go is no secret: unmarked, it stays readable in plans.
  common_env = [for k, v in {
    SERVER_URL          = module.common.url
    STORAGE_TYPE        = "s3"
    STORAGE_S3_REGION   = nonsensitive(var.s3.region)
    STORAGE_S3_NAME     = nonsensitive(var.s3.bucket)
    STORAGE_S3_ENDPOINT = nonsensitive(var.s3.endpoint)
    # No usage data leaves the cluster: the CRM holds clients' data.
    TELEMETRY_ENABLED = "false"
  } : { name = k, value = v }]

  # Liveness of the worker, which has no port: it must hold an established
  # TCP connection (state 01) to Valkey, where its BullMQ queues live. Its
  # blocking reads keep one open all the time; none for minutes means it
  # can no longer take jobs. /proc/net/tcp writes ports in hexadecimal.
  redis_port_hex = format("%04X", nonsensitive(var.redis.port))
  worker_liveness = join(" ", [
    "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |",
    "awk '$3 ~ /:${local.redis_port_hex}$/ && $4 == \"01\" { ok = 1 } END { exit ok ? 0 : 1 }'",
  ])

  pod_security_context = {
    # USER 1000 (node) in Twenty's Dockerfile; /app is owned by it.
    runAsNonRoot   = true
    runAsUser      = 1000
    runAsGroup     = 1000
    seccompProfile = { type = "RuntimeDefault" }
  }
  container_security_context = {
    allowPrivilegeEscalation = false
    capabilities             = { drop = ["ALL"] }
  }
}

# Namespace crm (restricted: the image runs as uid 1000 without
# capabilities), the Secret crm-postgres, the Ingress crm.<root_domain>
# (TLS in prod), the Velero Schedule crm-daily and a NetworkPolicy that
# lets only Traefik and the namespace itself reach the server's port. No
# PVC: with STORAGE_TYPE=s3 Twenty keeps no file of its own on disk.
module "common" {
  source       = "../../app-common"
  app          = var.app
  platform     = var.platform
  database     = var.database
  pod_security = "restricted"
  volumes      = {}
  routes       = [{ service = local.name, port = local.port }]
  network_policy = {
    pod_selector = local.server_selector
    ports        = [local.port]
  }
}

resource "kubectl_manifest" "env" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata   = { name = local.env_secret, namespace = module.common.namespace, labels = module.common.labels }
    # base64 in data (not stringData): the provider masks a Secret's data.
    data = { for k, v in local.secret_env : k => base64encode(v) }
  })
  depends_on = [module.common]
}

resource "kubectl_manifest" "server" {
  server_side_apply = true
  # The first start and every upgrade migrate the database first, for
  # minutes: the apply does not wait for it.
  wait_for_rollout = false
  yaml_body = yamlencode({
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = "${local.name}-server", namespace = module.common.namespace, labels = merge(module.common.labels, local.server_selector) }
    spec = {
      replicas = 1
      # Never two servers: each runs the upgrade at start, and a small pool
      # has no room for a surge pod.
      strategy = { type = "Recreate" }
      selector = { matchLabels = local.server_selector }
      template = {
        # No checksum of the Secret here: generated passwords are unknown at
        # the first plan, which would hide the whole Deployment from the
        # plan checks. After a secret changes: kubectl rollout restart.
        metadata = { labels = merge(module.common.labels, local.server_selector) }
        spec = {
          automountServiceAccountToken = false
          # Service variables (e.g. TWENTY_PORT) must not mix with Twenty's own.
          enableServiceLinks            = false
          terminationGracePeriodSeconds = 60
          securityContext               = local.pod_security_context
          containers = [{
            name  = "server"
            image = var.image
            # The image's entrypoint migrates (yarn command:prod upgrade) and
            # registers the cron jobs, then starts the server.
            env = concat(local.common_env, [
              { name = "NODE_PORT", value = tostring(local.port) },
              { name = "DISABLE_DB_MIGRATIONS", value = "false" },
              { name = "DISABLE_CRON_JOBS_REGISTRATION", value = "false" },
            ])
            envFrom = [{ secretRef = { name = local.env_secret } }]
            ports   = [{ name = "http", containerPort = local.port }]
            # Port 3000 opens only after the migrations: up to 15 minutes.
            startupProbe   = { httpGet = { path = "/healthz", port = "http" }, periodSeconds = 10, timeoutSeconds = 5, failureThreshold = 90 }
            readinessProbe = { httpGet = { path = "/healthz", port = "http" }, periodSeconds = 10, timeoutSeconds = 5, failureThreshold = 3 }
            livenessProbe  = { httpGet = { path = "/healthz", port = "http" }, periodSeconds = 20, timeoutSeconds = 5, failureThreshold = 6 }
            resources = {
              requests = var.resources.server.requests
              limits   = var.resources.server.limits
            }
            securityContext = local.container_security_context
          }]
        }
      }
    }
  })
  depends_on = [kubectl_manifest.env]
}

resource "kubectl_manifest" "worker" {
  server_side_apply = true
  wait_for_rollout  = false
  yaml_body = yamlencode({
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = "${local.name}-worker", namespace = module.common.namespace, labels = merge(module.common.labels, local.worker_selector) }
    spec = {
      replicas = 1
      strategy = { type = "Recreate" }
      selector = { matchLabels = local.worker_selector }
      template = {
        metadata = { labels = merge(module.common.labels, local.worker_selector) }
        spec = {
          automountServiceAccountToken  = false
          enableServiceLinks            = false
          terminationGracePeriodSeconds = 60
          securityContext               = local.pod_security_context
          # Twenty's compose starts the worker once the server is healthy,
          # i.e. once the schema is migrated.
          initContainers = [{
            name    = "wait-for-server"
            image   = var.image
            command = ["sh", "-c", "until curl -fsS -o /dev/null --max-time 5 http://${local.name}:${local.port}/healthz; do echo waiting for the server; sleep 5; done"]
            resources = {
              requests = { cpu = "10m", memory = "16Mi" }
              limits   = { memory = "64Mi" }
            }
            securityContext = local.container_security_context
          }]
          containers = [{
            name  = "worker"
            image = var.image
            # args, not command: the entrypoint stays, and with both switches
            # below it only execs the worker (no migration, no cron
            # registration, no cache flush).
            args = ["yarn", "worker:prod"]
            env = concat(local.common_env, [
              { name = "DISABLE_DB_MIGRATIONS", value = "true" },
              { name = "DISABLE_CRON_JOBS_REGISTRATION", value = "true" },
            ])
            envFrom = [{ secretRef = { name = local.env_secret } }]
            # No port, so no readiness: nothing routes to the worker.
            livenessProbe = {
              exec                = { command = ["sh", "-c", local.worker_liveness] }
              initialDelaySeconds = 60
              periodSeconds       = 30
              timeoutSeconds      = 5
              failureThreshold    = 4
            }
            resources = {
              requests = var.resources.worker.requests
              limits   = var.resources.worker.limits
            }
            securityContext = local.container_security_context
          }]
        }
      }
    }
  })
  depends_on = [kubectl_manifest.env]
}

resource "kubectl_manifest" "service" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = local.name, namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      selector = local.server_selector
      ports    = [{ name = "http", port = local.port, targetPort = "http" }]
    }
  })
  depends_on = [module.common]
}
