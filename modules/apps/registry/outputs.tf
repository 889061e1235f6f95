output "namespace" {
  description = "Namespace of the registry."
  value       = var.namespace
}

output "host" {
  description = "FQDN of the registry."
  value       = var.host
}

output "url" {
  description = "URL of the registry: https in prod (cert-manager), http in dev."
  value       = "${local.tls ? "https" : "http"}://${var.host}"
}

output "auth_mode" {
  description = "htpasswd (accounts from the SOPS secrets) or anonymous-read-only (no accounts: nobody can push)."
  value       = local.auth_mode
}

output "pvc_name" {
  description = "PVC holding the registry's data."
  value       = local.pvc_name
}

output "backup_schedule" {
  description = "Name of the registry's Velero Schedule (in the Velero namespace)."
  value       = module.backup.name
}
