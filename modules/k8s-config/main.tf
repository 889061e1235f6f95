locals {
  ingress_class_name = "traefik"
  apps_tier_label    = { key = "fullfrontend.be/tier", value = "apps" }
  lb_name            = "${var.cluster_name}-ingress"
  # What every ingress of the platform uses (output ingress): TLS and DNS
  # annotations in prod only, where cert-manager and external-dns run.
  ingress = {
    class_name = local.ingress_class_name
    namespace  = "infra"
    # The labels the Traefik chart's selector gives its pods (name, and
    # instance = <release>-<namespace>), for the apps' NetworkPolicies.
    pod_labels     = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" }
    tls            = local.cluster_issuer != null
    cluster_issuer = local.cluster_issuer
    annotations = var.is_prod ? {
      "cert-manager.io/cluster-issuer"       = local.cluster_issuer
      "external-dns.alpha.kubernetes.io/ttl" = tostring(var.dns_ttl)
    } : {}
  }
  lb_hostname = "lb.${var.root_domain}"

  # Traefik trusts PROXY protocol and X-Forwarded-* only from the VPC range,
  # where the DigitalOcean load balancer lives.
  trusted_ips = var.is_prod ? [var.vpc_cidr] : []
  entrypoint_trust = {
    proxyProtocol    = { trustedIPs = local.trusted_ips }
    forwardedHeaders = { trustedIPs = local.trusted_ips }
  }

  # Mail's ports on the same load balancer (modules/apps/mailu/tcp.tf):
  # Traefik listens on 8000+port (it runs without privileges) and forwards
  # the raw TCP connections. Long IMAP IDLE sessions: no read timeout (Traefik
  # 3 closes a connection after 60 s of reading by default).
  mail_entrypoints = { smtp = 25, smtps = 465, submission = 587, imaps = 993 }
  mail_ports = var.mail ? { for name, port in local.mail_entrypoints : name => {
    port          = 8000 + port
    exposedPort   = port
    expose        = { default = true }
    protocol      = "TCP"
    proxyProtocol = { trustedIPs = local.trusted_ips }
    transport     = { respondingTimeouts = { readTimeout = "0s", writeTimeout = "0s", idleTimeout = "3600s" } }
  } } : {}
}

# Pod Security Admission: infra needs privileged (Velero's node agent and the
# dev S3 server mount host paths); data runs the database images at baseline
# and warns on anything that would not pass restricted.
resource "kubectl_manifest" "namespace" {
  for_each = {
    infra = { enforce = "privileged", warn = "baseline", tier = "infra" }
    data  = { enforce = "baseline", warn = "restricted", tier = "data" }
  }
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Namespace"
    metadata = {
      name = each.key
      labels = {
        "fullfrontend.be/tier"                       = each.value.tier
        "pod-security.kubernetes.io/enforce"         = each.value.enforce
        "pod-security.kubernetes.io/enforce-version" = "latest"
        "pod-security.kubernetes.io/warn"            = each.value.warn
        "pod-security.kubernetes.io/audit"           = each.value.warn
      }
    }
  })
}

resource "helm_release" "traefik" {
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = "traefik"
  namespace       = "infra"
  repository      = var.charts["traefik"].repository
  chart           = var.charts["traefik"].chart
  version         = var.charts["traefik"].version
  depends_on      = [kubectl_manifest.namespace]

  values = [yamlencode({
    deployment = { replicas = var.is_prod ? 2 : 1 }
    # One replica in dev: no PDB, whose maxUnavailable the chart then never reads.
    podDisruptionBudget = merge({ enabled = var.is_prod }, var.is_prod ? { maxUnavailable = 1 } : {})
    ingressClass = {
      enabled        = true
      isDefaultClass = true
      name           = local.ingress_class_name
    }
    # No dashboard, no IngressRoute to it: nothing of Traefik's API is exposed.
    api          = { dashboard = false }
    ingressRoute = { dashboard = { enabled = false } }
    providers = {
      kubernetesIngress = { publishedService = { enabled = true } }
    }
    ports = merge({
      web = merge(local.entrypoint_trust, var.is_prod ? {
        http = { redirections = { entryPoint = { to = "websecure", scheme = "https", permanent = true } } }
      } : {})
      websecure = local.entrypoint_trust
    }, local.mail_ports)
    service = {
      annotations = var.is_prod ? {
        "service.beta.kubernetes.io/do-loadbalancer-name"                  = local.lb_name
        "service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol" = "true"
        # The load balancer publishes this hostname instead of its IP, so
        # pods reaching an ingress host go through the load balancer (and get
        # the PROXY header) instead of being short-circuited by kube-proxy;
        # cert-manager's HTTP-01 self-check depends on it.
        "service.beta.kubernetes.io/do-loadbalancer-hostname" = local.lb_hostname
      } : {}
    }
    resources = {
      requests = { cpu = "100m", memory = "128Mi" }
      limits   = { memory = "256Mi" }
    }
  })]
}
