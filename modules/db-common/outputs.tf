output "host" {
  description = "In-cluster DNS name of the server."
  value       = local.host
}

output "app_secret_names" {
  description = "Name of each app's credentials Secret, keyed by app."
  value       = { for app in local.apps : app => "${app}-${var.name}" }
}

output "scripts" {
  description = "The scripts the ConfigMap holds (engine scripts and db-lib.sh): hashed by the engine module into its init Job's name."
  value       = local.scripts
}

output "pod_security" {
  description = "Pod securityContext of the server and its Jobs (non-root, uid 999, RuntimeDefault seccomp)."
  value       = local.pod_security
}

output "container_security" {
  description = "Container securityContext (no privilege escalation, read-only root, no capabilities)."
  value       = local.container_security
}

output "rclone_init" {
  description = "Init container that copies rclone into the /tools volume of the backup and restore Jobs."
  value       = local.rclone_init
}

output "job_volume_mounts" {
  description = "Volume mounts of the backup and restore-check containers (scripts, tools, work)."
  value       = local.job_volume_mounts
}

output "job_volumes" {
  description = "Volumes of the backup and restore-check Jobs except the engine-sized \"work\" emptyDir."
  value       = local.job_volumes
}
