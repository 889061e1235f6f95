# WordPress (<root_domain>) with our own manifests: no non-Bitnami chart is
# worth trusting (DESIGN.md). Core comes from the official image at every
# start; wp-content is the PVC; the database is MariaDB (seed).
locals {
  name       = "wordpress"
  port       = 80
  pvc        = "wp-content"
  tls        = var.platform.ingress.tls
  site_url   = "${local.tls ? "https" : "http"}://${var.app.host}"
  secret     = "wordpress-config"
  salt_names = ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"]
  salts      = { for k in local.salt_names : k => try(var.salts[k], random_password.salt[k].result) }
  selector   = { "app.kubernetes.io/name" = local.name }

  # Whether optional features are on is not secret.
  offload = var.media_offload.enabled
  tracker = var.analytics != null

  # PHP evaluated by the image's wp-config.php (WORDPRESS_CONFIG_EXTRA). The
  # image's wp-config.php already turns X-Forwarded-Proto: https (set by
  # Traefik, which terminates TLS) into HTTPS=on, so WordPress builds https
  # links behind the proxy and never redirects in a loop. Secrets stay in
  # the environment (getenv), never in this text.
  config_extra = join("\n", concat([
    "define('WP_HOME', '${local.site_url}');",
    "define('WP_SITEURL', '${local.site_url}');",
    # Scheduled tasks run from the CronJob below, not on page loads.
    "define('DISABLE_WP_CRON', true);",
    "define('FS_METHOD', 'direct');",
    # Core is the image's: updated by changing the image, never in place.
    "define('WP_AUTO_UPDATE_CORE', false);",
    "define('DISALLOW_FILE_MODS', false);",
    ], local.offload ? [
    # WP Offload Media reads its settings from this constant.
    "define('AS3CF_SETTINGS', serialize(array('provider' => 'do', 'access-key-id' => getenv('WP_S3_ACCESS_KEY_ID'), 'secret-access-key' => getenv('WP_S3_SECRET_ACCESS_KEY'), 'bucket' => '${var.media_offload.bucket}', 'region' => '${var.media_offload.region}', 'copy-to-s3' => true, 'serve-from-s3' => true)));",
  ] : []))

  # The tracking snippet, as a must-use plugin mounted from a ConfigMap.
  tracker_php = !local.tracker ? "" : <<-PHP
    <?php
    // Managed by OpenTofu (modules/apps/wordpress): Umami's tracking snippet.
    add_action('wp_head', function () {
        echo '<script defer src="${var.analytics.script_url}" data-website-id="${var.analytics.website_id}"></script>' . "\n";
    });
  PHP

  # Non-root, as the image allows: www-data (uid 33) runs Apache, which
  # binds port 80 thanks to the unprivileged-port sysctl (a safe sysctl,
  # allowed by the restricted Pod Security Standard).
  pod_security = {
    runAsNonRoot   = true
    runAsUser      = 33
    runAsGroup     = 33
    fsGroup        = 33
    seccompProfile = { type = "RuntimeDefault" }
  }
  container_security = {
    allowPrivilegeEscalation = false
    capabilities             = { drop = ["ALL"] }
  }
}

# Only the keys the SOPS file leaves out; each kept in the state, so a second
# plan never changes a salt.
resource "random_password" "salt" {
  for_each = toset([for k in local.salt_names : k if !contains(nonsensitive(keys(var.salts)), k)])
  length   = 64
  special  = false
}

locals {
  # The catalog gives WordPress www.<root_domain> (apps.yaml).
  www = contains(keys(try(var.app.hosts, {})), "www")
}

module "common" {
  source       = "../../app-common"
  app          = var.app
  platform     = var.platform
  database     = var.database
  pod_security = "restricted"
  volumes      = { (local.pvc) = { size = var.storage_size } }
  # www.<root_domain> on the same Ingress (and certificate), answered by
  # Traefik with a permanent redirect to the apex (www_redirect below).
  routes = [for h in concat([""], local.www ? ["www"] : []) : { host = h, service = local.name, port = local.port }]
  ingress_annotations = local.www ? {
    "traefik.ingress.kubernetes.io/router.middlewares" = "${var.app.namespace}-www-redirect@kubernetescrd"
  } : {}
  network_policy = {
    pod_selector = local.selector
    ports        = [local.port]
  }
}

