# The one place that says where each third-party chart comes from and which
# version is installed. Versions match ../shared/charts, whose values files
# the offline tests check every release's values against: bump both together.
locals {
  defaults = {
    traefik                 = { repository = "https://traefik.github.io/charts", chart = "traefik", version = "41.3.0" }
    cert-manager            = { repository = "https://charts.jetstack.io", chart = "cert-manager", version = "v1.21.1" }
    external-dns            = { repository = "https://kubernetes-sigs.github.io/external-dns/", chart = "external-dns", version = "1.21.1" }
    velero                  = { repository = "https://vmware-tanzu.github.io/helm-charts", chart = "velero", version = "12.1.0" }
    zot                     = { repository = "https://zotregistry.dev/helm-charts", chart = "zot", version = "0.1.122" }
    kube-prometheus-stack   = { repository = "https://prometheus-community.github.io/helm-charts", chart = "kube-prometheus-stack", version = "88.5.3" }
    victoria-logs-single    = { repository = "https://victoriametrics.github.io/helm-charts/", chart = "victoria-logs-single", version = "0.13.9" }
    victoria-logs-collector = { repository = "https://victoriametrics.github.io/helm-charts/", chart = "victoria-logs-collector", version = "0.3.7" }
    loki                    = { repository = "https://grafana-community.github.io/helm-charts", chart = "loki", version = "18.11.0" }
    mailu                   = { repository = "https://mailu.github.io/helm-charts/", chart = "mailu", version = "2.7.1" }
    nextcloud               = { repository = "https://nextcloud.github.io/helm/", chart = "nextcloud", version = "9.2.4" }
    n8n                     = { repository = "oci://ghcr.io/n8n-io/n8n-helm-chart", chart = "n8n", version = "1.11.0" }
  }

  charts = {
    for name, d in local.defaults : name => {
      repository = coalesce(try(var.overrides[name].repository, null), d.repository)
      chart      = coalesce(try(var.overrides[name].chart, null), d.chart)
      version    = coalesce(try(var.overrides[name].version, null), d.version)
    }
  }
}
