output "is_prod" {
  description = "True in prod."
  value       = local.is_prod
}

output "root_domain" {
  description = "Root domain of the selected environment."
  value       = local.root_domain
}

output "fqdns" {
  description = "Every FQDN of the seed's table, keyed by app."
  value       = local.fqdns
}

output "kubeconfig_path" {
  description = "Kubeconfig the platform stack uses."
  value       = local.kubeconfig_path
}

output "features" {
  description = "Components switched by environment: DOKS, cert-manager and external-dns in prod only; Velero everywhere."
  value = {
    doks          = local.is_prod
    cert_manager  = local.is_prod
    external_dns  = local.is_prod
    velero        = true
    state_backend = local.is_prod ? "s3" : "local"
  }
}

output "names" {
  description = "Names of the shared DigitalOcean resources (cluster, VPC, buckets, project)."
  value       = local.names
}