resource "kubectl_manifest" "config" {
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata   = { name = local.secret, namespace = module.common.namespace, labels = module.common.labels }
    data = { for k, v in merge(
      { for k in local.salt_names : "WORDPRESS_${k}" => local.salts[k] },
      local.offload ? { WP_S3_ACCESS_KEY_ID = var.spaces_access_key_id, WP_S3_SECRET_ACCESS_KEY = var.spaces_secret_access_key } : {},
    ) : k => base64encode(v) }
  })
  lifecycle {
    precondition {
      condition     = !local.offload || nonsensitive(var.spaces_access_key_id != "")
      error_message = "wordpress media offload is on (wordpress_media_offload.enabled = true) but spaces_access_key_id is empty: set it in the SOPS secrets (secrets.tfvars.example), or turn the offload off."
    }
    precondition {
      condition     = !local.offload || nonsensitive(var.spaces_secret_access_key != "")
      error_message = "wordpress media offload is on (wordpress_media_offload.enabled = true) but spaces_secret_access_key is empty: set it in the SOPS secrets (secrets.tfvars.example), or turn the offload off."
    }
  }
}

# Apache's workers sized to the container's memory limit; PHP's default
# memory_limit (128M: the image ships no php.ini, WordPress raises it to
# 256M only on admin pages).
module "apache" {
  source               = "../../apache-prefork"
  name                 = "wordpress-apache"
  namespace            = module.common.namespace
  labels               = module.common.labels
  memory_limit         = var.resources.limits.memory
  php_memory_limit_mib = 128
}

resource "kubectl_manifest" "tracker" {
  count             = local.tracker ? 1 : 0
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "wordpress-mu-plugins", namespace = module.common.namespace, labels = module.common.labels }
    data       = { "fullfrontend-analytics.php" = local.tracker_php }
  })
}

resource "kubectl_manifest" "deployment" {
  server_side_apply = true
  wait_for_rollout  = false
  yaml_body = yamlencode({
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = local.name, namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      replicas = 1
      # wp-content mounts on one node at a time.
      strategy = { type = "Recreate" }
      selector = { matchLabels = local.selector }
      template = {
        metadata = {
          labels = merge(module.common.labels, local.selector)
          # A new snippet or Apache config restarts the pod (subPath mounts do not follow
          # ConfigMap updates).
          annotations = merge({ "fullfrontend.be/tracker-hash" = sha256(local.tracker_php) }, module.apache.pod_annotations)
        }
        spec = {
          securityContext = merge(local.pod_security, {
            sysctls = [{ name = "net.ipv4.ip_unprivileged_port_start", value = "0" }]
          })
          containers = [{
            name  = local.name
            image = var.image
            ports = [{ name = "http", containerPort = local.port }]
            env = concat(
              [for k, key in { HOST = "host", USER = "username", PASSWORD = "password", NAME = "database" } : {
                name                = "WORDPRESS_DB_${k}"
                valueFrom           = { secretKeyRef = { name = module.common.database_secret, key = key } }
              }],
              [for k in local.salt_names : {
                name      = "WORDPRESS_${k}"
                valueFrom = { secretKeyRef = { name = local.secret, key = "WORDPRESS_${k}" } }
              }],
              local.offload ? [for k in ["WP_S3_ACCESS_KEY_ID", "WP_S3_SECRET_ACCESS_KEY"] : {
                name      = k
                valueFrom = { secretKeyRef = { name = local.secret, key = k } }
              }] : [],
              [
                { name = "WORDPRESS_DB_CHARSET", value = "utf8mb4" },
                # The old site's $table_prefix (infra migrate wordpress
                # refuses a dump whose prefix differs).
                { name = "WORDPRESS_TABLE_PREFIX", value = var.table_prefix },
                { name = "WORDPRESS_CONFIG_EXTRA", value = local.config_extra },
              ],
            )
            # Static file: Apache alive, without PHP or the database.
            livenessProbe = {
              httpGet          = { path = "/wp-includes/images/blank.gif", port = "http" }
              periodSeconds    = 20
              timeoutSeconds   = 5
              failureThreshold = 6
            }
            # PHP and the database (a redirect counts as ready).
            readinessProbe = {
              httpGet             = { path = "/wp-login.php", port = "http" }
              initialDelaySeconds = 10
              periodSeconds       = 10
              timeoutSeconds      = 10
            }
            resources       = var.resources
            securityContext = local.container_security
            volumeMounts = concat(
              [
                # Core is copied here from the image at every start.
                { name = "html", mountPath = "/var/www/html" },
                { name = "wp-content", mountPath = "/var/www/html/wp-content" },
                module.apache.volume_mount,
              ],
              local.tracker ? [{ name = "mu-plugins", mountPath = "/var/www/html/wp-content/mu-plugins/fullfrontend-analytics.php", subPath = "fullfrontend-analytics.php", readOnly = true }] : [],
            )
          }]
          volumes = concat(
            [
              { name = "html", emptyDir = {} },
              { name = "wp-content", persistentVolumeClaim = { claimName = module.common.pvc_names[local.pvc] } },
              module.apache.volume,
            ],
            local.tracker ? [{ name = "mu-plugins", configMap = { name = "wordpress-mu-plugins" } }] : [],
          )
        }
      }
    }
  })
  depends_on = [kubectl_manifest.config, kubectl_manifest.tracker, module.apache]
}

