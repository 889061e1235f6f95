output "namespace" {
  description = "Namespace of Mailu."
  value       = module.common.namespace
}

output "url" {
  description = "URL of Mailu's web UI (admin at /admin, webmail at /webmail)."
  value       = module.common.url
}

output "mail_host" {
  description = "Host of the mail ports (MX, IMAP, submission)."
  value       = var.app.host
}

output "dns_records" {
  description = "The mail records (MX, SPF, DKIM, DMARC, SRV, MTA-STS, TLS-RPT) in the shape of a DNSEndpoint's spec.endpoints[]; the stack publishes them in prod."
  value       = local.all_dns_records
}

output "hosts" {
  description = "Hosts this module publishes besides the app's: mta-sts.<domain> once it has the MX."
  value       = var.publish_mx ? [local.mta_sts_host] : []
}

output "dkim_txt" {
  description = "The DKIM TXT record's value (v=DKIM1; k=rsa; p=...)."
  value       = "v=DKIM1; k=rsa; p=${local.dkim_public_key}"
}

output "initial_passwords" {
  description = "Initial password of each mail user, by address: hand it over once; the user changes it at first login (a later apply never resets it)."
  value       = { for l, p in random_password.initial : local.address[l] => p.result }
  sensitive   = true
}

output "backup_schedule" {
  description = "Name of Mailu's Velero Schedule (its namespace and PVCs)."
  value       = module.common.backup_schedule
}
