locals {
  release  = "zot"
  pvc_name = "zot-data"
  # Null and empty (or blank) mean the same thing: no accounts.
  htpasswd = var.htpasswd == null ? "" : trimspace(var.htpasswd)
  # Whether accounts exist, and a digest of the bcrypt hashes, reveal no
  # password: unmarked, they keep the Helm values readable in plans.
  has_accounts    = nonsensitive(local.htpasswd != "")
  htpasswd_digest = nonsensitive(sha256(local.htpasswd))
  auth_mode       = local.has_accounts ? "htpasswd" : "anonymous-read-only"

  # Secret name and mount path of the htpasswd file; the Secret is ours, not
  # the chart's (see below).
  htpasswd_secret = "zot-htpasswd"
  htpasswd_dir    = "/secret/htpasswd"

  # Who may do what. Zot accepts an accessControl section without any
  # authentication only when it holds nothing but anonymousPolicy entries:
  # without accounts the registry is therefore read-only for everybody, and
  # nobody can push. With accounts and no accessControl, every account has
  # full rights and anonymous requests get 401; anonymous_pull adds read
  # access for anonymous clients while keeping writes for accounts.
  access_control = (
    !local.has_accounts ? {
      repositories = { "**" = { anonymousPolicy = ["read"] } }
    } :
    var.anonymous_pull ? {
      repositories = { "**" = { anonymousPolicy = ["read"], defaultPolicy = ["read", "create", "update", "delete"] } }
    } : null
  )

  zot_config = {
    storage = {
      rootDirectory = "/var/lib/registry"
      dedupe        = true
      gc            = true
    }
    http = merge(
      {
        address = "0.0.0.0"
        port    = "5000"
        realm   = "zot"
      },
      !local.has_accounts ? {} : {
        # failDelay slows down password guessing through the public ingress.
        auth = { htpasswd = { path = "${local.htpasswd_dir}/htpasswd" }, failDelay = 5 }
      },
      local.access_control == null ? {} : { accessControl = local.access_control },
    )
    log = { level = "info" }
  }
}

# Namespace, PVC, NetworkPolicy and Velero Schedule registry-daily (the
# registry's namespace and PVC through kopia into the backup bucket). Zot
# runs as a non-root user with every capability dropped, so the namespace
# enforces the restricted Pod Security Standard. Only the ingress controller
# reaches the registry (and pods of its own namespace): nodes pull images
# through the public ingress like any client.
module "common" {
  source       = "../../app-common"
  app          = var.app
  platform     = var.platform
  pod_security = "restricted"
  # Our own claim rather than the chart's volumeClaimTemplate, which is
  # immutable: this one grows by changing storage_size.
  volumes = { (local.pvc_name) = { size = var.storage_size } }
  network_policy = {
    pod_selector = { "app.kubernetes.io/instance" = local.release }
    ports        = [5000]
  }
}

# The htpasswd file, only when accounts are given. It is mounted through the
# chart's externalSecrets: the chart's own Secret (mountSecret), whose default
# content is the sample admin:admin and user:user accounts, is never rendered.
resource "kubectl_manifest" "htpasswd" {
  count             = local.has_accounts ? 1 : 0
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata = {
      name      = local.htpasswd_secret
      namespace = module.common.namespace
      labels    = module.common.labels
    }
    # base64 in data (not stringData): the provider masks a Secret's data
    # in plans and diffs.
    data = { htpasswd = base64encode("${local.htpasswd}\n") }
  })
  depends_on = [module.common]
}

resource "helm_release" "zot" {
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = local.release
  namespace       = module.common.namespace
  repository      = var.chart.repository
  chart           = var.chart.chart
  version         = var.chart.version
  max_history     = 5

  values = [yamlencode({
    # Behind the ingress only: the chart's default NodePort would open a port
    # on every node.
    service = { type = "ClusterIP", port = 5000 }

    ingress = {
      enabled     = true
      className   = module.common.ingress_class_name
      annotations = module.common.ingress_annotations
      pathtype    = "Prefix"
      hosts       = [{ host = var.app.host, paths = [{ path = "/" }] }]
      tls         = module.common.ingress_tls
    }

    # StatefulSet on our PVC (pvc.create = false mounts the claim by name).
    persistence = true
    pvc         = { create = false, name = local.pvc_name }

    # Our configuration replaces the image's built-in one (debug logging, no
    # access control).
    mountConfig = true
    configFiles = { "config.json" = jsonencode(local.zot_config) }

    # Never the chart's sample users: its Secret stays unrendered.
    mountSecret = false
    externalSecrets = !local.has_accounts ? [] : [
      { secretName = local.htpasswd_secret, mountPath = local.htpasswd_dir }
    ]
    # Rolls the pod when the accounts change (Zot reads the file at start).
    podAnnotations = !local.has_accounts ? {} : { "checksum/htpasswd" = local.htpasswd_digest }

    # The templates read resources, podSecurityContext and securityContext
    # (deployment.yaml, statefulset.yaml) although values.yaml does not list
    # them. UID 1000 owns nothing in the image; fsGroup makes the volume
    # writable.
    resources = var.resources
    podSecurityContext = {
      runAsNonRoot   = true
      runAsUser      = 1000
      runAsGroup     = 1000
      fsGroup        = 1000
      seccompProfile = { type = "RuntimeDefault" }
    }
    securityContext = {
      allowPrivilegeEscalation = false
      capabilities             = { drop = ["ALL"] }
    }
  })]

  depends_on = [module.common, kubectl_manifest.htpasswd]
}
