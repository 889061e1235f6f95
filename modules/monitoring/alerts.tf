# The platform's own alerts, beside the chart's default rules. Metric names
# are those of the versions the platform runs: Velero 1.18
# (pkg/metrics/metrics.go, label `schedule`), cert-manager's controller,
# the kubelet and kube-state-metrics.
locals {
  backup_max_age_seconds = var.backup_max_age_hours * 3600
  certificate_min_secs   = var.certificate_min_days * 86400

  alert_groups = [
    {
      name = "backups"
      rules = [
        {
          # Set to 0 by Velero when a backup of the schedule ends Failed,
          # PartiallyFailed or FailedValidation; back to 1 on the next success.
          alert  = "VeleroBackupFailed"
          expr   = "velero_backup_last_status{schedule!=\"\"} == 0"
          for    = "5m"
          labels = { severity = "critical" }
          annotations = {
            summary     = "Velero backup of schedule {{ $labels.schedule }} failed"
            description = "The last backup of {{ $labels.schedule }} did not complete. Check it with: velero backup get; velero backup logs <name> (namespace infra)."
          }
        },
        {
          # Velero recomputes this gauge from the existing Backup objects
          # every minute, so it survives restarts of Velero.
          alert  = "VeleroBackupTooOld"
          expr   = "time() - velero_backup_last_successful_timestamp{schedule!=\"\"} > ${local.backup_max_age_seconds}"
          for    = "15m"
          labels = { severity = "critical" }
          annotations = {
            summary     = "No successful backup of {{ $labels.schedule }} for more than ${var.backup_max_age_hours} hours"
            description = "The last successful backup of {{ $labels.schedule }} is {{ $value | humanizeDuration }} old: the daily backup is missing."
          }
        },
        {
          # A schedule Velero knows (its counters exist from the start) that
          # has never produced a successful backup.
          alert  = "VeleroScheduleNeverSucceeded"
          expr   = "velero_backup_attempt_total{schedule!=\"\"} unless on (schedule) velero_backup_last_successful_timestamp{schedule!=\"\"}"
          for    = "${var.backup_max_age_hours}h"
          labels = { severity = "critical" }
          annotations = {
            summary     = "Schedule {{ $labels.schedule }} has never backed up successfully"
            description = "Velero has known the schedule {{ $labels.schedule }} for ${var.backup_max_age_hours} hours without one successful backup."
          }
        },
        {
          # Without Velero's metrics none of the alerts above can fire.
          alert  = "VeleroMetricsMissing"
          expr   = "absent(velero_backup_total)"
          for    = "30m"
          labels = { severity = "critical" }
          annotations = {
            summary     = "Velero exposes no metrics: backups are not monitored"
            description = "Prometheus has no velero_backup_total series for 30 minutes: Velero is down or its PodMonitor no longer matches its pods."
          }
        },
      ]
    },
    {
      name = "certificates"
      rules = [
        {
          # cert-manager renews 30 days before expiry (Let's Encrypt's
          # 90-day certificates): under the threshold, renewal is failing.
          alert  = "CertificateExpiringSoon"
          expr   = "certmanager_certificate_expiration_timestamp_seconds - time() < ${local.certificate_min_secs}"
          for    = "1h"
          labels = { severity = "warning" }
          annotations = {
            summary     = "Certificate {{ $labels.name }} expires in less than ${var.certificate_min_days} days"
            description = "Certificate {{ $labels.name }} ({{ $labels.exported_namespace }}) expires in {{ $value | humanizeDuration }} and has not been renewed: kubectl describe certificate {{ $labels.name }}."
          }
        },
      ]
    },
    {
      name = "storage"
      rules = [
        {
          alert  = "PersistentVolumeClaimAlmostFull"
          expr   = "kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > ${var.pvc_usage_ratio}"
          for    = "15m"
          labels = { severity = "warning" }
          annotations = {
            summary     = "PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is more than ${floor(var.pvc_usage_ratio * 100)} % full"
            description = "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full. Raise the size of the claim (DigitalOcean volumes grow online) or clean up."
          }
        },
      ]
    },
    {
      name = "nodes"
      rules = [
        {
          alert  = "NodeMemoryPressure"
          expr   = "kube_node_status_condition{condition=\"MemoryPressure\",status=\"true\"} == 1"
          for    = "5m"
          labels = { severity = "critical" }
          annotations = {
            summary     = "Node {{ $labels.node }} is under memory pressure"
            description = "The kubelet of {{ $labels.node }} reports MemoryPressure and evicts pods. Add a node (raise the pool's maximum) or lower the memory requests."
          }
        },
      ]
    },
  ]
}
