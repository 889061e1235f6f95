output "namespace" {
  description = "Namespace of Nextcloud."
  value       = module.common.namespace
}

output "url" {
  description = "URL of Nextcloud: https in prod (cert-manager), http in dev."
  value       = module.common.url
}

output "dav_url" {
  description = "CalDAV and CardDAV base URL for clients that do not discover it from /.well-known (Thunderbird, for example)."
  value       = "${module.common.url}/remote.php/dav/"
}

output "service" {
  description = "The chart's Service in front of the Nextcloud pod, and its port."
  value       = { name = local.service, port = local.service_port }
}

output "pvc_name" {
  description = "PVC mounted as /var/www/html (code, config, apps) and the users' files."
  value       = local.pvc_name
}

output "secret_name" {
  description = "Secret holding the admin login (nextcloud-username, nextcloud-password), Valkey's password and, with external storage, the Spaces keys."
  value       = local.secret_name
}

output "admin_user" {
  description = "Login of the administrator account."
  value       = var.admin_user
}

output "backup_schedule" {
  description = "Name of Nextcloud's Velero Schedule (in the Velero namespace)."
  value       = module.common.backup_schedule
}
