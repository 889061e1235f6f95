locals {
  tls         = var.ingress.tls
  grafana_url = "${local.tls ? "https" : "http"}://${var.grafana_host}"

  storage_class = var.storage_class_name == null ? {} : { storageClassName = var.storage_class_name }

  # Size bounds sit at 80 % of each volume: the data never fills its disk
  # (and the PVC alert at 80 % stays meaningful for everything else).
  prometheus_retention_size = "${floor(var.prometheus_volume_gi * 0.8)}GiB"
  logs_retention_gi         = floor(var.logs_volume_gi * 0.8)

  grafana_admin_secret = "grafana-admin"
  grafana_password     = var.grafana_admin_password != "" ? var.grafana_admin_password : random_password.grafana_admin[0].result

  # VictoriaLogs's service name: server.fullnameOverride below.
  logs_service = "victoria-logs"
  logs_url     = "http://${local.logs_service}.${var.logs_namespace}.svc:9428"

  # Sized for a small cluster (2-3 nodes, a few hundred pods), each figure
  # and its source in docs/capacity.md. Memory limits only, as everywhere in
  # the platform: a CPU limit throttles without protecting anything on nodes
  # with spare CPU.
  res = {
    # About 8 kB per active series (Prometheus maintainers), 100-200k
    # series for this cluster.
    prometheus = { requests = { cpu = "100m", memory = "1Gi" }, limits = { memory = "2Gi" } }
    # The operator's own defaults for the sidecar (--config-reloader-*).
    reloader      = { requests = { cpu = "10m", memory = "50Mi" }, limits = { memory = "50Mi" } }
    operator      = { requests = { cpu = "50m", memory = "100Mi" }, limits = { memory = "256Mi" } }
    webhook_job   = { requests = { cpu = "10m", memory = "32Mi" }, limits = { memory = "64Mi" } }
    alertmanager  = { requests = { cpu = "10m", memory = "64Mi" }, limits = { memory = "256Mi" } }
    ksm           = { requests = { cpu = "20m", memory = "64Mi" }, limits = { memory = "192Mi" } }
    node_exporter = { requests = { cpu = "20m", memory = "32Mi" }, limits = { memory = "64Mi" } }
    # Grafana documents 512 MB as its minimum memory.
    grafana      = { requests = { cpu = "50m", memory = "512Mi" }, limits = { memory = "768Mi" } }
    sidecar      = { requests = { cpu = "10m", memory = "50Mi" }, limits = { memory = "128Mi" } }
    victorialogs = { requests = { cpu = "50m", memory = "256Mi" }, limits = { memory = "1Gi" } }
    collector    = { requests = { cpu = "20m", memory = "64Mi" }, limits = { memory = "256Mi" } }
  }

  # What Prometheus scrapes beyond the chart's own targets: the components
  # whose metrics the alerts below need. PodMonitors select pods by labels the
  # velero and cert-manager charts put on them, and by the port number their
  # containers declare, so the charts' own ServiceMonitors can stay off (they
  # would need this chart's CRDs before k8s-config is applied).
  pod_monitors = merge(
    {
      velero = {
        namespace = var.velero_namespace
        labels    = { "app.kubernetes.io/name" = "velero", name = "velero" }
        port      = 8085
      }
    },
    var.cert_manager_enabled ? {
      cert-manager = {
        namespace = var.cert_manager_namespace
        labels    = { "app.kubernetes.io/name" = "cert-manager", "app.kubernetes.io/component" = "controller" }
        port      = 9402
      }
    } : {},
  )

  common_labels = {
    "app.kubernetes.io/part-of"    = "monitoring"
    "app.kubernetes.io/managed-by" = "opentofu"
  }
}

# node-exporter needs the host's network, PID namespace and file systems, so
# the namespace allows privileged pods; everything else in it would pass
# baseline, which the warn and audit labels report against.
resource "kubectl_manifest" "namespace" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Namespace"
    metadata = {
      name = var.namespace
      labels = {
        "fullfrontend.be/tier"                       = "metrics"
        "pod-security.kubernetes.io/enforce"         = "privileged"
        "pod-security.kubernetes.io/enforce-version" = "latest"
        "pod-security.kubernetes.io/warn"            = "baseline"
        "pod-security.kubernetes.io/audit"           = "baseline"
      }
    }
  })
}

