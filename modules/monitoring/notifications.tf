# Where alerts go: Alertmanager's configuration, in a Secret of ours that
# the chart does not render (useExistingSecret), so that the relay's login
# and the heartbeat URL never pass through the Helm values.
# - critical alerts, and a node that stops answering, to alert_email at
#   once, repeated every 4 hours while they fire, one mail per alert name
#   whatever the number of pods or volumes behind it;
# - everything else of severity warning in one mail a day;
# - info and the chart's InfoInhibitor nowhere (Grafana shows them);
# - the always-firing Watchdog to heartbeat_url, when set, so that a dead
#   cluster (or a dead Alertmanager) is noticed from outside.
# Mail leaves through the platform's outbound relay directly, not through
# Mailu: an alert that Mailu, its volume or Traefik's mail ports are down
# must not depend on them.
locals {
  # The name the operator reads when the Alertmanager object names none:
  # alertmanager-<its name>, the chart's kube-prometheus-stack-alertmanager.
  alertmanager_secret = "alertmanager-kube-prometheus-stack-alertmanager"
  mail_enabled        = length(var.alert_email) > 0
  smtp_set            = nonsensitive(var.smtp != null)
  heartbeat           = nonsensitive(var.heartbeat_url != "")

  # Nodes gone: the chart's own alerts (severity warning), mailed at once,
  # and the reason to hold back every warning they cause elsewhere.
  node_down_alerts = "KubeNodeNotReady|KubeNodeUnreachable"

  email_receiver = {
    to            = join(", ", var.alert_email)
    send_resolved = true
  }

  alertmanager_config = {
    # (for … if, not a conditional: one between these two objects would
    # turn them into a map of strings, and smtp_require_tls into "true",
    # which Alertmanager refuses)
    global = merge({ resolve_timeout = "5m" }, [for g in [{
      smtp_smarthost     = try(var.smtp.smarthost, "")
      smtp_from          = try(var.smtp.from, "")
      smtp_auth_username = try(var.smtp.username, "")
      smtp_auth_password = try(var.smtp.password, "")
      smtp_require_tls   = true
    }] : g if local.mail_enabled && local.smtp_set]...)

    # The window of the daily digest. UTC: Alertmanager's image carries no
    # time zone data, so a `location` would stop it from loading its
    # configuration. Half an hour holds at least one of the digest route's
    # 15-minute flushes.
    time_intervals = [{
      name = "daily-digest"
      time_intervals = [{
        times = [{ start_time = format("%02d:00", var.digest_utc_hour), end_time = format("%02d:30", var.digest_utc_hour) }]
      }]
    }]

    route = {
      receiver        = "null"
      group_by        = ["alertname"]
      group_wait      = "30s"
      group_interval  = "5m"
      repeat_interval = "4h"
      routes = concat(
        [
          {
            receiver        = local.heartbeat ? "heartbeat" : "null"
            matchers        = ["alertname = \"Watchdog\""]
            group_wait      = "0s"
            group_interval  = "1m"
            repeat_interval = "5m"
          },
          { receiver = "null", matchers = ["alertname = \"InfoInhibitor\""] },
          { receiver = "null", matchers = ["severity =~ \"info|none\""] },
        ],
        # (for … if: a conditional needs both tuples of one type)
        [for r in [
          { receiver = "operators-critical", matchers = ["alertname =~ \"${local.node_down_alerts}\""] },
          { receiver = "operators-critical", matchers = ["severity = \"critical\""] },
          {
            # Warnings, and any alert without a severity: a flush every
            # 15 minutes, sent only inside the window; 23 h so that the
            # next day's flush in the window is due again.
            receiver              = "operators-digest"
            group_by              = ["severity"]
            group_wait            = "1m"
            group_interval        = "15m"
            repeat_interval       = "23h"
            active_time_intervals = ["daily-digest"]
          },
        ] : r if local.mail_enabled],
      )
    }

    inhibit_rules = [
      # The chart's defaults: the more severe alert of the same name and
      # namespace hides the others; InfoInhibitor hides info alerts.
      {
        source_matchers = ["severity = critical"]
        target_matchers = ["severity =~ warning|info"]
        equal           = ["namespace", "alertname"]
      },
      {
        source_matchers = ["severity = warning"]
        target_matchers = ["severity = info"]
        equal           = ["namespace", "alertname"]
      },
      {
        source_matchers = ["alertname = InfoInhibitor"]
        target_matchers = ["severity = info"]
        equal           = ["namespace"]
      },
      # A node down takes its pods, targets and volumes with it: while one
      # is, the warnings of the whole cluster wait (the node's own alert is
      # mailed at once).
      {
        source_matchers = ["alertname =~ \"${local.node_down_alerts}\""]
        target_matchers = ["severity =~ \"warning|info\"", "alertname !~ \"${local.node_down_alerts}\""]
      },
    ]

    receivers = concat(
      [{ name = "null" }],
      [for r in [{
        name            = "heartbeat"
        webhook_configs = [{ url = var.heartbeat_url, send_resolved = false }]
      }] : r if local.heartbeat],
      [for r in [
        { name = "operators-critical", email_configs = [local.email_receiver] },
        { name = "operators-digest", email_configs = [local.email_receiver] },
      ] : r if local.mail_enabled],
    )
  }
}

resource "kubectl_manifest" "alertmanager_config" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata = {
      name      = local.alertmanager_secret
      namespace = var.namespace
      labels    = local.common_labels
    }
    data = { "alertmanager.yaml" = base64encode(yamlencode(local.alertmanager_config)) }
  })
  depends_on = [kubectl_manifest.namespace]

  lifecycle {
    precondition {
      condition     = !var.require_alert_email || local.mail_enabled
      error_message = "prod needs somewhere to send alerts: set alert_email (for example [\"ops@fullfrontend.be\"]) in the secrets file, or every alert (failed backup, certificate not renewed, full volume) reaches nobody (README.md, \"Alertes\")."
    }
    precondition {
      condition     = !local.mail_enabled || local.smtp_set
      error_message = "alert_email is set but no outbound relay is: set mailu_relay_host and its login in the secrets file, Alertmanager sends through it (DigitalOcean blocks port 25)."
    }
  }
}
