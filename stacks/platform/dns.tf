# The DNS records no Ingress carries (prod only: dev has no public DNS).
# external-dns publishes each ingress host (a CNAME to lb.<root>);
# modules/k8s-config writes the A records of lb.<root> and the apex.
# Everything else is served here, one record set per name and type:
#   - A, AAAA, CNAME, MX, TXT: a DNSEndpoint object, which external-dns
#     writes to DigitalOcean (the types it manages,
#     module.k8s_config.external_dns_record_types);
#   - SRV, CAA, NS: a digitalocean_record per target, because external-dns
#     v0.20.0 cannot write those (see modules/k8s-config/dns.tf).
# Record sets come from the stack itself (local.dns_records_list: the zone's
# CAA, mail's MX, SPF, DKIM, DMARC, SRV) and from var.dns_extra_records (the
# operator's, written by infra migrate dns from Mail-in-a-Box's zone).
# external-dns keeps one endpoint per name and type and drops the others,
# so both sources are merged here into one set: an apex TXT of the
# operator's and the stack's SPF end up in the same record set.
locals {
  # Only Let's Encrypt may issue certificates for the zone (cert-manager's
  # issuer); violations are reported to the ACME address.
  caa_records = [{
    dnsName    = module.env.root_domain
    recordType = "CAA"
    targets    = ["0 issue \"letsencrypt.org\"", "0 iodef \"mailto:${var.acme_email}\""]
    recordTTL  = var.dns_ttl
  }]
  # The stack's own records, in the shape of a DNSEndpoint's
  # spec.endpoints[]. A module that needs records gives them here (as Mailu
  # does), never as DNSEndpoints of its own.
  dns_records_list = concat(local.caa_records, flatten(module.mailu[*].dns_records))
  # The same by name and type: the doctor output's dns_records.
  dns_records = {
    for key, rs in { for r in local.dns_records_list : "${r.dnsName}/${r.recordType}" => r... } : key => {
      dnsName    = rs[0].dnsName
      recordType = rs[0].recordType
      targets    = distinct(flatten(rs[*].targets))
      recordTTL  = min(rs[*].recordTTL...)
    }
  }

  dns_root = module.env.root_domain
  # Names the stack serves through ingresses (a CNAME to lb.<root>, which can
  # share its name with nothing) or as its own A records (lb; the apex keeps
  # other types).
  dns_ingress_hosts = toset(concat(
    flatten([for a in values(module.env.apps) : concat([a.host], values(a.hosts)) if a.enabled]),
    ["grafana.${local.dns_root}", "lb.${local.dns_root}"],
  ))

  dns_entries = concat(
    [for r in local.dns_records_list : {
      fqdn    = r.dnsName
      type    = r.recordType
      ttl     = r.recordTTL
      targets = r.targets
      source  = "the stack"
    }],
    [for k, r in var.dns_extra_records : {
      fqdn    = r.name == "@" ? local.dns_root : "${r.name}.${local.dns_root}"
      type    = r.type
      ttl     = r.ttl == null ? var.dns_ttl : r.ttl
      targets = r.targets
      source  = "dns_extra_records[\"${k}\"]"
    }],
  )
  dns_record_sets = { for k, es in { for e in local.dns_entries : "${e.fqdn}/${e.type}" => e... } : k => {
    fqdn = es[0].fqdn
    type = es[0].type
    # One TTL per record set: the shortest asked for.
    ttl     = min([for e in es : e.ttl]...)
    targets = distinct(flatten([for e in es : e.targets]))
    sources = distinct([for e in es : e.source])
    # DigitalOcean's name of the record: relative, "@" for the apex.
    name = es[0].fqdn == local.dns_root ? "@" : trimsuffix(es[0].fqdn, ".${local.dns_root}")
  } }

  # Why a record set cannot be served, or "" when it can.
  dns_conflicts = { for k, s in local.dns_record_sets : k => (
    s.fqdn != local.dns_root && contains(local.dns_ingress_hosts, s.fqdn) ? "${s.fqdn} is a host of the stack (a CNAME to lb.${local.dns_root}, or lb itself), which can share its name with no other record: remove ${join(" and ", s.sources)}" :
    s.fqdn == local.dns_root && contains(["A", "AAAA", "CNAME"], s.type) ? "the apex ${s.fqdn} has the stack's A record to the load balancer; ${s.type} records there would send visitors elsewhere: remove ${join(" and ", s.sources)}" :
    s.type == "CNAME" && length([for k2, s2 in local.dns_record_sets : k2 if s2.fqdn == s.fqdn]) > 1 ? "${s.fqdn} has a CNAME (${join(" and ", s.sources)}) and other records (${join(", ", distinct(flatten([for k2, s2 in local.dns_record_sets : s2.sources if s2.fqdn == s.fqdn && k2 != k])))}): a CNAME shares its name with nothing, external-dns would drop it" :
    s.type == "CNAME" && length(s.targets) > 1 ? "${s.fqdn} gets ${length(s.targets)} CNAME targets from ${join(" and ", s.sources)}: a CNAME has exactly one" :
    s.type == "MX" && contains(s.sources, "the stack") && length(s.sources) > 1 ? "${s.fqdn} gets MX records from the stack and from ${join(" and ", [for x in s.sources : x if x != "the stack"])}: mail would be shared between both servers; remove the entry once the stack handles mail" :
    s.type == "TXT" && length([for t in s.targets : t if startswith(lower(t), "v=spf1")]) > 1 ? "${s.fqdn} gets ${length([for t in s.targets : t if startswith(lower(t), "v=spf1")])} SPF records (v=spf1) from ${join(" and ", s.sources)}: receivers treat more than one as an error (RFC 7208); keep one" :
    s.type == "TXT" && length([for t in s.targets : t if startswith(lower(replace(t, " ", "")), "v=dkim1")]) > 1 ? "${s.fqdn} gets ${length([for t in s.targets : t if startswith(lower(replace(t, " ", "")), "v=dkim1")])} DKIM keys from ${join(" and ", s.sources)}: a receiver checks the signature against one of them at random; keep the stack's (Mailu signs with it)" :
    s.type == "TXT" && length([for t in s.targets : t if startswith(lower(t), "v=dmarc1")]) > 1 ? "${s.fqdn} gets ${length([for t in s.targets : t if startswith(lower(t), "v=dmarc1")])} DMARC records from ${join(" and ", s.sources)}: receivers then apply none (RFC 7489); keep one" :
    ""
  ) }

  # The same as booleans for the preconditions: a condition that compares
  # strings makes OpenTofu print the message a second time, as a diff.
  dns_servable = { for k, c in local.dns_conflicts : k => c == "" }

  dns_endpoint_sets = module.env.is_prod ? { for k, s in local.dns_record_sets : k => s if contains(module.k8s_config.external_dns_record_types, s.type) } : {}
  # <type>.<name without underscores>, for example txt.dmarc.fullfrontend.be
  # (object names allow dots, not underscores nor "*").
  dns_object_names = { for k, s in local.dns_endpoint_sets : k => lower("${s.type}.${replace(replace(s.fqdn, "_", ""), "*", "wildcard")}") }

  # digitalocean_record holds one target: one resource per target, keyed by
  # the target so that removing one never renames the others.
  dns_do_records = module.env.is_prod ? merge([for k, s in local.dns_record_sets : {
    for t in s.targets : "${k} ${t}" => merge(s, { set = k, target = t })
  } if !contains(module.k8s_config.external_dns_record_types, s.type)]...) : {}
}

