locals {
  # Release nextcloud: the chart's fullname is then nextcloud (the release
  # name contains the chart's), so its Service is nextcloud (8080 to the
  # container's 80) and its CronJob nextcloud-cron (templates/_helpers.tpl).
  release        = "nextcloud"
  service        = local.release
  service_port   = 8080
  container_port = 80

  pvc_name    = "nextcloud-data"
  secret_name = "nextcloud-secrets"
  middleware  = "nextcloud-dav-redirect"

  # The Deployment's pods (deployment.yaml: nextcloud.selectorLabels with
  # component app); the CronJob's pods carry component cronjob.
  app_selector = {
    "app.kubernetes.io/name"      = "nextcloud"
    "app.kubernetes.io/instance"  = local.release
    "app.kubernetes.io/component" = "app"
  }

  # TLS ends at Traefik: Nextcloud builds its links from these, not from the
  # plain http it receives.
  tls     = var.platform.ingress.tls
  url     = "${local.tls ? "https" : "http"}://${var.app.host}"
  storage = var.external_storage.enabled

  # Not secret; unmarked so that the Helm values stay readable in plans.
  redis = {
    host = nonsensitive(var.redis.host)
    port = nonsensitive(var.redis.port)
    db   = nonsensitive(var.redis.db)
  }
  db_host = "${nonsensitive(var.database.host)}:${nonsensitive(var.database.port)}"

  # Extra config files (config/*.config.php), read at every request after
  # config.php, so they win over what the installer wrote there. Secrets
  # stay in the environment (getenv), never in these files.
  platform_config = <<-PHP
    <?php
    // Managed by OpenTofu (modules/apps/nextcloud).
    $CONFIG = array (
      'trusted_domains' => array (0 => '${var.app.host}'),
      // Traefik's pods: Nextcloud then honours their X-Forwarded-* headers.
      'trusted_proxies' => array (${join(", ", [for c in var.trusted_proxies : "'${c}'"])}),
      'forwarded_for_headers' => array ('HTTP_X_FORWARDED_FOR'),
      // Links in mails, notifications and from cron.php.
      'overwrite.cli.url' => '${local.url}',
      ${local.tls ? "'overwriteprotocol' => 'https'," : "// No TLS in dev: Nextcloud sees plain http, as it is."}
      'default_phone_region' => '${var.default_phone_region}',
      // Heavy background jobs at night (01:00-05:00 UTC).
      'maintenance_window_start' => 1,
    );
    // The Secret nextcloud-postgres stays the source of truth: the installer
    // copies the credentials into config.php once and never again.
    if (getenv('POSTGRES_HOST')) {
      $CONFIG['dbhost'] = getenv('POSTGRES_HOST');
      $CONFIG['dbname'] = getenv('POSTGRES_DB');
      $CONFIG['dbuser'] = getenv('POSTGRES_USER');
      $CONFIG['dbpassword'] = getenv('POSTGRES_PASSWORD');
    }
  PHP

  # Replaces the chart's redis.config.php, which has no database index and
  # reads REDIS_HOST: set, that variable would also make the image's
  # entrypoint send PHP sessions to index 0 (see externalRedis below).
  redis_config = <<-PHP
    <?php
    // Managed by OpenTofu (modules/apps/nextcloud): the shared Valkey, on
    // Nextcloud's own index.
    $CONFIG = array (
      'memcache.distributed' => '\OC\Memcache\Redis',
      'memcache.locking' => '\OC\Memcache\Redis',
      'redis' => array (
        'host' => '${local.redis.host}',
        'port' => ${local.redis.port},
        'dbindex' => ${local.redis.db},
        'password' => (string) getenv('VALKEY_PASSWORD'),
        'timeout' => 1.5,
      ),
    );
  PHP

  # The image runs this as www-data before Apache starts, at every start
  # (nextcloud.hooks, mounted in /docker-entrypoint-hooks.d/before-starting).
  before_starting = <<-SH
    #!/bin/sh
    # Managed by OpenTofu (modules/apps/nextcloud).
    set -eu
    occ() { php /var/www/html/occ "$@"; }

    # Not installed or in maintenance: occ would fail and stop the container.
    status=$(occ status --output=json 2>/dev/null || true)
    case "$status" in *'"installed":true'*) ;; *) echo "before-starting: not installed, skipped"; exit 0 ;; esac
    case "$status" in *'"maintenance":false'*) ;; *) echo "before-starting: maintenance mode, skipped"; exit 0 ;; esac

    # Background jobs come from the CronJob nextcloud-cron, not page loads.
    occ background:cron
    ${local.storage ? "\n${local.storage_hook}" : ""}
  SH

  # Appended to the hook when external storage is on: the Spaces bucket for
  # every user, created once, then kept in step with the module's settings
  # and the SOPS keys.
  storage_hook = <<-SH
    # The Spaces bucket as external storage for every user.
    occ app:enable files_external
    mount_id=$(occ files_external:list --output=json | php -r '
      foreach (json_decode(stream_get_contents(STDIN), true) ?: [] as $m) {
        if ($m["mount_point"] === "${var.external_storage.mount_point}") { echo $m["mount_id"]; break; }
      }')
    if [ -z "$mount_id" ]; then
      occ files_external:create "${var.external_storage.mount_point}" amazons3 amazons3::accesskey \
        -c bucket="$SPACES_BUCKET" -c hostname="$SPACES_HOSTNAME" -c region="$SPACES_REGION" \
        -c port=443 -c use_ssl=true -c use_path_style=false \
        -c key="$SPACES_ACCESS_KEY_ID" -c secret="$SPACES_SECRET_ACCESS_KEY"
    else
      occ files_external:config "$mount_id" bucket "$SPACES_BUCKET"
      occ files_external:config "$mount_id" hostname "$SPACES_HOSTNAME"
      occ files_external:config "$mount_id" region "$SPACES_REGION"
      occ files_external:config "$mount_id" key "$SPACES_ACCESS_KEY_ID"
      occ files_external:config "$mount_id" secret "$SPACES_SECRET_ACCESS_KEY"
    fi
  SH

  # What our Secret holds: read by the chart as nextcloud.existingSecret
  # (admin login, first start only) and by the containers' environment.
  secret_data = merge(
    {
      nextcloud-username = var.admin_user
      nextcloud-password = var.admin_password
      valkey-password    = var.redis.password
    },
    local.storage ? {
      spaces-access-key-id     = var.spaces_access_key_id
      spaces-secret-access-key = var.spaces_secret_access_key
    } : {},
  )

  # Given to the Nextcloud container and the cron job alike (the chart's
  # nextcloud.env).
  extra_env = concat(
    [{ name = "VALKEY_PASSWORD", valueFrom = { secretKeyRef = { name = local.secret_name, key = "valkey-password" } } }],
    [for e in [
      { name = "SPACES_BUCKET", value = var.external_storage.bucket },
      { name = "SPACES_REGION", value = var.external_storage.region },
      { name = "SPACES_HOSTNAME", value = "${var.external_storage.region}.digitaloceanspaces.com" },
      { name = "SPACES_ACCESS_KEY_ID", valueFrom = { secretKeyRef = { name = local.secret_name, key = "spaces-access-key-id" } } },
      { name = "SPACES_SECRET_ACCESS_KEY", valueFrom = { secretKeyRef = { name = local.secret_name, key = "spaces-secret-access-key" } } },
    ] : e if local.storage],
  )

  # The CalDAV/CardDAV discovery paths, redirected by Traefik before they
  # reach Apache (whose .htaccess would answer with an http:// Location).
  # The scheme and host are captured: https in prod, http in dev.
  dav_regex       = "^(https?)://([^/]+)/\\.well-known/(?:card|cal)dav/?$"
  dav_replacement = "$${1}://$${2}/remote.php/dav"
}

