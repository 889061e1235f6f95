# The Mailu module's contract, checked from a plan with mocked providers.
mock_provider "helm" {}
mock_provider "kubectl" {}
mock_provider "random" {
  mock_resource "random_password" {
    defaults = { result = "mock-initial-password-0123" }
  }
}
mock_provider "tls" {
  mock_resource "tls_private_key" {
    defaults = {
      private_key_pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEmock\n-----END RSA PRIVATE KEY-----\n"
      public_key_pem  = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmock\nAQAB\n-----END PUBLIC KEY-----\n"
    }
  }
}

variables {
  chart = { repository = "https://mailu.github.io/helm-charts/", chart = "mailu", version = "2.7.1" }
  # module.env.apps.mailu in prod.
  app = {
    name      = "mailu"
    namespace = "mailu"
    host      = "mail.fullfrontend.be"
    hosts     = { autoconfig = "autoconfig.fullfrontend.be", autodiscover = "autodiscover.fullfrontend.be" }
    database  = "postgres"
  }
  platform = {
    ingress = {
      class_name     = "traefik"
      namespace      = "infra"
      tls            = true
      cluster_issuer = "letsencrypt-prod"
      annotations    = { "cert-manager.io/cluster-issuer" = "letsencrypt-prod", "external-dns.alpha.kubernetes.io/ttl" = "300" }
      pod_labels     = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" }
    }
    apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
    velero_namespace = "infra"
    storage_class    = "do-block-storage"
  }
  database = {
    engine   = "postgres"
    host     = "postgres.data.svc.cluster.local"
    port     = 5432
    database = "mailu"
    user     = "mailu"
    password = "test-only-database-password"
  }
  mail_entrypoints = { smtp = 25, smtps = 465, submission = 587, imaps = 993 }
  domain           = "fullfrontend.be"
  secret_key       = "test-only-secret-key-0123456789abcdef"
  pod_cidr         = "10.244.0.0/16"
  relay            = { host = "[smtp.eu.mailgun.org]:587", username = "postmaster@mg.fullfrontend.be", password = "test-only-relay-password" }
  spf_includes     = ["mailgun.org"]
  users = {
    alice = { display_name = "Alice", admin = true }
    bob   = { quota_mb = 2048 }
  }
  aliases = {
    postmaster = { destinations = ["alice"] }
    contact    = { destinations = ["alice", "bob@example.org"] }
  }
}