resource "random_password" "grafana_admin" {
  count   = var.grafana_admin_password == "" ? 1 : 0
  length  = 32
  special = false
}

# The admin account lives in a Secret the chart reads (admin.existingSecret),
# so the password is in no Helm value.
resource "kubectl_manifest" "grafana_admin" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata = {
      name      = local.grafana_admin_secret
      namespace = var.namespace
      labels    = local.common_labels
    }
    data = {
      admin-user     = base64encode("admin")
      admin-password = base64encode(local.grafana_password)
    }
  })
  depends_on = [kubectl_manifest.namespace]
}

resource "helm_release" "kube_prometheus_stack" {
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = "kube-prometheus-stack"
  namespace       = var.namespace
  repository      = var.prometheus_chart.repository
  chart           = var.prometheus_chart.chart
  version         = var.prometheus_chart.version
  max_history     = 5
  # CRDs, the admission webhook's certificate job and Grafana's plugin
  # download take longer than the default 5 minutes on a fresh cluster.
  timeout = 900

  values = [yamlencode({
    # DOKS manages the control plane: controller-manager, scheduler and etcd
    # are not reachable from the nodes, and kube-proxy's metrics listen on
    # localhost only. Scraping them would only raise TargetDown alerts.
    kubeControllerManager = { enabled = false }
    kubeScheduler         = { enabled = false }
    kubeEtcd              = { enabled = false }
    kubeProxy             = { enabled = false }
    prometheusOperator = {
      resources                = local.res.operator
      prometheusConfigReloader = { resources = local.res.reloader }
      admissionWebhooks        = { patch = { resources = local.res.webhook_job } }
    }

    prometheus = {
      prometheusSpec = {
        retention     = var.prometheus_retention
        retentionSize = local.prometheus_retention_size
        storageSpec = {
          volumeClaimTemplate = {
            spec = merge({
              accessModes = ["ReadWriteOnce"]
              resources   = { requests = { storage = "${var.prometheus_volume_gi}Gi" } }
            }, local.storage_class)
          }
        }
        resources = local.res.prometheus
        # Select every ServiceMonitor, PodMonitor, Probe, ScrapeConfig and
        # PrometheusRule of the cluster, not only those labelled with this
        # release: other modules and apps add their own.
        ruleSelectorNilUsesHelmValues           = false
        serviceMonitorSelectorNilUsesHelmValues = false
        podMonitorSelectorNilUsesHelmValues     = false
        probeSelectorNilUsesHelmValues          = false
        scrapeConfigSelectorNilUsesHelmValues   = false
      }
    }

    alertmanager = {
      alertmanagerSpec = {
        storage = {
          volumeClaimTemplate = {
            spec = merge({
              accessModes = ["ReadWriteOnce"]
              resources   = { requests = { storage = "${var.alertmanager_volume_gi}Gi" } }
            }, local.storage_class)
          }
        }
        resources = local.res.alertmanager
        # notifications.tf writes the configuration Secret.
        useExistingSecret = true
      }
    }

    kube-state-metrics       = { resources = local.res.ksm }
    prometheus-node-exporter = { resources = local.res.node_exporter }

    grafana = {
      defaultDashboardsTimezone = var.grafana_timezone
      admin = {
        existingSecret = local.grafana_admin_secret
        userKey        = "admin-user"
        passwordKey    = "admin-password"
      }
      ingress = {
        enabled          = true
        ingressClassName = var.ingress.class_name
        annotations      = var.ingress.annotations
        hosts            = [var.grafana_host]
        path             = "/"
        pathType         = "Prefix"
        tls              = local.tls ? [{ secretName = "grafana-tls", hosts = [var.grafana_host] }] : []
      }
      # Login required: no anonymous access, no self sign-up; the admin
      # creates the other accounts. Secure cookies wherever there is TLS.
      # Set through environment variables (Grafana's GF_<SECTION>_<KEY>)
      # rather than grafana.ini, whose free-form sections no values file
      # lists.
      env = {
        GF_SERVER_ROOT_URL             = local.grafana_url
        GF_AUTH_ANONYMOUS_ENABLED      = "false"
        GF_USERS_ALLOW_SIGN_UP         = "false"
        GF_USERS_ALLOW_ORG_CREATE      = "false"
        GF_SECURITY_COOKIE_SECURE      = tostring(local.tls)
        GF_SECURITY_DISABLE_GRAVATAR   = "true"
        GF_ANALYTICS_REPORTING_ENABLED = "false"
        GF_ANALYTICS_CHECK_FOR_UPDATES = "false"
      }
      # Everything Grafana shows is provisioned (dashboards from ConfigMaps,
      # data sources, admin from the Secret): no PVC to size or back up.
      persistence   = { enabled = false }
      testFramework = { enabled = false }
      resources     = local.res.grafana
      sidecar       = { resources = local.res.sidecar }
      plugins       = ["victoriametrics-logs-datasource@${var.victorialogs_plugin_version}"]
      additionalDataSources = [{
        name      = "VictoriaLogs"
        uid       = "victorialogs"
        type      = "victoriametrics-logs-datasource"
        access    = "proxy"
        url       = local.logs_url
        isDefault = false
        editable  = false
      }]
    }
  })]

  depends_on = [kubectl_manifest.namespace, kubectl_manifest.grafana_admin, kubectl_manifest.alertmanager_config]
}

