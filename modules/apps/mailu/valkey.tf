# Mailu's own Valkey: its Redis clients (admin's rate limits and quota
# cache, rspamd's statistics) take no password, so the shared Valkey in data
# (password required) cannot serve them. Reachable from this namespace only;
# its data is a cache that Mailu rebuilds (rspamd's learned statistics start
# over after a restart).
resource "kubectl_manifest" "valkey" {
  for_each          = { deployment = "Deployment", service = "Service", policy = "NetworkPolicy" }
  server_side_apply = true
  wait              = false
  yaml_body = yamlencode({
    Deployment = {
      apiVersion = "apps/v1"
      kind       = "Deployment"
      metadata   = { name = local.valkey, namespace = module.common.namespace, labels = module.common.labels }
      spec = {
        replicas = 1
        selector = { matchLabels = { "app.kubernetes.io/name" = local.valkey } }
        template = {
          metadata = { labels = merge(module.common.labels, { "app.kubernetes.io/name" = local.valkey }) }
          spec = {
            securityContext = { runAsNonRoot = true, runAsUser = 999, runAsGroup = 999, fsGroup = 999, seccompProfile = { type = "RuntimeDefault" } }
            containers = [{
              name  = "valkey"
              image = var.valkey_image
              # A cache: no snapshots, bounded, least recently used out first.
              args      = ["--save", "", "--appendonly", "no", "--maxmemory", "48mb", "--maxmemory-policy", "allkeys-lru"]
              ports     = [{ name = "valkey", containerPort = 6379 }]
              resources = local.resources.valkey
              securityContext = {
                allowPrivilegeEscalation = false
                readOnlyRootFilesystem   = true
                capabilities             = { drop = ["ALL"] }
              }
              readinessProbe = { exec = { command = ["valkey-cli", "ping"] }, periodSeconds = 10 }
              livenessProbe  = { tcpSocket = { port = "valkey" }, periodSeconds = 20, failureThreshold = 3 }
              volumeMounts   = [{ name = "data", mountPath = "/data" }]
            }]
            volumes = [{ name = "data", emptyDir = { sizeLimit = "64Mi" } }]
          }
        }
      }
    }
    Service = {
      apiVersion = "v1"
      kind       = "Service"
      metadata   = { name = local.valkey, namespace = module.common.namespace, labels = module.common.labels }
      spec = {
        selector = { "app.kubernetes.io/name" = local.valkey }
        ports    = [{ name = "valkey", port = 6379, targetPort = "valkey" }]
      }
    }
    NetworkPolicy = {
      apiVersion = "networking.k8s.io/v1"
      kind       = "NetworkPolicy"
      metadata   = { name = local.valkey, namespace = module.common.namespace, labels = module.common.labels }
      spec = {
        podSelector = { matchLabels = { "app.kubernetes.io/name" = local.valkey } }
        policyTypes = ["Ingress"]
        ingress     = [{ from = [{ podSelector = {} }], ports = [{ port = 6379, protocol = "TCP" }] }]
      }
    }
  }[each.value])
  depends_on = [module.common]
}
