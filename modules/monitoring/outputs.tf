output "namespace" {
  description = "Namespace of kube-prometheus-stack."
  value       = var.namespace
}

output "grafana_url" {
  description = "URL of Grafana: https in prod, http in dev."
  value       = local.grafana_url
}

output "grafana_admin_password" {
  description = "Password of Grafana's admin account (the one from the secrets, or the generated one)."
  value       = local.grafana_password
  sensitive   = true
}

output "logs_url" {
  description = "In-cluster URL of VictoriaLogs (queries, built-in UI at /select/vmui)."
  value       = local.logs_url
}

output "alert_names" {
  description = "Alerts this module adds to the chart's default rules."
  value       = sort(flatten([for g in local.alert_groups : [for r in g.rules : r.alert]]))
}
