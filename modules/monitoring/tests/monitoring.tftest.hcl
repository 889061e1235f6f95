# The monitoring module's contract, checked from a plan with mocked providers.
mock_provider "helm" {}
mock_provider "kubectl" {}
mock_provider "random" {}

variables {
  prometheus_chart    = { repository = "https://prometheus-community.github.io/helm-charts", chart = "kube-prometheus-stack", version = "88.5.3" }
  logs_chart          = { repository = "https://victoriametrics.github.io/helm-charts/", chart = "victoria-logs-single", version = "0.13.9" }
  log_collector_chart = { repository = "https://victoriametrics.github.io/helm-charts/", chart = "victoria-logs-collector", version = "0.3.7" }
  grafana_host        = "grafana.fullfrontend.be"
}

run "prod" {
  command = plan
  variables {
    ingress                = { class_name = "traefik", tls = true, annotations = { "cert-manager.io/cluster-issuer" = "letsencrypt-prod" } }
    grafana_admin_password = "a-long-enough-test-password"
  }
  assert {
    condition = alltrue([
      for c in ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"] :
      yamldecode(helm_release.kube_prometheus_stack.values[0])[c].enabled == false
    ])
    error_message = "the control-plane scrapers a managed DOKS does not expose must be off"
  }
  assert {
    condition     = yamldecode(helm_release.kube_prometheus_stack.values[0]).prometheus.prometheusSpec.retention == "15d" && yamldecode(helm_release.kube_prometheus_stack.values[0]).prometheus.prometheusSpec.retentionSize == "8GiB"
    error_message = "Prometheus retention must be bounded in time and in size (80 % of the 10 GiB volume)"
  }
  assert {
    condition     = yamldecode(helm_release.kube_prometheus_stack.values[0]).prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage == "10Gi" && yamldecode(helm_release.kube_prometheus_stack.values[0]).alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage == "1Gi"
    error_message = "Prometheus and Alertmanager keep their data on PVCs"
  }
  assert {
    condition     = yamldecode(helm_release.kube_prometheus_stack.values[0]).grafana.ingress.hosts == ["grafana.fullfrontend.be"] && yamldecode(helm_release.kube_prometheus_stack.values[0]).grafana.ingress.ingressClassName == "traefik" && yamldecode(helm_release.kube_prometheus_stack.values[0]).grafana.ingress.annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod" && length(yamldecode(helm_release.kube_prometheus_stack.values[0]).grafana.ingress.tls) == 1
    error_message = "Grafana is served at grafana.<root_domain> through Traefik with TLS in prod"
  }
  assert {
    condition     = yamldecode(helm_release.kube_prometheus_stack.values[0]).grafana.env.GF_AUTH_ANONYMOUS_ENABLED == "false" && yamldecode(helm_release.kube_prometheus_stack.values[0]).grafana.env.GF_USERS_ALLOW_SIGN_UP == "false" && yamldecode(helm_release.kube_prometheus_stack.values[0]).grafana.admin.existingSecret == "grafana-admin"
    error_message = "Grafana requires a login: anonymous access and sign-up off, admin from the Secret"
  }
  assert {
    condition     = !strcontains(helm_release.kube_prometheus_stack.values[0], "a-long-enough-test-password") && length(random_password.grafana_admin) == 0
    error_message = "the admin password from the secrets goes into the Secret only, never into the Helm values"
  }
  assert {
    condition     = helm_release.victoria_logs.namespace == "infra" && helm_release.victoria_logs_collector.namespace == "infra" && yamldecode(helm_release.victoria_logs_collector.values[0]).remoteWrite[0].url == "http://victoria-logs.infra.svc:9428"
    error_message = "logs run in infra and the collector ships to VictoriaLogs"
  }
  assert {
    condition     = yamldecode(helm_release.victoria_logs.values[0]).server.retentionPeriod == "14d" && yamldecode(helm_release.victoria_logs.values[0]).server.retentionDiskSpaceUsage == 8
    error_message = "log retention must be bounded in time and size"
  }
  assert {
    condition     = toset(keys(kubectl_manifest.pod_monitor)) == toset(["velero", "cert-manager"])
    error_message = "Velero and cert-manager must be scraped in prod"
  }
  assert {
    condition     = toset(output.alert_names) == toset(["VeleroBackupFailed", "VeleroBackupTooOld", "VeleroScheduleNeverSucceeded", "VeleroMetricsMissing", "CertificateExpiringSoon", "PersistentVolumeClaimAlmostFull", "NodeMemoryPressure"])
    error_message = "the platform alerts are missing or renamed"
  }
  assert {
    condition = (
      { for r in flatten([for g in yamldecode(nonsensitive(kubectl_manifest.alerts.yaml_body)).spec.groups : g.rules]) : r.alert => r.expr }["CertificateExpiringSoon"] == "certmanager_certificate_expiration_timestamp_seconds - time() < 1209600" &&
      { for r in flatten([for g in yamldecode(nonsensitive(kubectl_manifest.alerts.yaml_body)).spec.groups : g.rules]) : r.alert => r.expr }["PersistentVolumeClaimAlmostFull"] == "kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > 0.8" &&
      { for r in flatten([for g in yamldecode(nonsensitive(kubectl_manifest.alerts.yaml_body)).spec.groups : g.rules]) : r.alert => r.expr }["VeleroBackupTooOld"] == "time() - velero_backup_last_successful_timestamp{schedule!=\"\"} > 93600" &&
      { for r in flatten([for g in yamldecode(nonsensitive(kubectl_manifest.alerts.yaml_body)).spec.groups : g.rules]) : r.alert => r.expr }["NodeMemoryPressure"] == "kube_node_status_condition{condition=\"MemoryPressure\",status=\"true\"} == 1"
    )
    error_message = "alert thresholds: certificates under 14 days, PVC over 80 %, backup older than 26 h"
  }
  assert {
    condition     = output.grafana_url == "https://grafana.fullfrontend.be" && nonsensitive(output.grafana_admin_password) == "a-long-enough-test-password"
    error_message = "Grafana's URL is https in prod and the admin password is the one from the secrets"
  }
}

run "dev" {
  command = plan
  variables {
    grafana_host         = "grafana.fullfrontend.kube"
    cert_manager_enabled = false
  }
  assert {
    condition     = yamldecode(helm_release.kube_prometheus_stack.values[0]).grafana.ingress.tls == [] && length(yamldecode(helm_release.kube_prometheus_stack.values[0]).grafana.ingress.annotations) == 0
    error_message = "dev has no TLS and no cert-manager annotation"
  }
  assert {
    condition     = length(random_password.grafana_admin) == 1
    error_message = "without a password in the secrets, one is generated"
  }
  assert {
    condition     = keys(kubectl_manifest.pod_monitor) == ["velero"]
    error_message = "dev has no cert-manager to scrape"
  }
  assert {
    condition     = output.grafana_url == "http://grafana.fullfrontend.kube"
    error_message = "dev serves Grafana over plain http"
  }
}

run "refuses_short_grafana_password" {
  command = plan
  variables {
    grafana_admin_password = "admin"
  }
  expect_failures = [var.grafana_admin_password]
}

run "refuses_logs_retention_under_a_day" {
  command = plan
  variables {
    logs_retention = "12h"
  }
  expect_failures = [var.logs_retention]
}