# Namespace, PVC, NetworkPolicy, the Secret nextcloud-postgres and the Velero
# Schedule nextcloud-daily. No routes: app-common's Ingress cannot carry the
# middleware annotation, so the module writes its own (below).
module "common" {
  source   = "../../app-common"
  app      = var.app
  platform = var.platform
  database = var.database
  # baseline: the apache image starts as root (its entrypoint copies the
  # code with chown to www-data, Apache binds port 80 and then drops to
  # www-data), which restricted refuses. warn and audit stay restricted.
  pod_security = "baseline"
  # Our claim, mounted as the chart's persistence.existingClaim: it grows
  # with storage_size and Velero backs it up with the namespace.
  volumes = { (local.pvc_name) = { size = var.storage_size } }
  network_policy = {
    pod_selector = local.app_selector
    ports        = [local.container_port]
  }
}

# Our own Secret, named by nextcloud.existingSecret.secretName: the chart's
# Secret (with its placeholder password) is never rendered.
resource "kubectl_manifest" "secrets" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata = {
      name      = local.secret_name
      namespace = module.common.namespace
      labels    = module.common.labels
    }
    # base64 in data (not stringData): the provider masks a Secret's data in
    # plans and diffs.
    data = { for k, v in local.secret_data : k => base64encode(v) }
  })
  lifecycle {
    precondition {
      condition     = !local.storage || !contains(keys(var.reserved_buckets), var.external_storage.bucket)
      error_message = "nextcloud_external_storage.bucket is ${var.external_storage.bucket}, which holds ${lookup(var.reserved_buckets, var.external_storage.bucket, "")}: every Nextcloud user would see and change it. Create a bucket of its own for Nextcloud (for example ${var.external_storage.bucket}-files) and name it here."
    }
    precondition {
      condition     = !local.storage || nonsensitive(var.spaces_access_key_id != "")
      error_message = "nextcloud external storage is on (nextcloud_external_storage.enabled = true) but spaces_access_key_id is empty: set it in the SOPS secrets (secrets.tfvars.example), or turn the external storage off."
    }
    precondition {
      condition     = !local.storage || nonsensitive(var.spaces_secret_access_key != "")
      error_message = "nextcloud external storage is on (nextcloud_external_storage.enabled = true) but spaces_secret_access_key is empty: set it in the SOPS secrets (secrets.tfvars.example), or turn the external storage off."
    }
  }
  depends_on = [module.common]
}

