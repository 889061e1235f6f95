locals {
  release  = "zot"
  pvc_name = "zot-data"
  tls      = var.cluster_issuer != null
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

  ingress_annotations = merge(
    local.tls ? { "cert-manager.io/cluster-issuer" = var.cluster_issuer } : {},
    var.dns_ttl == null ? {} : { "external-dns.alpha.kubernetes.io/ttl" = tostring(var.dns_ttl) },
  )

  common_labels = {
    "app.kubernetes.io/part-of"    = "registry"
    "app.kubernetes.io/managed-by" = "opentofu"
  }
}

# The app's own namespace, in the apps tier. Zot runs as a non-root user
# with every capability dropped, so the namespace enforces the restricted
# Pod Security Standard.
resource "kubectl_manifest" "namespace" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Namespace"
    metadata = {
      name = var.namespace
      labels = {
        (var.apps_tier_label.key)                    = var.apps_tier_label.value
        "pod-security.kubernetes.io/enforce"         = "restricted"
        "pod-security.kubernetes.io/enforce-version" = "latest"
        "pod-security.kubernetes.io/warn"            = "restricted"
        "pod-security.kubernetes.io/audit"           = "restricted"
      }
    }
  })
}

# Our own PVC rather than the chart's volumeClaimTemplate: a StatefulSet's
# claim templates are immutable, so growing the volume through the chart
# would need the StatefulSet deleted; this claim grows by changing
# storage_size (DigitalOcean volumes expand online).
resource "kubectl_manifest" "pvc" {
  server_side_apply = true
  wait              = false
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "PersistentVolumeClaim"
    metadata = {
      name      = local.pvc_name
      namespace = var.namespace
      labels    = local.common_labels
    }
    spec = merge(
      {
        accessModes = ["ReadWriteOnce"]
        resources   = { requests = { storage = var.storage_size } }
      },
      var.storage_class_name == null ? {} : { storageClassName = var.storage_class_name },
    )
  })
  depends_on = [kubectl_manifest.namespace]
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
      namespace = var.namespace
      labels    = local.common_labels
    }
    # base64 in data (not stringData): the provider masks a Secret's data
    # in plans and diffs.
    data = { htpasswd = base64encode("${local.htpasswd}\n") }
  })
  depends_on = [kubectl_manifest.namespace]
}

# Only the ingress controller reaches the registry (and pods of its own
# namespace); nothing else in the cluster needs it: nodes pull images through
# the public ingress like any client.
resource "kubectl_manifest" "network_policy" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata = {
      name      = "zot-ingress"
      namespace = var.namespace
      labels    = local.common_labels
    }
    spec = {
      podSelector = { matchLabels = { "app.kubernetes.io/instance" = local.release } }
      policyTypes = ["Ingress"]
      ingress = [{
        from = [
          { namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = var.ingress_from_namespace } } },
          { podSelector = {} },
        ]
        ports = [{ protocol = "TCP", port = 5000 }]
      }]
    }
  })
  depends_on = [kubectl_manifest.namespace]
}

resource "helm_release" "zot" {
  name        = local.release
  namespace   = var.namespace
  repository  = var.chart.repository
  chart       = var.chart.chart
  version     = var.chart.version
  max_history = 5

  values = [yamlencode({
    # Behind the ingress only: the chart's default NodePort would open a port
    # on every node.
    service = { type = "ClusterIP", port = 5000 }

    ingress = {
      enabled     = true
      className   = var.ingress_class_name
      annotations = local.ingress_annotations
      pathtype    = "Prefix"
      hosts       = [{ host = var.host, paths = [{ path = "/" }] }]
      tls         = local.tls ? [{ secretName = "registry-tls", hosts = [var.host] }] : []
    }

    # StatefulSet on our PVC (pvc.create = false mounts the claim by name).
    persistence = true
    pvc         = { create = false, name = local.pvc_name }

    # Our configuration replaces the image's built-in one (debug logging, no
    # access control).
    mountConfig = true
    configFiles = { "config.json" = jsonencode(local.zot_config) }

    # Never the chart's sample users: its Secret stays unrendered
    # (mountSecret = false) and its sample file is blanked so that the hashes
    # are not even kept in the release's values.
    mountSecret = false
    secretFiles = { htpasswd = "" }
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

  depends_on = [
    kubectl_manifest.namespace,
    kubectl_manifest.pvc,
    kubectl_manifest.htpasswd,
  ]
}

# The registry's own daily backup (namespace and PVC through kopia into the
# backup bucket), beside the platform's.
module "backup" {
  source              = "../../velero-schedule"
  name                = "${var.namespace}-daily"
  included_namespaces = [var.namespace]
  velero_namespace    = var.velero_namespace
}