resource "kubectl_manifest" "service" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = local.name, namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      selector = local.selector
      ports    = [{ name = "http", port = local.port, targetPort = "http" }]
    }
  })
}

# WordPress's scheduled tasks (DISABLE_WP_CRON): an HTTP request to
# wp-cron.php from inside the namespace, with the site's host (and, in prod,
# the https the proxy would announce) so WordPress neither redirects nor
# builds http links. The image's own curl; no second image to pin.
resource "kubectl_manifest" "cron" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "batch/v1"
    kind       = "CronJob"
    metadata   = { name = "wordpress-cron", namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      schedule                   = var.cron_schedule
      timeZone                   = "Etc/UTC"
      concurrencyPolicy          = "Forbid"
      startingDeadlineSeconds    = 300
      successfulJobsHistoryLimit = 1
      failedJobsHistoryLimit     = 3
      jobTemplate = {
        spec = {
          backoffLimit          = 0
          activeDeadlineSeconds = 600
          template = {
            metadata = { labels = merge(module.common.labels, { "app.kubernetes.io/component" = "cron" }) }
            spec = {
              restartPolicy   = "Never"
              securityContext = local.pod_security
              containers = [{
                name    = "wp-cron"
                image   = var.image
                command = ["curl", "--fail", "--silent", "--show-error", "--max-time", "540", "--header", "Host: ${var.app.host}", "--header", "X-Forwarded-Proto: ${local.tls ? "https" : "http"}", "http://${local.name}.${module.common.namespace}.svc.cluster.local/wp-cron.php?doing_wp_cron"]
                resources = {
                  requests = { cpu = "10m", memory = "16Mi" }
                  limits   = { memory = "64Mi" }
                }
                securityContext = merge(local.container_security, { readOnlyRootFilesystem = true })
              }]
            }
          }
        }
      }
    }
  })
}

# www.<root_domain> -> <root_domain>, path and query kept, 301. On the whole
# Ingress: the apex does not match the expression.
resource "kubectl_manifest" "www_redirect" {
  count             = local.www ? 1 : 0
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "traefik.io/v1alpha1"
    kind       = "Middleware"
    metadata   = { name = "www-redirect", namespace = module.common.namespace, labels = module.common.labels }
    spec = {
      redirectRegex = {
        regex       = "^https?://www\\.(.+)$"
        replacement = "${var.platform.ingress.tls ? "https" : "http"}://$${1}"
        permanent   = true
      }
    }
  })
  depends_on = [module.common]
}