# Logs: VictoriaLogs, single server, in the logging role's namespace (infra).
resource "helm_release" "victoria_logs" {
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = "victoria-logs"
  namespace       = var.logs_namespace
  repository      = var.logs_chart.repository
  chart           = var.logs_chart.chart
  version         = var.logs_chart.version
  max_history     = 5

  values = [yamlencode({
    server = {
      fullnameOverride = local.logs_service
      # Time and size bounds: whichever is reached first drops the oldest
      # days.
      retentionPeriod         = var.logs_retention
      retentionDiskSpaceUsage = local.logs_retention_gi
      persistentVolume = merge({
        enabled = true
        size    = "${var.logs_volume_gi}Gi"
      }, local.storage_class)
      # The chart's default pod and container security contexts already run
      # it as a non-root user without capabilities.
      resources = local.res.victorialogs
    }
  })]
}

# One collector pod per node reads every container's log files and ships
# them to VictoriaLogs.
resource "helm_release" "victoria_logs_collector" {
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = "victoria-logs-collector"
  namespace       = var.logs_namespace
  repository      = var.log_collector_chart.repository
  chart           = var.log_collector_chart.chart
  version         = var.log_collector_chart.version
  max_history     = 5

  values = [yamlencode({
    remoteWrite = [{ url = "http://${local.logs_service}.${var.logs_namespace}.svc:9428" }]
    resources   = local.res.collector
  })]

  depends_on = [helm_release.victoria_logs]
}

resource "kubectl_manifest" "pod_monitor" {
  for_each          = local.pod_monitors
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "PodMonitor"
    metadata = {
      name      = each.key
      namespace = var.namespace
      labels    = local.common_labels
    }
    spec = {
      selector          = { matchLabels = each.value.labels }
      namespaceSelector = { matchNames = [each.value.namespace] }
      podMetricsEndpoints = [{
        portNumber = each.value.port
        path       = "/metrics"
        interval   = "60s"
      }]
    }
  })
  # The CRDs come with the chart.
  depends_on = [helm_release.kube_prometheus_stack]
}

resource "kubectl_manifest" "alerts" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "PrometheusRule"
    metadata = {
      name      = "platform-alerts"
      namespace = var.namespace
      labels    = local.common_labels
    }
    spec = { groups = local.alert_groups }
  })
  depends_on = [helm_release.kube_prometheus_stack]
}
