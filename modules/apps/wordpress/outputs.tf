output "url" {
  description = "URL of the site: https in prod, http in dev."
  value       = module.common.url
}

output "namespace" {
  description = "Namespace of WordPress."
  value       = module.common.namespace
}

output "pvc_name" {
  description = "PVC holding wp-content (infra migrate wordpress copies the old site's wp-content onto it)."
  value       = module.common.pvc_names[local.pvc]
}

output "backup_schedule" {
  description = "Name of WordPress's Velero Schedule (in the Velero namespace)."
  value       = module.common.backup_schedule
}

output "salts_digest" {
  description = "SHA-256 of the keys and salts in use (reveals none of them): the tests check it does not change from one plan to the next."
  value       = nonsensitive(sha256(jsonencode(local.salts)))
}

output "salts_fingerprint" {
  description = "sha256 of the salts in use (given or generated): the stack refuses their change unless asked (modules/key-guard)."
  value       = sha256(jsonencode(local.salts))
  sensitive   = true
}
