# cert-manager and Let's Encrypt, prod only (seed: no cert-manager in dev).
locals {
  issuers = var.is_prod ? {
    letsencrypt-staging = "https://acme-staging-v02.api.letsencrypt.org/directory"
    letsencrypt-prod    = "https://acme-v02.api.letsencrypt.org/directory"
  } : {}
  cluster_issuer = var.is_prod ? "letsencrypt-prod" : null
  small = {
    requests = { cpu = "10m", memory = "32Mi" }
    limits   = { memory = "128Mi" }
  }
}

resource "helm_release" "cert_manager" {
  count           = var.is_prod ? 1 : 0
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = "cert-manager"
  namespace       = "infra"
  repository      = var.charts["cert-manager"].repository
  chart           = var.charts["cert-manager"].chart
  version         = var.charts["cert-manager"].version
  depends_on      = [kubectl_manifest.namespace]

  values = [yamlencode({
    crds = { enabled = true, keep = true }
    resources = {
      requests = { cpu = "20m", memory = "64Mi" }
      limits   = { memory = "256Mi" }
    }
    webhook = { resources = local.small }
    # cainjector caches every CRD and webhook configuration: 163 Mi seen
    # on a small cluster (docs/capacity.md).
    cainjector      = { resources = { requests = { cpu = "10m", memory = "192Mi" }, limits = { memory = "384Mi" } } }
    startupapicheck = { resources = local.small }
  })]
}

# The DigitalOcean token of the DNS-01 solver lives in cert-manager's
# cluster resource namespace (its release namespace, infra).
resource "kubectl_manifest" "digitalocean_dns_token" {
  for_each          = var.is_prod ? toset(["cert-manager", "external-dns"]) : toset([])
  server_side_apply = true
  sensitive_fields  = ["data"]
  depends_on        = [kubectl_manifest.namespace]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata   = { name = "${each.key}-digitalocean", namespace = "infra" }
    data       = { "access-token" = base64encode(var.do_token) }
  })
}

# HTTP-01 through Traefik for ordinary names; DNS-01 through DigitalOcean
# for wildcards, which HTTP-01 cannot prove.
resource "kubectl_manifest" "cluster_issuer" {
  for_each          = local.issuers
  server_side_apply = true
  depends_on        = [helm_release.cert_manager, kubectl_manifest.digitalocean_dns_token]
  yaml_body = yamlencode({
    apiVersion = "cert-manager.io/v1"
    kind       = "ClusterIssuer"
    metadata   = { name = each.key }
    spec = {
      acme = {
        server              = each.value
        email               = var.acme_email
        privateKeySecretRef = { name = "${each.key}-account-key" }
        solvers = [
          {
            selector = { dnsNames = ["*.${var.root_domain}"] }
            dns01 = {
              digitalocean = { tokenSecretRef = { name = "cert-manager-digitalocean", key = "access-token" } }
            }
          },
          {
            http01 = { ingress = { ingressClassName = local.ingress_class_name } }
          },
        ]
      }
    }
  })
}