resource "kubectl_manifest" "dns_record" {
  for_each          = local.dns_endpoint_sets
  server_side_apply = true
  # The CRD comes with the external-dns chart.
  depends_on = [module.k8s_config]
  yaml_body = yamlencode({
    apiVersion = "externaldns.k8s.io/v1alpha1"
    kind       = "DNSEndpoint"
    metadata = {
      name      = local.dns_object_names[each.key]
      namespace = module.k8s_config.namespaces.infra
      labels    = { "app.kubernetes.io/managed-by" = "opentofu" }
    }
    spec = {
      endpoints = [{
        dnsName    = each.value.fqdn
        recordType = each.value.type
        recordTTL  = each.value.ttl
        targets    = each.value.targets
      }]
    }
  })
  lifecycle {
    precondition {
      condition     = local.dns_servable[each.key]
      error_message = "DNS: ${local.dns_conflicts[each.key]}."
    }
    precondition {
      condition     = length(distinct(values(local.dns_object_names))) == length(local.dns_object_names)
      error_message = "DNS: two record sets get the DNSEndpoint name ${local.dns_object_names[each.key]} (their names differ only by underscores, for example _dmarc and dmarc): rename one of ${join(" and ", each.value.sources)}."
    }
  }
}

resource "digitalocean_record" "dns" {
  for_each = local.dns_do_records
  domain   = local.dns_root
  type     = each.value.type
  name     = each.value.name
  ttl      = each.value.ttl
  # SRV "prio weight port host", CAA "flags tag \"value\"", NS "host"; the
  # API wants host names absolute (trailing dot), the CAA issue and
  # issuewild values too (the provider reads them back with a dot: without
  # one every plan would change them), the iodef URL bare.
  priority = each.value.type == "SRV" ? tonumber(split(" ", each.value.target)[0]) : null
  weight   = each.value.type == "SRV" ? tonumber(split(" ", each.value.target)[1]) : null
  port     = each.value.type == "SRV" ? tonumber(split(" ", each.value.target)[2]) : null
  flags    = each.value.type == "CAA" ? tonumber(split(" ", each.value.target)[0]) : null
  tag      = each.value.type == "CAA" ? split(" ", each.value.target)[1] : null
  value = (
    each.value.type == "SRV" ? "${split(" ", each.value.target)[3]}." :
    each.value.type == "CAA" ? "${trim(join(" ", slice(split(" ", each.value.target), 2, length(split(" ", each.value.target)))), "\"")}${split(" ", each.value.target)[1] == "iodef" ? "" : "."}" :
    "${each.value.target}."
  )
  lifecycle {
    precondition {
      # Checked on the set's first target only: one message per set.
      condition     = local.dns_servable[each.value.set] || each.value.target != each.value.targets[0]
      error_message = "DNS: ${local.dns_conflicts[each.value.set]}."
    }
  }
}
