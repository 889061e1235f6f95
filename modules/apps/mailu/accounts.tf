# Domains, users and aliases are data in the stack (mail_users,
# mail_aliases), applied by a Job that runs files/accounts.py with the admin
# image. Its name hashes what it applies: a change runs a new Job, as the
# database init Jobs do (a finished Job is gone after 10 minutes and the next
# apply recreates it, with nothing left to change).
resource "random_password" "initial" {
  for_each = var.users
  length   = 20
  special  = false
}

locals {
  address = { for l, _ in var.users : l => "${l}@${var.domain}" }
  # Destinations: a local part of the domain or a full address.
  accounts = {
    domain = var.domain
    users = [for l, u in var.users : {
      localpart      = l
      email          = local.address[l]
      displayed_name = u.display_name
      global_admin   = u.admin
      enabled        = u.enabled
      quota_bytes    = u.quota_mb * 1024 * 1024
    }]
    aliases = [for l, a in var.aliases : {
      email       = "${l}@${var.domain}"
      destination = [for d in a.destinations : strcontains(d, "@") ? d : "${d}@${var.domain}"]
    }]
  }
  accounts_json   = jsonencode(local.accounts)
  accounts_script = file("${path.module}/files/accounts.py")
  # The users' set is in the hash (a new user runs the Job), their
  # passwords are not (the Job only reads a new user's).
  accounts_hash = substr(sha256("${local.accounts_json}${local.accounts_script}${var.mailu_version}"), 0, 10)
}

resource "kubectl_manifest" "accounts_config" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "mailu-accounts", namespace = module.common.namespace, labels = module.common.labels }
    data       = { "accounts.json" = local.accounts_json, "accounts.py" = local.accounts_script }
  })
  depends_on = [module.common]
}

resource "kubectl_manifest" "initial_passwords" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata   = { name = "mailu-initial-passwords", namespace = module.common.namespace, labels = module.common.labels }
    data       = { for l, p in random_password.initial : l => base64encode(p.result) }
  })
  depends_on = [module.common]
}

resource "kubectl_manifest" "accounts" {
  server_side_apply = true
  force_new         = true # a Job's pod template is immutable
  wait              = false
  yaml_body = yamlencode({
    apiVersion = "batch/v1"
    kind       = "Job"
    metadata   = { name = "mailu-accounts-${local.accounts_hash}", namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      ttlSecondsAfterFinished = 600
      # The first apply: admin creates Mailu's tables at its first start,
      # the Job retries until they exist.
      backoffLimit          = 10
      activeDeadlineSeconds = 1800
      template = {
        metadata = { labels = merge(module.common.labels, { "app.kubernetes.io/component" = "accounts" }) }
        spec = {
          restartPolicy   = "Never"
          securityContext = { seccompProfile = { type = "RuntimeDefault" } }
          containers = [{
            name    = "accounts"
            image   = "ghcr.io/mailu/admin:${var.mailu_version}"
            command = ["python3", "/config/accounts.py"]
            # admin's own configuration: the chart's ConfigMap and secrets.
            envFrom = [{ configMapRef = { name = "${local.release}-envvars" } }]
            env = [
              { name = "SECRET_KEY", valueFrom = { secretKeyRef = { name = local.secret_name, key = "secret-key" } } },
              { name = "DB_PW", valueFrom = { secretKeyRef = { name = module.common.database_secret, key = "password" } } },
            ]
            resources       = local.resources.accounts
            securityContext = { allowPrivilegeEscalation = false, capabilities = { drop = ["ALL"] } }
            volumeMounts = [
              { name = "config", mountPath = "/config", readOnly = true },
              { name = "passwords", mountPath = "/passwords", readOnly = true },
            ]
          }]
          volumes = [
            { name = "config", configMap = { name = "mailu-accounts" } },
            { name = "passwords", secret = { secretName = "mailu-initial-passwords" } },
          ]
        }
      }
    }
  })
  depends_on = [helm_release.mailu, kubectl_manifest.accounts_config, kubectl_manifest.initial_passwords]
}