# /.well-known/caldav and /.well-known/carddav to /remote.php/dav, where
# calendar and contact clients discover the server.
resource "kubectl_manifest" "dav_redirect" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "traefik.io/v1alpha1"
    kind       = "Middleware"
    metadata   = { name = local.middleware, namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      redirectRegex = {
        regex       = local.dav_regex
        replacement = local.dav_replacement
        permanent   = true
      }
    }
  })
  depends_on = [module.common]
}

# Like app-common's Ingress (class, cert-manager and external-dns
# annotations and TLS in prod only), plus the middleware.
resource "kubectl_manifest" "ingress" {
  server_side_apply = true
  wait              = false
  yaml_body = yamlencode({
    apiVersion = "networking.k8s.io/v1"
    kind       = "Ingress"
    metadata = {
      name      = local.release
      namespace = module.common.namespace
      labels    = module.common.labels
      annotations = merge(module.common.ingress_annotations, {
        "traefik.ingress.kubernetes.io/router.middlewares" = "${module.common.namespace}-${local.middleware}@kubernetescrd"
      })
    }
    spec = merge(
      {
        ingressClassName = module.common.ingress_class_name
        rules = [{
          host = var.app.host
          http = { paths = [{
            path     = "/"
            pathType = "Prefix"
            backend  = { service = { name = local.service, port = { number = local.service_port } } }
          }] }
        }]
      },
      local.tls ? { tls = module.common.ingress_tls } : {},
    )
  })
  depends_on = [kubectl_manifest.dav_redirect]
}

# Apache's workers sized to the container's memory limit, every worker at the
# image's PHP memory_limit (PHP_MEMORY_LIMIT=512M, Nextcloud's recommended
# 512 MB per process).
module "apache" {
  source               = "../../apache-prefork"
  name                 = "nextcloud-apache"
  namespace            = module.common.namespace
  labels               = module.common.labels
  memory_limit         = var.resources.nextcloud.limits.memory
  php_memory_limit_mib = 512
}

