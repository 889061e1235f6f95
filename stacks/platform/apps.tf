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
