output "host" {
  description = "In-cluster DNS name of the server."
  value       = local.host
}

output "app_secret_names" {
  description = "Name of each app's credentials Secret, keyed by app."
  value       = { for app in local.apps : app => "${app}-${var.name}" }
}

output "scripts" {
  description = "The scripts the ConfigMap holds (engine scripts and backup-lib.sh): hashed by the engine module into its init Job's name."
  value       = local.scripts
}
