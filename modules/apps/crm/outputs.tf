output "url" {
  description = "URL of the CRM: https in prod, http in dev (also Twenty's SERVER_URL)."
  value       = module.common.url
}

output "namespace" {
  description = "Namespace of the CRM."
  value       = module.common.namespace
}

output "backup_schedule" {
  description = "Name of the CRM's Velero Schedule (in Velero's namespace)."
  value       = module.common.backup_schedule
}

output "env_secret" {
  description = "Secret the server and the worker read their secrets from (PG_DATABASE_URL, REDIS_URL, ENCRYPTION_KEY, APP_SECRET, S3 keys)."
  value       = local.env_secret
  depends_on  = [kubectl_manifest.env]
}
