# Stack variables of the app modules (to move to variables.tf).

variable "registry_htpasswd" {
  description = "Accounts of the Zot registry (registry.<root_domain>): htpasswd lines with bcrypt hashes (htpasswd -nB <user>), from the SOPS secrets. Empty: no accounts, anonymous read-only, nobody can push."
  type        = string
  sensitive   = true
  default     = ""
}

# Apps: one module per app, each in its own apps-tier namespace, following
# modules/apps/registry (see docs/add-application.md).

module "registry" {
  source             = "../../modules/apps/registry"
  chart              = module.charts.charts["zot"]
  host               = module.env.fqdns.registry
  apps_tier_label    = module.k8s_config.apps_tier_label
  ingress_class_name = module.k8s_config.ingress_class_name
  cluster_issuer     = module.k8s_config.cluster_issuer
  dns_ttl            = module.env.is_prod ? module.k8s_config.dns_ttl : null
  velero_namespace   = module.k8s_config.velero_namespace
  htpasswd           = var.registry_htpasswd
  # Traefik, cert-manager's issuers and Velero's CRDs (for the Schedule)
  # come first.
  depends_on = [module.k8s_config]
}

output "registry_url" {
  description = "URL of the Zot registry."
  value       = module.registry.url
}

output "registry_auth_mode" {
  description = "htpasswd, or anonymous-read-only when registry_htpasswd is empty."
  value       = module.registry.auth_mode
}
