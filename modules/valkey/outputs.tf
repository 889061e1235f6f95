output "host" {
  description = "In-cluster DNS name of the server."
  value       = "${local.name}.${var.namespace}.svc.cluster.local"
}

output "port" {
  description = "Port of the server."
  value       = 6379
}