resource "helm_release" "nextcloud" {
  atomic          = true # docs/CONVENTIONS.md: a failed install is undone
  cleanup_on_fail = true
  name            = local.release
  namespace       = module.common.namespace
  repository      = var.chart.repository
  chart           = var.chart.chart
  version         = var.chart.version
  max_history     = 5
  # The first start pulls the image, copies the code onto the PVC and
  # installs Nextcloud in the database before status.php answers.
  timeout = 900

  values = [
    yamlencode({
      # The chart's appVersion with its default flavor (apache), written out
      # so that an upgrade is a visible change of image_tag; with a tag, the
      # chart reads no image.flavor.
      image = { registry = "docker.io", repository = "library/nextcloud", tag = var.image_tag, pullPolicy = "IfNotPresent" }

      podLabels = { "app.kubernetes.io/part-of" = var.app.name }
      # A new Apache config restarts the pod.
      podAnnotations = module.apache.pod_annotations

      replicaCount = 1
      hpa          = { enabled = false }

      nextcloud = {
        # Also the Host header of the chart's probes.
        host           = var.app.host
        trustedDomains = [var.app.host]
        # With existingSecret, the chart reads no nextcloud.password.
        existingSecret = {
          enabled     = true
          secretName  = local.secret_name
          usernameKey = "nextcloud-username"
          passwordKey = "nextcloud-password"
        }
        mail = { enabled = false }
        # One pod at a time: the PVC mounts on one node only.
        strategy = { type = "Recreate" }

        configs = {
          "platform.config.php" = local.platform_config
          "redis.config.php"    = local.redis_config
        }
        # Ours replaces it (same file name in the chart's ConfigMap).
        defaultConfigs = { "redis.config.php" = false }

        hooks = { before-starting = local.before_starting }

        extraEnv = local.extra_env

        # Apache's workers sized to the memory limit (modules/apache-prefork),
        # also mounted in the cron job (harmless there: no Apache).
        extraVolumes      = [module.apache.volume]
        extraVolumeMounts = [module.apache.volume_mount]

        # fsGroup 33 (www-data) as the chart's default; seccomp for the
        # cron job's restricted container and the baseline pod alike.
        podSecurityContext = {
          fsGroup             = 33
          fsGroupChangePolicy = "OnRootMismatch"
          seccompProfile      = { type = "RuntimeDefault" }
        }
        # Root at start (see pod_security above); no setuid escalation is
        # needed for that, root already has what su and Apache use.
        securityContext = { allowPrivilegeEscalation = false }
      }

      # External PostgreSQL through the Secret nextcloud-postgres (host in
      # the second document).
      internalDatabase = { enabled = false }
      # The chart reads these keys of existingSecret whatever
      # externalDatabase.enabled and existingSecret.enabled say: those two
      # only make it write a database Secret of its own, which we do not want.
      externalDatabase = {
        type = "postgresql"
        existingSecret = {
          secretName  = module.common.database_secret
          usernameKey = "username"
          passwordKey = "password"
          databaseKey = "database"
        }
      }

      # Valkey comes from our redis.config.php: externalRedis would set
      # REDIS_HOST, from which the image's entrypoint writes PHP's session
      # handler (index 0, into the image's conf.d). Sessions stay in PHP's
      # files.
      externalRedis = { enabled = false }
      # The chart's Bitnami subcharts (forbidden) and other extras, off.
      redis      = { enabled = false }
      postgresql = { enabled = false }
      mariadb    = { enabled = false }
      imaginary  = { enabled = false }
      metrics    = { enabled = false }
      nginx      = { enabled = false }
      rbac       = { enabled = false }

      # Our Ingress (with the DAV middleware) publishes the Service.
      ingress   = { enabled = false }
      httpRoute = { enabled = false }
      # overwriteprotocol comes from platform.config.php (https in prod only).
      phpClientHttpsFix = { enabled = false }

      service = { type = "ClusterIP", port = local.service_port }

      persistence = { enabled = true, existingClaim = local.pvc_name }

      resources = var.resources.nextcloud

      # The chart's probes on /status.php; the startup probe holds them off
      # while the entrypoint installs or upgrades (up to 10 minutes).
      livenessProbe  = { enabled = true }
      readinessProbe = { enabled = true }
      startupProbe   = { enabled = true, initialDelaySeconds = 10, periodSeconds = 10, failureThreshold = 60 }

      cronjob = {
        enabled = true
        # A Kubernetes CronJob, not the crond sidecar (which needs root).
        type = "cronjob"
        cronjob = {
          schedule = var.cron_schedule
          # A run stuck Pending (Nextcloud's pod gone) must not block the
          # next ones forever (concurrencyPolicy Forbid).
          activeDeadlineSeconds = 1800
          resources             = var.resources.cron
          # cron.php as www-data, like the files it writes.
          securityContext = {
            runAsUser                = 33
            runAsGroup               = 33
            runAsNonRoot             = true
            allowPrivilegeEscalation = false
            capabilities             = { drop = ["ALL"] }
          }
          # The PVC is ReadWriteOnce: the job must run on the node that
          # mounts it.
          affinity = {
            podAffinity = {
              requiredDuringSchedulingIgnoredDuringExecution = [{
                labelSelector = { matchLabels = local.app_selector }
                topologyKey   = "kubernetes.io/hostname"
              }]
            }
          }
        }
      }
    }),
    # A document of its own: the stack's database object is unknown until
    # its generated password exists (first plan), and an unknown document
    # escapes the offline checks; this keeps the one above checked.
    yamlencode({
      externalDatabase = { host = local.db_host }
    }),
  ]

  depends_on = [module.common, kubectl_manifest.secrets, module.apache]
}
