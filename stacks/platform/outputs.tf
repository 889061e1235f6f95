output "app_env" {
  description = "Environment this state belongs to."
  value       = var.app_env
}

output "root_domain" {
  description = "Root domain of the environment."
  value       = module.env.root_domain
}

output "fqdns" {
  description = "Every FQDN of the app catalog (modules/environment/apps.yaml), derived from root_domain only."
  value       = module.env.fqdns
}

output "apps" {
  description = "Each app of the catalog: whether it runs here, its namespace, host and database engine."
  value       = { for name, a in module.env.apps : name => { enabled = a.enabled, namespace = a.namespace, host = a.host, database = a.database } }
}

output "features" {
  description = "What this environment deploys: DOKS, cert-manager and external-dns in prod only; Velero everywhere."
  value       = module.env.features
}

output "kubeconfig_path" {
  description = "Kubeconfig the providers use: <repo>/.kube/config in prod, ~/.kube/config in dev."
  value       = module.env.kubeconfig_path
}

output "registry_url" {
  description = "URL of the Zot registry (null when the registry is not enabled)."
  value       = one(module.registry[*].url)
}

output "registry_auth_mode" {
  description = "htpasswd, or anonymous-read-only when registry_htpasswd is empty (null when the registry is not enabled)."
  value       = one(module.registry[*].auth_mode)
}

output "grafana_url" {
  description = "URL of Grafana (login required)."
  value       = module.monitoring.grafana_url
}

output "grafana_admin_password" {
  description = "Password of Grafana's admin account: tofu output -raw grafana_admin_password."
  value       = module.monitoring.grafana_admin_password
  sensitive   = true
}

output "wordpress_url" {
  description = "URL of the WordPress site (null when WordPress is not enabled)."
  value       = one(module.wordpress[*].url)
}

output "analytics_url" {
  description = "URL of Umami (null when analytics is not enabled)."
  value       = one(module.analytics[*].url)
}

output "n8n_url" {
  description = "URL of n8n's editor (null when n8n is not enabled)."
  value       = one(module.n8n[*].url)
}

output "n8n_encryption_key" {
  description = "N8N_ENCRYPTION_KEY of n8n: tofu output -raw n8n_encryption_key (keep a copy outside the cluster)."
  value       = local.n8n_encryption_key
  sensitive   = true
}

output "crm_url" {
  description = "URL of the CRM (null when it is not enabled)."
  value       = one(module.crm[*].url)
}

output "nextcloud_url" {
  description = "URL of Nextcloud (null when it is not enabled)."
  value       = one(module.nextcloud[*].url)
}

output "nextcloud_dav_url" {
  description = "CalDAV/CardDAV base URL of Nextcloud, for clients that do not discover it (null when Nextcloud is not enabled)."
  value       = one(module.nextcloud[*].dav_url)
}

output "nextcloud_admin_password" {
  description = "Password of Nextcloud's admin account as first installed: tofu output -raw nextcloud_admin_password."
  value       = local.nextcloud_admin_password
  sensitive   = true
}
