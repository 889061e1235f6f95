locals {
  # Release n8n: the chart's fullname is then n8n, so its Service is
  # n8n-main and its ConfigMap n8n (templates/_helpers.tpl, service-main.yaml).
  release = "n8n"
  service = "${local.release}-main"
  port    = 5678

  pvc_name    = "n8n-data"
  secret_name = "n8n-secrets"

  # TLS is terminated by Traefik; N8N_PROTOCOL only shapes the URLs n8n
  # builds (it serves https itself only with N8N_SSL_KEY and N8N_SSL_CERT).
  scheme       = var.platform.ingress.tls ? "https" : "http"
  editor_url   = "${local.scheme}://${var.app.host}"
  webhook_host = var.app.hosts["webhook"]
  webhook_url  = "${local.scheme}://${local.webhook_host}/"

  # What n8n serves under WEBHOOK_URL (endpoints.config.ts: webhook, form and
  # MCP endpoints, production, test and waiting), and nothing else: the
  # editor, /rest and the public API stay on the editor host. The trailing
  # slash keeps /webhook/ from also matching /webhook-test wherever a Prefix
  # path is matched as a plain string prefix (Traefik's PathPrefix).
  webhook_paths = [
    "/webhook/", "/webhook-test/", "/webhook-waiting/",
    "/form/", "/form-test/", "/form-waiting/",
    "/mcp/", "/mcp-test/",
  ]

  routes = concat(
    [{ host = "", path = "/", service = local.service, port = local.port }],
    [for p in local.webhook_paths : { host = "webhook", path = p, service = local.service, port = local.port }],
  )

  # The database's non-secret half goes to the chart's ConfigMap (that is
  # how the chart renders DB_POSTGRESDB_HOST, PORT, DATABASE and USER); the
  # password stays in the Secret n8n-postgres. Unmarked so that the Helm
  # values stay readable in plans: none of them is a secret.
  db = {
    host     = nonsensitive(var.database.host)
    port     = nonsensitive(var.database.port)
    database = nonsensitive(var.database.database)
    user     = nonsensitive(var.database.user)
  }

  # The chart reads these four keys from secretRefs.existingSecret
  # (_environment-helpers.tpl, n8n.coreSecretsEnv).
  core_env = {
    N8N_ENCRYPTION_KEY = var.encryption_key
    N8N_HOST           = var.app.host
    N8N_PORT           = tostring(local.port)
    N8N_PROTOCOL       = local.scheme
  }
  # Rolls the pod when the host or protocol changes (n8n reads its env at
  # start). The key is left out: it never changes, and a generated one is
  # unknown at the first plan, which would hide all the Helm values from the
  # offline checks.
  core_env_digest = sha256(jsonencode({ for k, v in local.core_env : k => v if k != "N8N_ENCRYPTION_KEY" }))

  # Set here rather than through the chart's webhook.url or ingress: from
  # those the chart derives N8N_EDITOR_BASE_URL as https://<first host> or
  # as the webhook URL itself, wrong in dev and wrong for a separate
  # webhook host.
  extra_env = [for k, v in {
    N8N_EDITOR_BASE_URL = local.editor_url
    WEBHOOK_URL         = local.webhook_url
    # Traefik is the one proxy in front: n8n then trusts its
    # X-Forwarded-For and X-Forwarded-Proto, and no further hop.
    N8N_PROXY_HOPS = "1"
    # Executions' binary data on the PVC instead of in memory (S3 mode is
    # an enterprise feature).
    N8N_DEFAULT_BINARY_DATA_MODE = "filesystem"
    GENERIC_TIMEZONE             = var.timezone
    # Browsers drop a Secure cookie over plain http: dev has no TLS.
    N8N_SECURE_COOKIE                 = var.platform.ingress.tls ? "true" : "false"
    N8N_DIAGNOSTICS_ENABLED           = "false"
    N8N_VERSION_NOTIFICATIONS_ENABLED = "false"
  } : { name = k, value = v }]
}

# Namespace (restricted Pod Security: the image runs as node, uid 1000), the
# PVC, the NetworkPolicy, our Ingress for both hosts (TLS for both in prod),
# the Secret n8n-postgres and the Velero Schedule n8n-daily.
module "common" {
  source       = "../../app-common"
  app          = var.app
  platform     = var.platform
  database     = var.database
  pod_security = "restricted"
  # Our claim, mounted as the chart's existingClaim: it grows with
  # storage_size and Velero backs it up with the namespace.
  volumes = { (local.pvc_name) = { size = var.storage_size } }
  # The whole app on n8n.<root>; on webhook.<root> only what n8n serves
  # under WEBHOOK_URL, so the editor and its API are not published there.
  routes = local.routes
  network_policy = {
    pod_selector = { "app.kubernetes.io/name" = "n8n", "app.kubernetes.io/instance" = local.release }
    ports        = [local.port]
  }
}

