output "host" {
  description = "In-cluster DNS name of the server."
  value       = local.host
}

output "port" {
  description = "Port of the server (5432 postgres, 3306 mariadb)."
  value       = local.e.port
}

output "init_job_name" {
  description = "Name of the current init Job (changes with the credentials and scripts)."
  value       = "${local.name}-init-${local.init_hash}"
}

output "network_client_label" {
  description = "Pod label that the NetworkPolicy admits besides the app namespaces."
  value       = local.client_label
}
