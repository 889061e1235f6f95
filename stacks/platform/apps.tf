# Apps: one module per app (modules/apps/<app>, on modules/app-common), each
# in its own apps-tier namespace, named in modules/environment/apps.yaml and
# switched on by var.apps (docs/add-application.md). Each block below is the
# only place the stack names an app's module.

module "registry" {
  source   = "../../modules/apps/registry"
  count    = module.env.apps.registry.enabled ? 1 : 0
  app      = module.env.apps.registry
  platform = module.k8s_config.app_platform
  chart    = module.charts.charts["zot"]
  htpasswd = var.registry_htpasswd
  # Traefik, cert-manager's issuers and Velero's CRDs (for the Schedule)
  # come first.
  depends_on = [module.k8s_config]
}
