output "namespace" {
  description = "Namespace of Umami."
  value       = module.common.namespace
}

output "url" {
  description = "URL of Umami's dashboard: https in prod (cert-manager), http in dev."
  value       = module.common.url
}

output "tracking_script_url" {
  description = "URL of Umami's tracker, for the <script defer src=... data-website-id=...> snippet of a tracked site (WordPress)."
  value       = "${module.common.url}${local.tracking_path}"
}

output "backup_schedule" {
  description = "Name of the app's Velero Schedule (its namespace; the data itself is in PostgreSQL, backed up by modules/database)."
  value       = module.common.backup_schedule
}
