locals {
  name = "valkey"
  labels = {
    "app.kubernetes.io/name"       = local.name
    "app.kubernetes.io/part-of"    = "data"
    "app.kubernetes.io/managed-by" = "opentofu"
  }
  # Valkey's config syntax: a double-quoted string where \ and " are
  # escaped; the variable's validation excludes control characters.
  quoted_password = "\"${replace(replace(var.password, "\\", "\\\\"), "\"", "\\\"")}\""
  config = join("\n", [
    "bind * -::*",
    "port 6379",
    "dir /data",
    "requirepass ${local.quoted_password}",
    "maxmemory ${var.maxmemory_mb}mb",
    # Queues (the CRM's BullMQ) must not lose keys: refuse writes instead.
    "maxmemory-policy noeviction",
    "appendonly yes",
    "appendfsync everysec",
    "save 900 1 300 100 60 10000",
    "",
  ])
  config_hash = nonsensitive(substr(sha256(local.config), 0, 10))
}

resource "kubectl_manifest" "config" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = "${local.name}-config", namespace = var.namespace, labels = local.labels }
    type       = "Opaque"
    data = {
      "valkey.conf" = base64encode(local.config)
      password      = base64encode(var.password)
    }
  })
}

resource "kubectl_manifest" "service" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = local.name, namespace = var.namespace, labels = local.labels }
    spec = {
      selector = { "app.kubernetes.io/name" = local.name }
      ports    = [{ name = "valkey", port = 6379, targetPort = "valkey" }]
    }
  })
}

resource "kubectl_manifest" "headless" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = "${local.name}-headless", namespace = var.namespace, labels = local.labels }
    spec = {
      clusterIP = "None"
      selector  = { "app.kubernetes.io/name" = local.name }
      ports     = [{ name = "valkey", port = 6379, targetPort = "valkey" }]
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
          labels      = local.labels
          annotations = { "fullfrontend.be/config-hash" = local.config_hash }
        }
        spec = {
          securityContext = {
            runAsNonRoot        = true
            runAsUser           = 999 # valkey in the official image
            runAsGroup          = 999
            fsGroup             = 999
            fsGroupChangePolicy = "OnRootMismatch"
            seccompProfile      = { type = "RuntimeDefault" }
          }
          containers = [{
            name  = "valkey"
            image = var.image
            # The config file comes from a Secret: the password is never
            # on a command line.
            command = ["valkey-server", "/etc/valkey/valkey.conf"]
            ports   = [{ name = "valkey", containerPort = 6379 }]
            env = [
              { name = "REDISCLI_AUTH", valueFrom = { secretKeyRef = { name = "${local.name}-config", key = "password" } } },
            ]
            readinessProbe = {
              exec                = { command = ["sh", "-c", "valkey-cli -h 127.0.0.1 ping | grep -q PONG"] }
              periodSeconds       = 10
              timeoutSeconds      = 5
              initialDelaySeconds = 5
            }
            livenessProbe = {
              tcpSocket           = { port = "valkey" }
              periodSeconds       = 20
              timeoutSeconds      = 5
              failureThreshold    = 6
              initialDelaySeconds = 30
            }
            resources = {
              requests = { cpu = "50m", memory = "${var.maxmemory_mb + 32}Mi" }
              limits   = { memory = "${var.maxmemory_mb * 2 + 64}Mi" }
            }
            securityContext = {
              allowPrivilegeEscalation = false
              readOnlyRootFilesystem   = true
              capabilities             = { drop = ["ALL"] }
            }
            volumeMounts = [
              { name = "data", mountPath = "/data" },
              { name = "config", mountPath = "/etc/valkey", readOnly = true },
            ]
          }]
          volumes = [{ name = "config", secret = { secretName = "${local.name}-config", items = [{ key = "valkey.conf", path = "valkey.conf" }] } }]
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
  depends_on = [kubectl_manifest.config, kubectl_manifest.headless]
}

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
        from  = [{ namespaceSelector = { matchLabels = { (var.apps_tier_label.key) = var.apps_tier_label.value } } }]
        ports = [{ protocol = "TCP", port = 6379 }]
      }]
    }
  })
}
