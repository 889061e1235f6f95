output "namespaces" {
  description = "Namespaces this module owns."
  value       = { infra = "infra", data = "data" }
}

output "apps_tier_label" {
  description = "Label that app namespaces carry; the data namespace's network policies admit only them."
  value       = local.apps_tier_label
}

output "backup_s3" {
  description = "S3 target of the database dumps: Spaces in prod, the in-cluster server in dev."
  value       = local.backup_s3
  sensitive   = true
}

output "velero_namespace" {
  description = "Namespace of Velero, where app modules add their Schedules."
  value       = "infra"
}

output "ingress" {
  description = "What an ingress of this platform needs: IngressClass (traefik), Traefik's namespace (for NetworkPolicies), whether it has TLS (prod: cert-manager), the ClusterIssuer, and the annotations every ingress carries (cert-manager's issuer and external-dns's TTL in prod; none in dev)."
  value       = local.ingress
}

output "app_platform" {
  description = "Everything an app module takes from the platform, in one object (modules/app-common): ingress (see output ingress), apps_tier_label, velero_namespace, storage_class (do-block-storage in prod, the cluster default in dev)."
  value = {
    ingress          = local.ingress
    apps_tier_label  = local.apps_tier_label
    velero_namespace = "infra"
    storage_class    = var.is_prod ? "do-block-storage" : null
  }
}

output "mail_entrypoints" {
  description = "Traefik's entry points for the mail ports, by name (smtp, smtps, submission, imaps) and public port; empty when mail is off."
  value       = var.mail ? local.mail_entrypoints : {}
}

output "load_balancer_hostname" {
  description = "Hostname of the ingress load balancer (lb.<root_domain>, prod); empty in dev."
  value       = var.is_prod ? local.lb_hostname : ""
}

output "external_dns_record_types" {
  description = "Record types external-dns manages (from DNSEndpoint objects and ingresses): A, AAAA, CNAME, MX, TXT. Others (SRV, CAA, NS) must be digitalocean_record resources (stacks/platform/dns.tf)."
  value       = local.external_dns_record_types
}
