# MTA-STS (RFC 8461) and TLS reporting (RFC 8460): what Mail-in-a-Box
# publishes today and DigitalOcean DNS cannot replace with DANE (no
# DNSSEC). Senders that support it fetch https://mta-sts.<domain>/.well-known/mta-sts.txt,
# learn that mail for <domain> goes to mail.<domain> over TLS with a valid
# certificate, and (mode enforce) refuse to deliver otherwise: a forged MX
# or a stripped STARTTLS no longer diverts mail. The TXT _mta-sts tells them
# the policy's id, which changes with its content, so they fetch it again.
# Published with the MX only: the policy names Mailu's host, and while
# Mail-in-a-Box still receives the mail its own policy must stay in place
# (the host mta-sts.<domain> is then the box's, so it is no host of the
# app catalog but this module's own Ingress, made with the MX).
locals {
  mta_sts_name = "mta-sts"
  mta_sts_host = "mta-sts.${var.domain}"
  mta_sts_objects = merge(
    { config = "ConfigMap", deployment = "Deployment", service = "Service", policy = "NetworkPolicy" },
    var.publish_mx ? { ingress = "Ingress" } : {},
  )
  # The policy, CRLF-separated as RFC 8461 section 3.2 writes it. A week in
  # testing and enforce alike: short enough to change course.
  mta_sts_policy = join("\r\n", [
    "version: STSv1",
    "mode: ${var.mta_sts_mode}",
    "mx: ${local.mail_host}",
    "max_age: 604800",
    "",
  ])
  mta_sts_id = substr(sha256(local.mta_sts_policy), 0, 20)
  mta_sts_labels = merge(module.common.labels, {
    "app.kubernetes.io/name"      = local.mta_sts_name
    "app.kubernetes.io/component" = "mta-sts"
  })
  mta_sts_records = concat(
    [{ dnsName = "_mta-sts.${var.domain}", recordType = "TXT", targets = ["v=STSv1; id=${local.mta_sts_id}"], recordTTL = var.dns_ttl }],
    # Reports of failed TLS sessions go to the DMARC reports' mailbox; the
    # record (whose rua is mandatory) waits until that mailbox exists.
    local.reports_deliverable ? [
      { dnsName = "_smtp._tls.${var.domain}", recordType = "TXT", targets = ["v=TLSRPTv1; rua=mailto:${var.dmarc.report_to}@${var.domain}"], recordTTL = var.dns_ttl },
    ] : [],
  )

  nginx_conf = <<-EOT
    worker_processes 1;
    pid /tmp/nginx.pid;
    events { worker_connections 64; }
    http {
      client_body_temp_path /tmp/client_body;
      proxy_temp_path /tmp/proxy;
      fastcgi_temp_path /tmp/fastcgi;
      uwsgi_temp_path /tmp/uwsgi;
      scgi_temp_path /tmp/scgi;
      access_log off;
      server_tokens off;
      server {
        listen 8080;
        location = /.well-known/mta-sts.txt {
          default_type text/plain;
          alias /policy/mta-sts.txt;
        }
        location = /healthz { return 200 "ok\n"; }
        location / { return 404; }
      }
    }
  EOT
}

resource "kubectl_manifest" "mta_sts" {
  for_each          = local.mta_sts_objects
  server_side_apply = true
  wait              = false
  yaml_body = yamlencode({
    ConfigMap = {
      apiVersion = "v1"
      kind       = "ConfigMap"
      metadata   = { name = local.mta_sts_name, namespace = module.common.namespace, labels = module.common.labels }
      data       = { "mta-sts.txt" = local.mta_sts_policy, "nginx.conf" = local.nginx_conf }
    }
    Deployment = {
      apiVersion = "apps/v1"
      kind       = "Deployment"
      metadata   = { name = local.mta_sts_name, namespace = module.common.namespace, labels = module.common.labels }
      spec = {
        replicas = 1
        selector = { matchLabels = { "app.kubernetes.io/name" = local.mta_sts_name } }
        template = {
          # A new policy restarts the pod (subPath-free mount would update
          # in place, but nginx caches nothing of it anyway: this makes the
          # change visible in the rollout).
          metadata = { labels = local.mta_sts_labels, annotations = { "fullfrontend.be/policy-id" = local.mta_sts_id } }
          spec = {
            securityContext = { runAsNonRoot = true, runAsUser = 101, runAsGroup = 101, seccompProfile = { type = "RuntimeDefault" } }
            containers = [{
              name      = "nginx"
              image     = var.mta_sts_image
              args      = ["nginx", "-c", "/etc/mta-sts/nginx.conf", "-g", "daemon off;"]
              ports     = [{ name = "http", containerPort = 8080 }]
              resources = local.resources.mta_sts
              securityContext = {
                allowPrivilegeEscalation = false
                readOnlyRootFilesystem   = true
                capabilities             = { drop = ["ALL"] }
              }
              readinessProbe = { httpGet = { path = "/.well-known/mta-sts.txt", port = "http" }, periodSeconds = 10 }
              livenessProbe  = { httpGet = { path = "/healthz", port = "http" }, periodSeconds = 20 }
              volumeMounts = [
                { name = "config", mountPath = "/etc/mta-sts/nginx.conf", subPath = "nginx.conf", readOnly = true },
                { name = "config", mountPath = "/policy/mta-sts.txt", subPath = "mta-sts.txt", readOnly = true },
                { name = "tmp", mountPath = "/tmp" },
              ]
            }]
            volumes = [
              { name = "config", configMap = { name = local.mta_sts_name } },
              { name = "tmp", emptyDir = { sizeLimit = "16Mi" } },
            ]
          }
        }
      }
    }
    Service = {
      apiVersion = "v1"
      kind       = "Service"
      metadata   = { name = local.mta_sts_name, namespace = module.common.namespace, labels = module.common.labels }
      spec = {
        selector = { "app.kubernetes.io/name" = local.mta_sts_name }
        ports    = [{ name = "http", port = 8080, targetPort = "http" }]
      }
    }
    # Only the policy's path, with its own certificate (prod).
    Ingress = {
      apiVersion = "networking.k8s.io/v1"
      kind       = "Ingress"
      metadata = {
        name        = local.mta_sts_name
        namespace   = module.common.namespace
        labels      = module.common.labels
        annotations = module.common.ingress_annotations
      }
      spec = merge({
        ingressClassName = module.common.ingress_class_name
        rules = [{
          host = local.mta_sts_host
          http = { paths = [{
            path     = "/.well-known/mta-sts.txt"
            pathType = "Exact"
            backend  = { service = { name = local.mta_sts_name, port = { number = 8080 } } }
          }] }
        }]
      }, length(module.common.ingress_tls) == 0 ? {} : { tls = [{ secretName = "mta-sts-tls", hosts = [local.mta_sts_host] }] })
    }
    # Traefik only; the pod is not Mailu's, mailu-internal does not cover it.
    NetworkPolicy = {
      apiVersion = "networking.k8s.io/v1"
      kind       = "NetworkPolicy"
      metadata   = { name = local.mta_sts_name, namespace = module.common.namespace, labels = module.common.labels }
      spec = {
        podSelector = { matchLabels = { "app.kubernetes.io/name" = local.mta_sts_name } }
        policyTypes = ["Ingress"]
        ingress = [{
          from  = [{ namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = var.platform.ingress.namespace } } }]
          ports = [{ port = 8080, protocol = "TCP" }]
        }]
      }
    }
  }[each.value])
  depends_on = [module.common]
}
