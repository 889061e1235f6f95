output "host" {
  description = "In-cluster DNS name of the server."
  value       = local.host
}

output "port" {
  description = "Port of the server (5432 postgres, 3306 mariadb)."
  value       = local.e.port
}

output "app_secret_names" {
  description = "Name of the credentials Secret each app's module writes in its namespace (modules/app-common: keys host, port, database, username, password), keyed by app."
  value       = { for app in local.apps : app => "${app}-${local.name}" }
}

output "init_job_name" {
  description = "Name of the current init Job (changes with the credentials and scripts)."
  value       = "${local.name}-init-${local.init_hash}"
}

output "network_client_label" {
  description = "Pod label that the NetworkPolicy admits besides the app namespaces."
  value       = local.client_label
}
