# The mail ports share Traefik's DigitalOcean load balancer (one load
# balancer less a month; README.md, "Mail"). The load balancer sends the
# PROXY protocol header to Traefik, whose mail entry points trust it from the
# VPC only (modules/k8s-config); Traefik passes the connection on, TLS
# untouched, with a PROXY v2 header of its own, so Mailu's front sees the
# client's real address (its realIpFrom is the pod network, where Traefik's
# pods are).
resource "kubectl_manifest" "proxy_protocol" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "traefik.io/v1alpha1"
    kind       = "ServersTransportTCP"
    metadata   = { name = "mailu-proxy-protocol", namespace = module.common.namespace, labels = module.common.labels }
    spec       = { proxyProtocol = { version = 2 } }
  })
  depends_on = [module.common]
}

resource "kubectl_manifest" "mail_route" {
  for_each          = local.mail_ports
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "traefik.io/v1alpha1"
    kind       = "IngressRouteTCP"
    metadata   = { name = "mailu-${each.key}", namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      entryPoints = [each.key]
      # SMTP and IMAP speak first: no SNI to route on, the whole port goes
      # to Mailu (HostSNI(`*`) without tls is plain TCP forwarding).
      routes = [{
        match    = "HostSNI(`*`)"
        services = [{ name = local.mail_service, port = each.value, serversTransport = "mailu-proxy-protocol" }]
      }]
    }
  })
  depends_on = [kubectl_manifest.proxy_protocol]
}
