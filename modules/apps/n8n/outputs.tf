output "namespace" {
  description = "Namespace of n8n."
  value       = module.common.namespace
}

output "url" {
  description = "URL of the editor: https in prod (cert-manager), http in dev."
  value       = module.common.url
}

output "webhook_url" {
  description = "WEBHOOK_URL: base of every webhook, form and MCP URL n8n shows (webhook.<root_domain>, https in prod)."
  value       = local.webhook_url
}

output "ingress_rules" {
  description = "What app-common's Ingress publishes, by host: / on the editor host, only the webhook, form and MCP prefixes on the webhook host."
  value = {
    for h in distinct([for r in local.routes : r.host]) :
    (h == "" ? var.app.host : var.app.hosts[h]) => [for r in local.routes : r.path if r.host == h]
  }
}

output "service" {
  description = "The chart's Service in front of the main pod, and its port."
  value       = { name = local.service, port = local.port }
}

output "pvc_name" {
  description = "PVC mounted as n8n's home (binary data, settings file)."
  value       = local.pvc_name
}

output "encryption_secret" {
  description = "Secret holding N8N_ENCRYPTION_KEY (with N8N_HOST, N8N_PORT, N8N_PROTOCOL) in the n8n namespace."
  value       = local.secret_name
}

output "backup_schedule" {
  description = "Name of n8n's Velero Schedule (in the Velero namespace)."
  value       = module.common.backup_schedule
}