run "prod" {
  command = plan

  # Not an open relay: the real client address reaches Postfix on every
  # published port, and nothing but loopback is a relay network.
  assert {
    condition = alltrue([for p in ["smtp", "smtps", "submission", "imaps"] :
    yamldecode(helm_release.mailu.values[0]).ingress.proxyProtocol[p] && yamldecode(helm_release.mailu.values[0]).front.externalService.ports[p]])
    error_message = "every published mail port must take the PROXY protocol header (the client's real address)"
  }
  assert {
    condition     = yamldecode(helm_release.mailu.values[0]).externalRelay.networks == [] && yamldecode(helm_release.mailu.values[0]).postfix.overrides["postfix.cf"] == "mynetworks =\n"
    error_message = "no relay networks: no RELAYNETS, Postfix's mynetworks emptied (a client can claim 127.0.0.1 through a PROXY header)"
  }
  assert {
    condition     = yamldecode(helm_release.mailu.values[0]).dovecot.overrides["dovecot.conf"] == "submission_host = mailu-postfix-forward.mailu.svc.cluster.local:10026\n" && yamldecode(kubectl_manifest.forward_service.yaml_body).spec.ports[0].port == 10026
    error_message = "Dovecot's forwards and vacation replies must leave through Postfix's forward port, not the public name"
  }
  assert {
    condition     = yamldecode(helm_release.mailu.values[0]).ingress.realIpFrom == "10.244.0.0/16" && yamldecode(helm_release.mailu.values[0]).subnet == "10.244.0.0/16"
    error_message = "front must trust PROXY headers from the pod network (Traefik) only"
  }
  assert {
    condition     = yamldecode(helm_release.mailu.values[0]).externalRelay.host == "[smtp.eu.mailgun.org]:587" && yamldecode(helm_release.mailu.values[0]).externalRelay.existingSecret == "mailu-secrets"
    error_message = "outbound mail must go through the relay, its login from our Secret"
  }
  assert {
    condition = alltrue([for k in ["redis", "postgresql", "mariadb"] : !yamldecode(helm_release.mailu.values[0])[k].enabled]) && (
    yamldecode(helm_release.mailu.values[0]).externalDatabase.type == "postgresql" && yamldecode(helm_release.mailu.values[0]).externalRedis.host == "mailu-valkey.mailu.svc.cluster.local")
    error_message = "no Bitnami subchart: external Postgres, Mailu's own Valkey"
  }
  assert {
    condition     = yamldecode(helm_release.mailu.values[0]).persistence.single_pvc == false && yamldecode(helm_release.mailu.values[0]).dovecot.persistence.existingClaim == "mailu-mail"
    error_message = "one PVC per component (ours), maildirs on mailu-mail"
  }
  assert {
    condition     = keys(kubectl_manifest.mail_route) == ["imaps", "smtp", "smtps", "submission"] && yamldecode(kubectl_manifest.mail_route["smtp"].yaml_body).spec.routes[0].services[0] == { name = "mailu-front-ext", port = 25, serversTransport = "mailu-proxy-protocol" }
    error_message = "each mail entry point must be routed to mailu-front-ext with the PROXY protocol transport"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.proxy_protocol.yaml_body).spec.proxyProtocol.version == 2
    error_message = "Traefik must send PROXY protocol v2 to Mailu"
  }
  assert {
    condition     = contains(keys(module.common.pvc_names), "mailu-mail") && module.common.backup_schedule == "mailu-daily"
    error_message = "maildirs on a PVC, backed up by the Velero schedule mailu-daily"
  }
  # DNS.
  assert {
    condition     = contains([for r in output.dns_records : r if r.recordType == "MX"], { dnsName = "fullfrontend.be", recordType = "MX", targets = ["10 mail.fullfrontend.be"], recordTTL = 3600 })
    error_message = "MX of the domain must be mail.<root_domain>"
  }
  assert {
    condition     = output.dkim_txt == "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmockAQAB"
    error_message = "the DKIM record must carry the public key's base64 body on one line"
  }
  assert {
    condition     = contains(flatten([for r in output.dns_records : r.targets if r.dnsName == "fullfrontend.be" && r.recordType == "TXT"]), "v=spf1 mx include:mailgun.org ~all")
    error_message = "SPF must allow the MX and the relay"
  }
  assert {
    condition     = contains(flatten([for r in output.dns_records : r.targets if r.dnsName == "_dmarc.fullfrontend.be"]), "v=DMARC1; p=quarantine; pct=100; rua=mailto:postmaster@fullfrontend.be; adkim=r; aspf=r")
    error_message = "DMARC must carry the policy and the report address"
  }
  assert {
    condition     = length([for r in output.dns_records : r if r.recordType == "SRV"]) == 4
    error_message = "submissions, submission, imaps and autodiscover SRV records"
  }
  # MTA-STS (RFC 8461) and TLS reporting (RFC 8460).
  assert {
    condition     = yamldecode(kubectl_manifest.mta_sts["config"].yaml_body).data["mta-sts.txt"] == "version: STSv1\r\nmode: testing\r\nmx: mail.fullfrontend.be\r\nmax_age: 604800\r\n"
    error_message = "the MTA-STS policy must name Mailu's host, mode testing by default, CRLF lines"
  }
  assert {
    condition     = one([for r in output.dns_records : r.targets[0] if r.dnsName == "_mta-sts.fullfrontend.be"]) == "v=STSv1; id=${substr(sha256(yamldecode(kubectl_manifest.mta_sts["config"].yaml_body).data["mta-sts.txt"]), 0, 20)}"
    error_message = "_mta-sts TXT must carry an id derived from the policy, so that it changes when the policy does"
  }
  assert {
    condition     = one([for r in output.dns_records : r.targets[0] if r.dnsName == "_smtp._tls.fullfrontend.be"]) == "v=TLSRPTv1; rua=mailto:postmaster@fullfrontend.be"
    error_message = "TLS reports must go to the DMARC reports' mailbox"
  }
  assert {
    condition     = jsonencode(yamldecode(kubectl_manifest.mta_sts["ingress"].yaml_body).spec.rules) == jsonencode([{ host = "mta-sts.fullfrontend.be", http = { paths = [{ path = "/.well-known/mta-sts.txt", pathType = "Exact", backend = { service = { name = "mta-sts", port = { number = 8080 } } } }] } }]) && jsonencode(output.hosts) == jsonencode(["mta-sts.fullfrontend.be"])
    error_message = "mta-sts.<domain> must serve only the policy, from its nginx"
  }
  # Accounts.
  assert {
    condition = jsondecode(yamldecode(kubectl_manifest.accounts_config.yaml_body).data["accounts.json"]) == {
      domain = "fullfrontend.be"
      users = [
        { localpart = "alice", email = "alice@fullfrontend.be", displayed_name = "Alice", global_admin = true, enabled = true, quota_bytes = 0 },
        { localpart = "bob", email = "bob@fullfrontend.be", displayed_name = "", global_admin = false, enabled = true, quota_bytes = 2147483648 },
      ]
      aliases = [
        { email = "contact@fullfrontend.be", destination = ["alice@fullfrontend.be", "bob@example.org"] },
        { email = "postmaster@fullfrontend.be", destination = ["alice@fullfrontend.be"] },
      ]
    }
    error_message = "the accounts Job must get the users and aliases with full addresses"
  }
  assert {
    condition     = startswith(yamldecode(kubectl_manifest.accounts.yaml_body).metadata.name, "mailu-accounts-") && yamldecode(kubectl_manifest.accounts.yaml_body).spec.template.spec.containers[0].image == "ghcr.io/mailu/admin:2024.06.52"
    error_message = "the accounts Job runs the admin image of the release"
  }
  assert {
    condition     = length(tls_self_signed_cert.dev) == 0 && yamldecode(helm_release.mailu.values[0]).ingress.existingSecret == "mailu-tls"
    error_message = "prod mail TLS is cert-manager's mailu-tls, no self-signed certificate"
  }
}

