# Metrics and alerts in the metrics namespace, logs in infra (the seed's
# logging role). Grafana's name is not in the seed's FQDN table: it derives
# from root_domain like every other, with no override.
module "monitoring" {
  source                 = "../../modules/monitoring"
  prometheus_chart       = module.charts.charts["kube-prometheus-stack"]
  logs_chart             = module.charts.charts["victoria-logs-single"]
  log_collector_chart    = module.charts.charts["victoria-logs-collector"]
  logs_namespace         = module.k8s_config.namespaces.infra
  velero_namespace       = module.k8s_config.velero_namespace
  cert_manager_namespace = module.k8s_config.namespaces.infra
  cert_manager_enabled   = module.env.features.cert_manager
  grafana_host           = "grafana.${module.env.root_domain}"
  ingress                = module.k8s_config.ingress
  grafana_admin_password = var.grafana_admin_password
  # Alerts leave through Mailu's outbound relay, logged in as Mailu is.
  alert_email         = var.alert_email
  require_alert_email = module.env.is_prod
  heartbeat_url       = var.alert_heartbeat_url
  smtp = local.relay_smarthost == "" ? null : {
    smarthost = local.relay_smarthost
    username  = var.mailu_relay_username
    password  = var.mailu_relay_password
    from      = "alertmanager@${module.env.root_domain}"
  }
  # The infra namespace (logs), Traefik and the ClusterIssuers come first.
  depends_on = [module.k8s_config]
}

locals {
  # Postfix's relayhost form ([host]:port, port 25 when absent) as
  # Alertmanager's host:port.
  relay_parts     = var.mailu_relay_host == "" ? null : regex("^\\[?([^]:[]+)\\]?(?::([0-9]+))?$", var.mailu_relay_host)
  relay_smarthost = local.relay_parts == null ? "" : "${local.relay_parts[0]}:${coalesce(local.relay_parts[1], "25")}"
}
