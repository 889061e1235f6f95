locals {
  # Release mailu: the chart's fullname is then mailu (the release name
  # contains the chart's), so its Services are mailu-front, mailu-admin, ...
  # and the mail ports' Service mailu-front-ext (front/service-external.yaml).
  release       = "mailu"
  front_service = "${local.release}-front"
  mail_service  = "${local.release}-front-ext"
  valkey        = "${local.release}-valkey"
  secret_name   = "${local.release}-secrets"

  # Every pod of the release (mailu.labels.matchLabels) and the front pods,
  # which alone receive traffic from Traefik.
  release_labels = {
    "app.kubernetes.io/name"     = "mailu"
    "app.kubernetes.io/instance" = local.release
  }
  front_labels = merge(local.release_labels, { "app.kubernetes.io/component" = "front" })

  hostnames = concat([var.app.host], values(var.app.hosts))

  # The mail ports published through Traefik's load balancer (tcp.tf), by
  # Traefik entry point (the same names as the chart's ports).
  mail_ports = var.mail_entrypoints

  pvcs = {
    mail     = "mailu-mail"
    queue    = "mailu-queue"
    admin    = "mailu-admin"
    antispam = "mailu-antispam"
    webmail  = "mailu-webmail"
  }

  # Mailu documents 1 GB of memory plus 1 GB of swap without ClamAV
  # (requirements page); DOKS nodes have no swap. The requests add up to
  # about that gigabyte, the limits to memory and swap; each figure and its
  # source is in docs/capacity.md.
  resources = {
    front    = { requests = { cpu = "25m", memory = "100Mi" }, limits = { memory = "256Mi" } }
    admin    = { requests = { cpu = "25m", memory = "192Mi" }, limits = { memory = "512Mi" } }
    postfix  = { requests = { cpu = "25m", memory = "128Mi" }, limits = { memory = "512Mi" } }
    dovecot  = { requests = { cpu = "25m", memory = "128Mi" }, limits = { memory = "512Mi" } }
    rspamd   = { requests = { cpu = "100m", memory = "512Mi" }, limits = { memory = "1Gi" } }
    webmail  = { requests = { cpu = "25m", memory = "100Mi" }, limits = { memory = "256Mi" } }
    valkey   = { requests = { cpu = "10m", memory = "32Mi" }, limits = { memory = "96Mi" } }
    accounts = { requests = { cpu = "50m", memory = "128Mi" }, limits = { memory = "256Mi" } }
    # nginx serving one small file (mta_sts.tf).
    mta_sts = { requests = { cpu = "5m", memory = "16Mi" }, limits = { memory = "32Mi" } }
  }

  relay_host = try(nonsensitive(var.relay.host), null)

  db = {
    host     = nonsensitive(var.database.host)
    port     = tostring(nonsensitive(var.database.port))
    database = nonsensitive(var.database.database)
    user     = nonsensitive(var.database.user)
  }

  # What our Secret holds: SECRET_KEY, the relay's login and the DKIM key.
  secret_data = merge(
    { secret-key = var.secret_key, dkim-key = local.dkim_private_key_pem },
    local.relay_host == null ? {} : { relay-username = var.relay.username, relay-password = var.relay.password },
  )
}

# Namespace, PVCs, NetworkPolicy (Traefik to the front's web and mail
# ports), the Secret mailu-postgres and the Velero Schedule mailu-daily.
module "common" {
  source   = "../../app-common"
  app      = var.app
  platform = var.platform
  database = var.database
  # baseline: Mailu's images start as root (nginx, Postfix and Dovecot bind
  # their ports and drop privileges themselves), which restricted refuses.
  pod_security = "baseline"
  volumes      = { for k, name in local.pvcs : name => { size = var.storage[k] } if k != "webmail" || var.webmail }
  # The web UI (admin, webmail, autoconfig) on the front's port 80, in every
  # host of the app; TLS ends at Traefik (prod: the certificate mailu-tls,
  # also the mail ports' certificate, see tls.tf).
  routes = [for h in concat([""], keys(var.app.hosts)) : { host = h, service = local.front_service, port = 80 }]
  # Traefik alone reaches the front's ports: its mail ports trust the PROXY
  # header (trust.tf has the rest of Mailu's policies).
  network_policy = {
    pod_selector  = local.front_labels
    ports         = concat([80], values(local.mail_ports))
    own_namespace = false
  }
}