run "dkim_key_from_sops" {
  command = plan
  variables {
    dkim_key = {
      private_key_pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEgiven\n-----END RSA PRIVATE KEY-----\n"
      public_key_pem  = "-----BEGIN PUBLIC KEY-----\nMIIBgiven\n-----END PUBLIC KEY-----\n"
    }
  }
  assert {
    condition     = length(tls_private_key.dkim) == 0 && output.dkim_txt == "v=DKIM1; k=rsa; p=MIIBgiven"
    error_message = "a DKIM key from SOPS must be used as given, its record derived at plan"
  }
}

run "before_the_mx_switch" {
  command = plan
  variables {
    publish_mx = false
  }
  assert {
    condition     = [for r in output.dns_records : r.dnsName] == ["dkim._domainkey.fullfrontend.be"]
    error_message = "while Mail-in-a-Box still receives, only the DKIM key is published (no MX, SPF, DMARC, SRV, MTA-STS or TLS-RPT)"
  }
  assert {
    condition     = !contains(keys(kubectl_manifest.mta_sts), "ingress") && length(output.hosts) == 0
    error_message = "while Mail-in-a-Box still receives, mta-sts.<domain> stays the box's (its policy names the box)"
  }
}

run "prod_without_relay_fails" {
  command = plan
  variables {
    relay = {}
  }
  expect_failures = [helm_release.mailu]
}

run "dmarc_reports_to_nobody_fails" {
  command = plan
  variables {
    aliases = { contact = { destinations = ["alice"] } }
  }
  expect_failures = [helm_release.mailu, check.reports_mailbox]
}

run "dev" {
  command = plan
  variables {
    platform = {
      ingress = {
        class_name     = "traefik"
        namespace      = "infra"
        tls            = false
        cluster_issuer = null
        annotations    = {}
        pod_labels     = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" }
      }
      apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
      velero_namespace = "infra"
      storage_class    = null
    }
    relay         = {}
    require_relay = false
  }
  assert {
    condition     = length(tls_self_signed_cert.dev) == 1 && yamldecode(kubectl_manifest.tls[0].yaml_body).metadata.name == "mailu-tls"
    error_message = "dev mail TLS comes from a self-signed certificate in mailu-tls"
  }
  assert {
    condition     = yamldecode(helm_release.mailu.values[0]).externalRelay.host == "" && !contains(keys(yamldecode(helm_release.mailu.values[0]).externalRelay), "existingSecret")
    error_message = "dev runs without a relay"
  }
}

# A first install without mailboxes: no report address would exist, so the
# records ask for no reports (they would bounce) and a warning says why.
run "no_mailbox_for_reports" {
  command = plan
  variables {
    users   = {}
    aliases = {}
  }
  assert {
    condition     = contains(flatten([for r in output.dns_records : r.targets if r.dnsName == "_dmarc.fullfrontend.be"]), "v=DMARC1; p=quarantine; pct=100; adkim=r; aspf=r")
    error_message = "without a report mailbox, the DMARC record must ask for no reports"
  }
  assert {
    condition     = length([for r in output.dns_records : r if r.dnsName == "_smtp._tls.fullfrontend.be"]) == 0
    error_message = "without a report mailbox, no TLS-RPT record (its rua is mandatory)"
  }
  expect_failures = [check.reports_mailbox]
}