# Our own Secret, named by the chart's secretRefs.existingSecret: the chart's
# Secret (secretRefs.env in the Helm values) is never rendered, so the key is
# never in the release.
resource "kubectl_manifest" "core_secrets" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata = {
      name      = local.secret_name
      namespace = module.common.namespace
      labels    = module.common.labels
    }
    # base64 in data (not stringData): the provider masks a Secret's data in
    # plans and diffs.
    data = { for k, v in local.core_env : k => base64encode(v) }
  })
  depends_on = [module.common]
}

resource "helm_release" "n8n" {
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = local.release
  namespace       = module.common.namespace
  repository      = var.chart.repository
  chart           = var.chart.chart
  version         = var.chart.version
  max_history     = 5
  # The first start runs every database migration before /healthz answers
  # (the chart's startupProbe allows 300 s).
  timeout = 600

  values = [
    yamlencode({
      # An exact release: the chart's appVersion and default tag are the
      # moving "stable".
      image = { repository = "docker.n8n.io/n8nio/n8n", tag = var.image_tag, pullPolicy = "IfNotPresent" }

      commonLabels = { "app.kubernetes.io/part-of" = var.app.name }

      # Regular mode: one main pod runs the editor, the webhooks and the
      # executions; no workers, no webhook processors (and so no Redis: the
      # chart reads redis.* in queue mode only).
      queueMode        = { enabled = false }
      multiMain        = { enabled = false }
      webhookProcessor = { enabled = false }
      # Code nodes run in n8n's internal task runner (no sidecar image).
      taskRunners = { enabled = false }
      # Binary data on the PVC: S3 binary storage needs an enterprise licence.
      s3      = { enabled = false }
      license = { enabled = false }

      replicaCount = 1
      # One pod at a time: the PVC mounts on one node only.
      strategy = { type = "Recreate" }
      # A PDB with minAvailable 1 on a single pod would block every node drain.
      pdb = { enabled = false }

      service = { type = "ClusterIP", port = local.port }
      # Our Ingress (app-common routes) publishes the two hosts with their own
      # paths and TLS.
      ingress = { enabled = false }

      # The chart mounts the claim at /home/node/.n8n (deployment-main.yaml).
      persistence = { enabled = true, existingClaim = local.pvc_name }

      # With existingSecret, the chart never renders secretRefs.env.
      secretRefs = { existingSecret = local.secret_name }

      # webhook.url stays empty: WEBHOOK_URL and N8N_EDITOR_BASE_URL come from
      # config.extraEnv (see local.extra_env).
      webhook = { enabled = true, url = "" }

      executions = {
        pruning = {
          enabled  = true
          maxAge   = var.execution_retention_hours
          maxCount = var.execution_max_count
        }
      }

      config = {
        timezone = var.timezone
        extraEnv = local.extra_env
      }

      podAnnotations = { "checksum/core-secrets" = local.core_env_digest }

      # null drops the chart's default CPU limit of 1 (helm merges our
      # resources into its defaults): throttling slows executions and protects
      # nothing.
      resources = { main = { requests = var.resources.requests, limits = { memory = var.resources.limits.memory, cpu = null } } }

      # Rendered as the pod securityContext with runAsNonRoot and the
      # RuntimeDefault seccomp profile; the container drops every capability
      # (deployment-main.yaml). uid 1000 is the image's node user.
      securityContext = { enabled = true, runAsUser = 1000, runAsGroup = 1000, fsGroup = 1000 }

      # n8n never calls the Kubernetes API: no Role, no token in the pod.
      rbac           = { create = false }
      serviceAccount = { create = true, name = "n8n", automountServiceAccountToken = false }
      # app-common's NetworkPolicy admits Traefik and the namespace only.
      networkPolicy = { enabled = false }

      probes = {
        liveness  = { enabled = true, path = "/healthz" }
        readiness = { enabled = true, path = "/healthz/readiness" }
      }
    }),
    # A document of its own: the stack's database object is unknown until
    # its generated password exists (first plan), and an unknown document
    # escapes the offline checks; this keeps the one above checked.
    yamlencode({
      database = {
        type           = "postgresdb"
        useExternal    = true
        host           = local.db.host
        port           = local.db.port
        database       = local.db.database
        user           = local.db.user
        schema         = "public"
        passwordSecret = { name = module.common.database_secret, key = "password" }
        ssl            = { enabled = false }
      }
    }),
  ]

  depends_on = [module.common, kubectl_manifest.core_secrets]
}