resource "kubectl_manifest" "secrets" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata   = { name = local.secret_name, namespace = module.common.namespace, labels = module.common.labels }
    data       = { for k, v in local.secret_data : k => base64encode(v) }
  })
  depends_on = [module.common]
}

resource "helm_release" "mailu" {
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = local.release
  namespace       = module.common.namespace
  repository      = var.chart.repository
  chart           = var.chart.chart
  version         = var.chart.version
  max_history     = 5
  timeout         = 900
  depends_on      = [kubectl_manifest.secrets, kubectl_manifest.valkey, kubectl_manifest.tls]

  values = [yamlencode({
    mailuVersion = var.mailu_version
    domain       = var.domain
    hostnames    = local.hostnames
    timezone     = "Etc/UTC"
    logLevel     = "WARNING"

    existingSecret = local.secret_name
    # Our provisioning Job creates the accounts (accounts.tf); no admin with
    # a password in the release.
    initialAccount = { enabled = false }
    api            = { enabled = false }

    # The pod network: Postfix accepts XCLIENT from it and rspamd counts it
    # as local. Postfix's relay networks are emptied below and only the
    # front reaches Postfix (trust.tf), so no pod relays without logging in.
    subnet = var.pod_cidr

    postmaster = "postmaster"
    dmarc      = { rua = var.dmarc.report_to, ruf = "" }
    limits     = { messageSizeLimitInMegabytes = var.message_size_limit_mb }

    # Outbound mail through the relay (DigitalOcean blocks port 25 out).
    # No relay networks: only authenticated users send to other domains.
    externalRelay = merge(
      { host = local.relay_host == null ? "" : local.relay_host, networks = [] },
      local.relay_host == null ? {} : { existingSecret = local.secret_name, usernameKey = "relay-username", passwordKey = "relay-password" },
    )

    welcomeMessage = {
      enabled = true
      subject = "Bienvenue sur la messagerie Full Frontend"
      body    = "Bienvenue. Changez votre mot de passe initial dans https://${var.app.host}/admin avant toute chose."
    }
    customization = { siteName = "Full Frontend Mail", website = "https://${var.domain}" }

    externalDatabase = {
      enabled  = true
      type     = "postgresql"
      host     = local.db.host
      port     = local.db.port
      database = local.db.database
      username = local.db.user
      # The chart takes the database and user from the two keys above and
      # only the password from the Secret.
      existingSecret            = module.common.database_secret
      existingSecretPasswordKey = "password"
    }
    # Roundcube in the same database and with the same user: its tables
    # (users, session, cache*, contacts, ...) do not meet Mailu's (user,
    # domain, alias, ...), and the platform gives each app one database.
    global = {
      database = {
        roundcube = {
          database                  = local.db.database
          username                  = local.db.user
          existingSecret            = module.common.database_secret
          existingSecretPasswordKey = "password"
        }
      }
    }
    # Mailu's Redis client has no password: its own Valkey in this
    # namespace (valkey.tf), not the shared one.
    externalRedis = { enabled = true, host = "${local.valkey}.${module.common.namespace}.svc.cluster.local", port = 6379 }

    # The chart's Bitnami subcharts (forbidden), off.
    redis      = { enabled = false }
    postgresql = { enabled = false }
    mariadb    = { enabled = false }

    # One PVC per component, ours (app-common): DigitalOcean volumes mount
    # on one node, so the chart's single shared claim would pin every pod
    # to the same node.
    persistence = { single_pvc = false }

    # Our Ingress (app-common) publishes the web UI; TLS ends at Traefik.
    ingress = {
      enabled = false
      # TLS for the mail protocols only; web on plain port 80 behind Traefik.
      tlsFlavorOverride = "mail"
      # The certificate of the mail ports (tls.tf) is the Ingress's.
      existingSecret = module.common.tls_secret
      # Empty, not left out: the chart refuses any realIpHeader (its default
      # is X-Forwarded-For) once PROXY protocol is on for a port. The web UI
      # still sees the client: front's nginx reads X-Real-IP, its default
      # header, which Traefik sets to the peer it saw.
      realIpHeader = ""
      # Traefik's pods: the only senders of X-Real-IP and of the PROXY
      # protocol header front trusts.
      realIpFrom = var.pod_cidr
      # Every published mail port receives the client's real address from
      # Traefik (PROXY protocol v2, tcp.tf): without it, every client would
      # come from a pod address, inside the trusted network. The chart reads
      # this only for the ports front.externalService publishes.
      proxyProtocol = { imaps = true, smtp = true, smtps = true, submission = true }
    }

    front = {
      # No host ports (Pod Security baseline refuses them): the mail ports
      # come through Traefik to the Service mailu-front-ext.
      hostPort = { enabled = false }
      externalService = {
        enabled = true
        type    = "ClusterIP"
        ports = {
          pop3 = false, pop3s = false, imap = false, imaps = true,
          smtp = true, smtps = true, submission = true, manageSieve = false,
        }
      }
      resources = local.resources.front
    }

    admin = {
      resources = local.resources.admin
      # Its volume is ReadWriteOnce (DO block storage): a rolling update's
      # new pod could never attach it while the old one runs.
      updateStrategy = { type = "Recreate" }
      persistence    = { existingClaim = local.pvcs.admin }
      # The DKIM key from OpenTofu (dns.tf), where Mailu reads it
      # (DKIM_PATH /dkim/{domain}.{selector}.key) and hands it to rspamd.
      extraVolumes = [{
        name   = "dkim"
        secret = { secretName = local.secret_name, items = [{ key = "dkim-key", path = "key.pem" }] }
      }]
      extraVolumeMounts = [{
        name      = "dkim"
        mountPath = "/dkim/${var.domain}.${var.dkim_selector}.key"
        subPath   = "key.pem"
        readOnly  = true
      }]
      # The key never changes by itself (dns.tf). If it is ever replaced,
      # restart admin: a subPath mount is not refreshed (README.md, DNS).
    }

    postfix = {
      resources      = local.resources.postfix
      updateStrategy = { type = "Recreate" } # ReadWriteOnce volume, as admin
      persistence    = { existingClaim = local.pvcs.queue }
      # trust.tf: no relay networks, and the port Dovecot's forwards and
      # vacation replies leave by.
      overrides = local.postfix_overrides
    }

    dovecot = {
      # trust.tf: forwards and vacation replies through Postfix's port for
      # Dovecot, not through the public name.
      overrides      = local.dovecot_overrides
      resources      = local.resources.dovecot
      updateStrategy = { type = "Recreate" } # ReadWriteOnce volume, as admin
      persistence    = { existingClaim = local.pvcs.mail }
    }

    rspamd = {
      resources      = local.resources.rspamd
      updateStrategy = { type = "Recreate" } # ReadWriteOnce volume, as admin
      persistence    = { existingClaim = local.pvcs.antispam }
    }

    # ClamAV needs 1-2 GiB of memory (its signatures): off, rspamd still
    # rejects spam and dangerous attachments by type.
    clamav = { enabled = false }

    webmail = {
      enabled        = var.webmail
      resources      = local.resources.webmail
      updateStrategy = { type = "Recreate" } # ReadWriteOnce volume, as admin
      persistence    = { existingClaim = local.pvcs.webmail }
    }

    # Contacts and calendars are Nextcloud's; no external mailboxes to fetch;
    # no macro scan or full-text indexing (memory).
    webdav    = { enabled = false }
    fetchmail = { enabled = false }
    oletools  = { enabled = false }
    tika      = { enabled = false }
  })]

  lifecycle {
    precondition {
      condition     = !var.require_relay || local.relay_host != null
      error_message = "prod mail needs an outbound relay: DigitalOcean blocks outbound port 25, so Mailu could receive but never deliver to other domains. Set mailu_relay_host (for example [smtp.eu.mailgun.org]:587), put mailu_relay_username and mailu_relay_password in the SOPS secrets, and add the relay's SPF domain to mail_spf_includes (README.md, \"Mail\")."
    }
    precondition {
      condition     = length(var.users) == 0 || contains(concat(keys(var.users), keys(var.aliases)), var.dmarc.report_to)
      error_message = "mail_dmarc.report_to (${var.dmarc.report_to}) is neither a key of mail_users nor of mail_aliases: DMARC reports would bounce. Add an alias ${var.dmarc.report_to} = { destinations = [\"<a user>\"] } to mail_aliases."
    }
    precondition {
      condition     = local.relay_host == null || (nonsensitive(var.relay.username != "") && nonsensitive(var.relay.password != ""))
      error_message = "mailu_relay_host is set but mailu_relay_username or mailu_relay_password is empty: put the relay's login in the SOPS secrets (secrets.tfvars.example)."
    }
  }
}
