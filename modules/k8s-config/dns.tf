# external-dns for DigitalOcean DNS, prod only. The chart's 1.21 line ships
# external-dns 0.21, which removed the in-tree DigitalOcean provider; the
# image stays on v0.20.0, the last release with it (see README.md: why not
# the community webhook, and when to move).
locals {
  # renovate: datasource=docker depName=registry.k8s.io/external-dns/external-dns
  external_dns_image_tag = "v0.20.0"
  # The record types external-dns manages: those its v0.20.0 DigitalOcean
  # provider writes correctly. It knows SRV and NS but sends an SRV's
  # "prio weight port target" as plain data (no priority, weight or port
  # fields, which the API requires) and an NS target without the trailing
  # dot the API needs; CAA it does not know at all. Those three go through
  # digitalocean_record (stacks/platform/dns.tf), so external-dns must not
  # manage them.
  external_dns_record_types = ["A", "AAAA", "CNAME", "MX", "TXT"]
}

resource "helm_release" "external_dns" {
  count           = var.is_prod ? 1 : 0
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = "external-dns"
  namespace       = "infra"
  repository      = var.charts["external-dns"].repository
  chart           = var.charts["external-dns"].chart
  version         = var.charts["external-dns"].version
  depends_on      = [kubectl_manifest.digitalocean_dns_token]

  values = [yamlencode({
    image    = { tag = local.external_dns_image_tag }
    provider = { name = "digitalocean" }
    env = [{
      name      = "DO_TOKEN"
      valueFrom = { secretKeyRef = { name = "external-dns-digitalocean", key = "access-token" } }
    }]
    # crd: DNSEndpoint objects carry what no Ingress can (MX, SPF, DKIM, DMARC).
    sources       = ["ingress", "service", "crd"]
    policy        = "sync"
    registry      = "txt"
    txtOwnerId    = var.external_dns_owner_id
    txtPrefix     = "extdns-"
    domainFilters = [var.root_domain]
    interval      = "1m"
    # Default: A, AAAA and CNAME only; the DNSEndpoints also carry MX and TXT.
    managedRecordTypes = local.external_dns_record_types
    # The ownership record of *.<root> would be extdns-a-*.<root>: a "*"
    # inside a label, which is no wildcard and not a valid name.
    extraArgs = { "txt-wildcard-replacement" = "wildcard" }
    resources = {
      requests = { cpu = "10m", memory = "48Mi" }
      limits   = { memory = "128Mi" }
    }
  })]
}

# The load balancer's hostname (see Traefik's service) and the apex must
# resolve to its IP. Its IP exists only once Traefik's Service got its load
# balancer, so the lookup is read at apply, after the Traefik release.
data "digitalocean_loadbalancer" "ingress" {
  count      = var.is_prod ? 1 : 0
  name       = local.lb_name
  depends_on = [helm_release.traefik]
}

resource "digitalocean_record" "ingress" {
  for_each = var.is_prod ? { lb = "lb", apex = "@" } : {}
  domain   = var.root_domain
  type     = "A"
  name     = each.value
  value    = data.digitalocean_loadbalancer.ingress[0].ip
  ttl      = var.dns_ttl
}
