# The DKIM key is OpenTofu's, not Mailu's: generated once and kept in the
# state (the same at every apply; its public half is in the plan once the
# key exists), or given in the SOPS secrets (then known at the very first
# plan, and it survives a lost state). Mailu reads the private half from our
# Secret (main.tf).
locals {
  dkim_given = nonsensitive(var.dkim_key != null)
}

resource "tls_private_key" "dkim" {
  count     = local.dkim_given ? 0 : 1
  algorithm = "RSA"
  rsa_bits  = 2048
}

locals {
  dkim_private_key_pem = local.dkim_given ? var.dkim_key.private_key_pem : tls_private_key.dkim[0].private_key_pem
  dkim_public_key_pem  = local.dkim_given ? nonsensitive(var.dkim_key.public_key_pem) : tls_private_key.dkim[0].public_key_pem

  mail_host = var.app.host
  # The public key as DKIM's p= wants it: the PEM's base64 body, one line.
  dkim_public_key = join("", regexall("[A-Za-z0-9+/=]+", replace(local.dkim_public_key_pem, "/-----[A-Z ]+-----/", "")))
  spf             = join(" ", concat(["v=spf1", "mx"], [for d in var.spf_includes : "include:${d}"], ["~all"]))
  # Reports go to a mailbox or alias of ours; before any exists (a first
  # install without mail_users), the records ask for none rather than for
  # reports that would bounce (check below).
  reports_deliverable = contains(concat(keys(var.users), keys(var.aliases)), var.dmarc.report_to)
  dmarc = join("; ", concat(
    ["v=DMARC1", "p=${var.dmarc.policy}", "pct=${var.dmarc.percentage}"],
    local.reports_deliverable ? ["rua=mailto:${var.dmarc.report_to}@${var.domain}"] : [],
    ["adkim=r", "aspf=r"],
  ))

  # Every record mail needs besides the A records of its hosts (which
  # external-dns takes from the Ingress): the shape of a DNSEndpoint's
  # spec.endpoints[]. The stack publishes them (stacks/platform/dns.tf).
  dkim_record = { name = "${var.dkim_selector}._domainkey.${var.domain}", type = "TXT", targets = ["v=DKIM1; k=rsa; p=${local.dkim_public_key}"] }
  dns_records = [
    for r in var.publish_mx ? [
      { name = var.domain, type = "MX", targets = ["10 ${local.mail_host}"] },
      { name = var.domain, type = "TXT", targets = [local.spf] },
      local.dkim_record,
      { name = "_dmarc.${var.domain}", type = "TXT", targets = [local.dmarc] },
      # RFC 6186: where clients find submission and IMAP; RFC 8314 ports.
      { name = "_submissions._tcp.${var.domain}", type = "SRV", targets = ["0 1 465 ${local.mail_host}"] },
      { name = "_submission._tcp.${var.domain}", type = "SRV", targets = ["0 1 587 ${local.mail_host}"] },
      { name = "_imaps._tcp.${var.domain}", type = "SRV", targets = ["0 1 993 ${local.mail_host}"] },
      # Outlook's discovery of autodiscover.<domain>.
      { name = "_autodiscover._tcp.${var.domain}", type = "SRV", targets = ["0 1 443 ${var.app.hosts["autodiscover"]}"] },
    ] : [local.dkim_record] : { dnsName = r.name, recordType = r.type, targets = r.targets, recordTTL = var.dns_ttl }
  ]
  # With the MX: MTA-STS and TLS reporting (mta_sts.tf).
  all_dns_records = concat(local.dns_records, var.publish_mx ? local.mta_sts_records : [])
}

check "reports_mailbox" {
  assert {
    condition     = !var.publish_mx || local.reports_deliverable
    error_message = "No mailbox or alias named ${var.dmarc.report_to} (mail_dmarc.report_to): the DMARC and TLS-RPT records ask for no reports until one exists. Add it to mail_users, or an alias ${var.dmarc.report_to} = { destinations = [\"<a user>\"] } to mail_aliases."
  }
}
