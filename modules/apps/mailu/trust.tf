# Who Mailu trusts, and who can reach what it trusts.
#
# Mailu 2024.06 trusts the pod network (SUBNET): Postfix takes XCLIENT from
# it on ports 25 and 10025 (a client may then claim any address or login),
# and front takes the PROXY protocol header on its published mail ports (a
# client may claim any address). Pod addresses change, so the trust cannot
# be narrowed in Postfix or nginx; the NetworkPolicies below narrow who can
# connect instead:
#   - front's mail ports: Traefik's pods only (app-common, own_namespace off);
#   - front's internal ports (LMTP, the webmail's SMTP/IMAP/Sieve, web):
#     Mailu's own pods;
#   - Postfix's XCLIENT ports: front only; its forward port: Dovecot only;
#   - every other Mailu pod: Mailu's own pods.
# And no address is trusted for itself: Postfix's relay networks are empty,
# so even a client that claims 127.0.0.1 through Traefik (any host of the
# VPC may send Traefik a PROXY header) relays nothing without logging in.
# internal/planscan/rule_mailtrust.go checks all of it on the rendered
# chart; stacks/mailtrust_test.go runs the Postfix part on a real Postfix.
locals {
  # The port Dovecot's sieve forwards and vacation replies leave by. With
  # PROXY protocol on port 25, Mailu points Dovecot's submission_host at the
  # public name: the reply would come back through the load balancer as an
  # unauthenticated client and be refused for any outside recipient.
  forward_port    = 10026
  forward_service = "${local.release}-postfix-forward"

  # postconf lines (Mailu's start.py runs `postconf -e "<line>"` and
  # `postconf -Me "<line>"` through the shell: no double quote, no $).
  postfix_overrides = {
    "postfix.cf" = "mynetworks =\n"
    # Relays for the pod network, which the NetworkPolicy narrows to
    # Dovecot's pods; no XCLIENT and no login on this port.
    "postfix.master" = join(" ", [
      "${local.forward_port}/inet=${local.forward_port} inet n - n - - smtpd",
      "-o syslog_name=postfix/forward",
      "-o mynetworks=${var.pod_cidr}",
      "-o smtpd_authorized_xclient_hosts=",
      "-o smtpd_sasl_auth_enable=no",
      "-o smtpd_client_restrictions=permit_mynetworks,reject",
      "-o smtpd_relay_restrictions=permit_mynetworks,reject",
    ])
  }
  # Read after Mailu's dovecot.conf (its last line includes it).
  dovecot_overrides = {
    "dovecot.conf" = "submission_host = ${local.forward_service}.${module.common.namespace}.svc.cluster.local:${local.forward_port}\n"
  }

  # The front's ports that Mailu's own pods use: web (80), LMTP delivery
  # from Postfix and admin (2525), the webmail's SMTP, IMAP and Sieve
  # (10025, 10143, 14190).
  front_internal_ports = [80, 2525, 10025, 10143, 14190]
  postfix_labels       = merge(local.release_labels, { "app.kubernetes.io/component" = "postfix" })
  dovecot_labels       = merge(local.release_labels, { "app.kubernetes.io/component" = "dovecot" })
}

resource "kubectl_manifest" "forward_service" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = local.forward_service, namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      selector = local.postfix_labels
      ports    = [{ name = "forward", port = local.forward_port, targetPort = local.forward_port, protocol = "TCP" }]
    }
  })
  depends_on = [module.common]
}

resource "kubectl_manifest" "policy" {
  for_each = {
    # Every Mailu pod but front and Postfix: from Mailu's namespace.
    internal = {
      selector = {
        matchLabels      = local.release_labels
        matchExpressions = [{ key = "app.kubernetes.io/component", operator = "NotIn", values = ["front", "postfix"] }]
      }
      ingress = [{ from = [{ podSelector = {} }] }]
    }
    front-internal = {
      selector = { matchLabels = local.front_labels }
      ingress = [{
        from  = [{ podSelector = {} }]
        ports = [for p in local.front_internal_ports : { protocol = "TCP", port = p }]
      }]
    }
    postfix = {
      selector = { matchLabels = local.postfix_labels }
      ingress = [
        { from = [{ podSelector = { matchLabels = local.front_labels } }], ports = [{ protocol = "TCP", port = 25 }, { protocol = "TCP", port = 10025 }] },
        { from = [{ podSelector = { matchLabels = local.dovecot_labels } }], ports = [{ protocol = "TCP", port = local.forward_port }] },
      ]
    }
  }
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata   = { name = "mailu-${each.key}", namespace = module.common.namespace, labels = module.common.labels }
    spec       = { podSelector = each.value.selector, policyTypes = ["Ingress"], ingress = each.value.ingress }
  })
  depends_on = [module.common]
}

# The policy was one resource before the others; same object, same name.
moved {
  from = kubectl_manifest.internal_policy
  to   = kubectl_manifest.policy["internal"]
}
