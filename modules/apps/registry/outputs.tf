output "namespace" {
  description = "Namespace of the registry."
  value       = module.common.namespace
}

output "url" {
  description = "URL of the registry: https in prod (cert-manager), http in dev."
  value       = module.common.url
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
  value       = module.common.backup_schedule
}
