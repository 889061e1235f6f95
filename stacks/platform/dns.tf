# The records no Ingress carries (mail's MX, SPF, DKIM, DMARC, SRV; the
# CAA of the zone), served by external-dns from DNSEndpoint objects (prod
# only: dev has no public DNS). One DNSEndpoint per name and type: two
# objects with the same name and type would fight over the record in
# external-dns, so targets of the same record are merged here.
locals {
  # Only Let's Encrypt may issue certificates for the zone (cert-manager's
  # issuer); violations are reported to the ACME address.
  caa_records = [{
    dnsName    = module.env.root_domain
    recordType = "CAA"
    targets    = ["0 issue \"letsencrypt.org\"", "0 iodef \"mailto:${var.acme_email}\""]
    recordTTL  = var.dns_ttl
  }]
  dns_records_list = concat(local.caa_records, flatten(module.mailu[*].dns_records))
  dns_records = {
    for key, rs in { for r in local.dns_records_list : "${r.dnsName}/${r.recordType}" => r... } : key => {
      dnsName    = rs[0].dnsName
      recordType = rs[0].recordType
      targets    = distinct(flatten(rs[*].targets))
      recordTTL  = min(rs[*].recordTTL...)
    }
  }
  # <type>.<name without underscores>, for example txt.dmarc.fullfrontend.be
  # (object names allow dots, not underscores).
  dns_object_names = { for key, r in local.dns_records : key => lower("${r.recordType}.${replace(trimsuffix(r.dnsName, "."), "_", "")}") }
}

resource "kubectl_manifest" "dns_record" {
  for_each          = module.env.is_prod ? local.dns_records : {}
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "externaldns.k8s.io/v1alpha1"
    kind       = "DNSEndpoint"
    metadata = {
      name      = local.dns_object_names[each.key]
      namespace = "infra"
      labels    = { "app.kubernetes.io/managed-by" = "opentofu" }
    }
    spec = { endpoints = [each.value] }
  })
  depends_on = [module.k8s_config]
  lifecycle {
    precondition {
      condition     = length(distinct(values(local.dns_object_names))) == length(local.dns_object_names)
      error_message = "two DNS records map to the same DNSEndpoint name (their names differ only by underscores, for example _dmarc and dmarc): rename one in dns_extra_records."
    }
  }
}
