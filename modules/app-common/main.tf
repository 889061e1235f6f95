# What every app module of the platform has (docs/add-application.md): its
# own apps-tier namespace, its PVCs, a NetworkPolicy that admits Traefik,
# an ingress with TLS in prod only, and its Velero Schedule <app>-daily.
# The app module adds only its workload.
locals {
  ns      = var.app.namespace
  ingress = var.platform.ingress
  labels = {
    "app.kubernetes.io/part-of"    = var.app.name
    "app.kubernetes.io/managed-by" = "opentofu"
  }
  hosts = merge(var.app.hosts, { "" = var.app.host })

  # For a chart that renders its own Ingress, and for ours: cert-manager
  # issues <app>-tls for every host of the app (prod only).
  database_secret = var.app.database == null ? null : "${var.app.name}-${var.app.database}"

  tls_secret  = "${var.app.name}-tls"
  tls_hosts   = length(var.routes) > 0 ? distinct([for r in var.routes : lookup(local.hosts, r.host, var.app.host)]) : [var.app.host]
  ingress_tls = local.ingress.tls ? [{ secretName = local.tls_secret, hosts = local.tls_hosts }] : []
}

resource "kubectl_manifest" "namespace" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Namespace"
    metadata = {
      name = local.ns
      labels = {
        # The data tier's NetworkPolicies admit only apps-tier namespaces.
        (var.platform.apps_tier_label.key)           = var.platform.apps_tier_label.value
        "pod-security.kubernetes.io/enforce"         = var.pod_security
        "pod-security.kubernetes.io/enforce-version" = "latest"
        "pod-security.kubernetes.io/warn"            = "restricted"
        "pod-security.kubernetes.io/audit"           = "restricted"
      }
    }
  })
}

resource "kubectl_manifest" "pvc" {
  for_each          = var.volumes
  server_side_apply = true
  wait              = false
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "PersistentVolumeClaim"
    metadata   = { name = each.key, namespace = local.ns, labels = local.labels }
    spec = merge(
      {
        accessModes = [each.value.access_mode]
        resources   = { requests = { storage = each.value.size } }
      },
      var.platform.storage_class == null ? {} : { storageClassName = var.platform.storage_class },
    )
  })
  depends_on = [kubectl_manifest.namespace]
}

resource "kubectl_manifest" "network_policy" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata   = { name = "${var.app.name}-ingress", namespace = local.ns, labels = local.labels }
    spec = {
      podSelector = { matchLabels = var.network_policy.pod_selector }
      policyTypes = ["Ingress"]
      ingress = [{
        from = concat(
          # Traefik's pods, not its whole namespace (infra also runs the
          # operators, Velero and the exporters).
          [{
            namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = local.ingress.namespace } }
            podSelector       = { matchLabels = local.ingress.pod_labels }
          }],
          [for n in var.network_policy.from_namespaces :
          { namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = n } } }],
          var.network_policy.own_namespace ? [{ podSelector = {} }] : [],
        )
        ports = [for p in var.network_policy.ports : { protocol = "TCP", port = p }]
      }]
    }
  })
  depends_on = [kubectl_manifest.namespace]
}

# The app's database credentials, in its own namespace (the database module
# creates the database and user from the same values, in data). Written
# here so that the namespace exists first.
resource "kubectl_manifest" "database" {
  count             = var.app.database == null ? 0 : 1
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata = {
      name      = local.database_secret
      namespace = local.ns
      labels    = local.labels
    }
    data = { for k, v in {
      host     = var.database.host
      port     = tostring(var.database.port)
      database = var.database.database
      username = var.database.user
      password = var.database.password
    } : k => base64encode(v) }
  })
  lifecycle {
    precondition {
      condition     = var.database != null
      error_message = "${var.app.name}: apps.yaml gives it database ${var.app.database}, but its module call passes no database: add database = lookup(local.app_databases, \"${var.app.name}\", null) to module \"${var.app.name}\" in stacks/platform/apps.tf."
    }
  }
  depends_on = [kubectl_manifest.namespace]
}

# Our own Ingress, for apps without a chart. One rule per host, the routes
# of that host as its paths.
resource "kubectl_manifest" "ingress" {
  count             = length(var.routes) > 0 ? 1 : 0
  server_side_apply = true
  wait              = false
  yaml_body = yamlencode({
    apiVersion = "networking.k8s.io/v1"
    kind       = "Ingress"
    metadata = {
      name        = var.app.name
      namespace   = local.ns
      labels      = local.labels
      annotations = merge(local.ingress.annotations, var.ingress_annotations)
    }
    spec = merge(
      {
        ingressClassName = local.ingress.class_name
        rules = [for h in distinct([for r in var.routes : r.host]) : {
          host = lookup(local.hosts, h, var.app.host)
          http = { paths = [for r in var.routes : {
            path     = r.path
            pathType = "Prefix"
            backend  = { service = { name = r.service, port = { number = r.port } } }
          } if r.host == h] }
        }]
      },
      local.ingress.tls ? { tls = local.ingress_tls } : {},
    )
  })
  lifecycle {
    precondition {
      condition     = alltrue([for r in var.routes : contains(keys(local.hosts), r.host)])
      error_message = "routes: host must be \"\" (the app's host${length(var.app.hosts) == 0 ? "; the app has no other host in apps.yaml" : ") or one of the app's other hosts (${join(", ", keys(var.app.hosts))}"})."
    }
  }
  depends_on = [kubectl_manifest.namespace]
}

# The app's own daily backup: its namespace and PVCs through kopia into the
# backup bucket (seed: WordPress's wordpress-daily), beside the platform's.
module "backup" {
  source              = "../velero-schedule"
  name                = "${var.app.name}-daily"
  included_namespaces = [local.ns]
  velero_namespace    = var.platform.velero_namespace
}
