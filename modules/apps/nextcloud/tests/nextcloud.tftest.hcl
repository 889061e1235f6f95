# The Nextcloud module's contract, checked from a plan with mocked providers.
mock_provider "helm" {}
mock_provider "kubectl" {}

variables {
  chart = { repository = "https://nextcloud.github.io/helm/", chart = "nextcloud", version = "9.2.4" }
  # module.env.apps.nextcloud in prod.
  app = {
    name      = "nextcloud"
    namespace = "nextcloud"
    host      = "cloud.fullfrontend.be"
    database  = "postgres"
  }
  # module.k8s_config.app_platform in prod.
  platform = {
    ingress = {
      class_name     = "traefik"
      namespace      = "infra"
      tls            = true
      cluster_issuer = "letsencrypt-prod"
      annotations    = { "cert-manager.io/cluster-issuer" = "letsencrypt-prod", "external-dns.alpha.kubernetes.io/ttl" = "300" }
      pod_labels     = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" }
    }
    apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
    velero_namespace = "infra"
    storage_class    = "do-block-storage"
  }
  # lookup(local.app_databases, "nextcloud", null); throwaway values for the test.
  database = {
    engine   = "postgres"
    host     = "postgres.data.svc.cluster.local"
    port     = 5432
    database = "nextcloud"
    user     = "nextcloud"
    password = "test-only-database-password"
  }
  redis = {
    host     = "valkey.data.svc.cluster.local"
    port     = 6379
    password = "test-only-valkey-password"
    db       = 2
  }
  admin_password = "test-only-admin-password-0123456789"
}

run "prod" {
  command = plan

  assert {
    condition     = yamldecode(kubectl_manifest.ingress.yaml_body).spec.tls == [{ secretName = "nextcloud-tls", hosts = ["cloud.fullfrontend.be"] }]
    error_message = "prod needs the certificate nextcloud-tls for cloud.<root_domain>"
  }
  assert {
    condition = (
      yamldecode(kubectl_manifest.ingress.yaml_body).metadata.annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod" &&
      yamldecode(kubectl_manifest.ingress.yaml_body).metadata.annotations["external-dns.alpha.kubernetes.io/ttl"] == "300" &&
      yamldecode(kubectl_manifest.ingress.yaml_body).spec.ingressClassName == "traefik"
    )
    error_message = "the Ingress must be Traefik's, with app-common's cert-manager and external-dns annotations in prod"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.ingress.yaml_body).metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"] == "nextcloud-nextcloud-dav-redirect@kubernetescrd"
    error_message = "the Ingress must carry the DAV redirect middleware as <namespace>-<name>@kubernetescrd"
  }
  assert {
    condition = (
      yamldecode(kubectl_manifest.ingress.yaml_body).spec.rules == [{
        host = "cloud.fullfrontend.be"
        http = { paths = [{ path = "/", pathType = "Prefix", backend = { service = { name = "nextcloud", port = { number = 8080 } } } }] }
      }] &&
      output.service == { name = "nextcloud", port = 8080 }
    )
    error_message = "cloud.<root_domain>/ must reach the chart's Service nextcloud on 8080"
  }
  assert {
    condition = (
      yamldecode(kubectl_manifest.dav_redirect.yaml_body).kind == "Middleware" &&
      yamldecode(kubectl_manifest.dav_redirect.yaml_body).metadata.namespace == "nextcloud" &&
      yamldecode(kubectl_manifest.dav_redirect.yaml_body).spec.redirectRegex.permanent == true
    )
    error_message = "the DAV redirect is a permanent Traefik redirectRegex Middleware in the nextcloud namespace"
  }
  assert {
    # Go's regexp (Traefik) and OpenTofu's agree on this syntax: the
    # redirect's own regex is run on sample URLs.
    condition = (
      replace("https://cloud.fullfrontend.be/.well-known/caldav", "/${yamldecode(kubectl_manifest.dav_redirect.yaml_body).spec.redirectRegex.regex}/", "$1://$2/remote.php/dav") == "https://cloud.fullfrontend.be/remote.php/dav" &&
      replace("https://cloud.fullfrontend.be/.well-known/carddav/", "/${yamldecode(kubectl_manifest.dav_redirect.yaml_body).spec.redirectRegex.regex}/", "$1://$2/remote.php/dav") == "https://cloud.fullfrontend.be/remote.php/dav" &&
      !can(regex(yamldecode(kubectl_manifest.dav_redirect.yaml_body).spec.redirectRegex.regex, "https://cloud.fullfrontend.be/remote.php/dav/calendars/admin/")) &&
      !can(regex(yamldecode(kubectl_manifest.dav_redirect.yaml_body).spec.redirectRegex.regex, "https://cloud.fullfrontend.be/.well-known/webfinger")) &&
      yamldecode(kubectl_manifest.dav_redirect.yaml_body).spec.redirectRegex.replacement == "$${1}://$${2}/remote.php/dav"
    )
    error_message = "only /.well-known/caldav and /.well-known/carddav must redirect, to /remote.php/dav on the same scheme and host"
  }
  assert {
    condition     = module.common.pvc_names == { nextcloud-data = "nextcloud-data" } && yamldecode(helm_release.nextcloud.values[0]).persistence == { enabled = true, existingClaim = "nextcloud-data" } && output.pvc_name == "nextcloud-data"
    error_message = "Nextcloud's files must be on the module's PVC nextcloud-data (the chart's persistence.existingClaim)"
  }
  assert {
    condition = (
      yamldecode(helm_release.nextcloud.values[0]).internalDatabase.enabled == false &&
      yamldecode(helm_release.nextcloud.values[0]).externalDatabase.type == "postgresql" &&
      yamldecode(helm_release.nextcloud.values[0]).externalDatabase.existingSecret == { secretName = "nextcloud-postgres", usernameKey = "username", passwordKey = "password", databaseKey = "database" } &&
      yamldecode(helm_release.nextcloud.values[1]).externalDatabase.host == "postgres.data.svc.cluster.local:5432"
    )
    error_message = "Nextcloud must use the shared PostgreSQL (host:port), its credentials from the Secret nextcloud-postgres app-common writes"
  }
  assert {
    condition = (
      yamldecode(helm_release.nextcloud.values[0]).redis.enabled == false &&
      yamldecode(helm_release.nextcloud.values[0]).postgresql.enabled == false &&
      yamldecode(helm_release.nextcloud.values[0]).mariadb.enabled == false &&
      yamldecode(helm_release.nextcloud.values[0]).externalRedis.enabled == false
    )
    error_message = "the chart's Bitnami subcharts must stay off, and externalRedis too (Valkey comes from redis.config.php)"
  }
  assert {
    condition = (
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["redis.config.php"], "'host' => 'valkey.data.svc.cluster.local'") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["redis.config.php"], "'port' => 6379") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["redis.config.php"], "'dbindex' => 2,") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["redis.config.php"], "getenv('VALKEY_PASSWORD')") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["redis.config.php"], "'memcache.locking' => '\\OC\\Memcache\\Redis'") &&
      yamldecode(helm_release.nextcloud.values[0]).nextcloud.defaultConfigs == { "redis.config.php" = false }
    )
    error_message = "Valkey on index 2 for the distributed cache and file locks, its password from the environment, in place of the chart's redis.config.php"
  }
  assert {
    condition     = { for e in yamldecode(helm_release.nextcloud.values[0]).nextcloud.extraEnv : e.name => e }["VALKEY_PASSWORD"].valueFrom.secretKeyRef == { name = "nextcloud-secrets", key = "valkey-password" } && length(yamldecode(helm_release.nextcloud.values[0]).nextcloud.extraEnv) == 1
    error_message = "Valkey's password must come from the Secret nextcloud-secrets, and nothing else without external storage"
  }
  assert {
    condition = (
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["platform.config.php"], "'trusted_domains' => array (0 => 'cloud.fullfrontend.be')") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["platform.config.php"], "'trusted_proxies' => array ('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16')") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["platform.config.php"], "'overwriteprotocol' => 'https',") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["platform.config.php"], "'overwrite.cli.url' => 'https://cloud.fullfrontend.be',") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["platform.config.php"], "'default_phone_region' => 'BE',") &&
      yamldecode(helm_release.nextcloud.values[0]).nextcloud.trustedDomains == ["cloud.fullfrontend.be"] &&
      yamldecode(helm_release.nextcloud.values[0]).nextcloud.host == "cloud.fullfrontend.be"
    )
    error_message = "behind Traefik Nextcloud must trust its proxies and build https links to cloud.<root_domain> in prod"
  }
  assert {
    condition = (
      yamldecode(helm_release.nextcloud.values[0]).nextcloud.existingSecret == { enabled = true, secretName = "nextcloud-secrets", usernameKey = "nextcloud-username", passwordKey = "nextcloud-password" } &&
      nonsensitive(yamldecode(kubectl_manifest.secrets.yaml_body).data) == {
        nextcloud-username = base64encode("admin")
        nextcloud-password = base64encode("test-only-admin-password-0123456789")
        valkey-password    = base64encode("test-only-valkey-password")
      } &&
      yamldecode(kubectl_manifest.secrets.yaml_body).metadata.namespace == "nextcloud"
    )
    error_message = "the admin login and Valkey's password must be in the module's Secret nextcloud-secrets, read by the chart as nextcloud.existingSecret"
  }
  assert {
    condition     = nonsensitive(!strcontains(join("\n", helm_release.nextcloud.values), var.admin_password) && !strcontains(join("\n", helm_release.nextcloud.values), var.database.password) && !strcontains(join("\n", helm_release.nextcloud.values), var.redis.password) && !strcontains(join("\n", helm_release.nextcloud.values), "changeme"))
    error_message = "no password (admin, database, Valkey, nor the chart's changeme placeholder) may be in the Helm values"
  }
  assert {
    condition = (
      yamldecode(helm_release.nextcloud.values[0]).cronjob.enabled == true &&
      yamldecode(helm_release.nextcloud.values[0]).cronjob.type == "cronjob" &&
      yamldecode(helm_release.nextcloud.values[0]).cronjob.cronjob.schedule == "*/5 * * * *" &&
      yamldecode(helm_release.nextcloud.values[0]).cronjob.cronjob.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels == { "app.kubernetes.io/name" = "nextcloud", "app.kubernetes.io/instance" = "nextcloud", "app.kubernetes.io/component" = "app" } &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.hooks.before-starting, "occ background:cron")
    )
    error_message = "background jobs run from a Kubernetes CronJob every 5 minutes, on the node of the Nextcloud pod, with Nextcloud set to cron mode"
  }
  assert {
    condition     = yamldecode(helm_release.nextcloud.values[0]).cronjob.cronjob.securityContext == { runAsUser = 33, runAsGroup = 33, runAsNonRoot = true, allowPrivilegeEscalation = false, capabilities = { drop = ["ALL"] } }
    error_message = "the cron job runs as www-data (33) without privileges"
  }
  assert {
    condition = (
      yamldecode(helm_release.nextcloud.values[0]).resources == { requests = { cpu = "100m", memory = "512Mi" }, limits = { memory = "2560Mi" } } &&
      yamldecode(helm_release.nextcloud.values[0]).cronjob.cronjob.resources == { requests = { cpu = "50m", memory = "128Mi" }, limits = { memory = "768Mi" } }
    )
    error_message = "the Nextcloud and cron containers need CPU and memory requests and a memory limit"
  }
  assert {
    condition = (
      yamldecode(helm_release.nextcloud.values[0]).livenessProbe.enabled &&
      yamldecode(helm_release.nextcloud.values[0]).readinessProbe.enabled &&
      yamldecode(helm_release.nextcloud.values[0]).startupProbe == { enabled = true, initialDelaySeconds = 10, periodSeconds = 10, failureThreshold = 60 }
    )
    error_message = "the chart's probes stay on, with a startup probe long enough for the installation"
  }
  assert {
    condition     = yamldecode(helm_release.nextcloud.values[0]).image == { registry = "docker.io", repository = "library/nextcloud", tag = "34.0.1-apache", pullPolicy = "IfNotPresent" }
    error_message = "the image must be the official nextcloud, pinned to the chart's appVersion (apache)"
  }
  assert {
    condition = (
      yamldecode(helm_release.nextcloud.values[0]).ingress.enabled == false &&
      yamldecode(helm_release.nextcloud.values[0]).httpRoute.enabled == false &&
      yamldecode(helm_release.nextcloud.values[0]).nextcloud.strategy.type == "Recreate" &&
      yamldecode(helm_release.nextcloud.values[0]).replicaCount == 1
    )
    error_message = "one pod at a time on the single-node PVC, and no chart Ingress or HTTPRoute beside ours"
  }
  assert {
    condition     = yamldecode(helm_release.nextcloud.values[0]).nextcloud.podSecurityContext == { fsGroup = 33, fsGroupChangePolicy = "OnRootMismatch", seccompProfile = { type = "RuntimeDefault" } }
    error_message = "files belong to www-data (fsGroup 33), with the RuntimeDefault seccomp profile"
  }
  assert {
    condition     = output.url == "https://cloud.fullfrontend.be" && output.dav_url == "https://cloud.fullfrontend.be/remote.php/dav/" && output.backup_schedule == "nextcloud-daily" && output.namespace == "nextcloud"
    error_message = "prod serves https, and Nextcloud has its own namespace and Velero schedule nextcloud-daily"
  }
}

run "dev" {
  command = plan
  variables {
    app = {
      name      = "nextcloud"
      namespace = "nextcloud"
      host      = "cloud.fullfrontend.kube"
      database  = "postgres"
    }
    # module.k8s_config.app_platform in dev: no cert-manager, no external-dns.
    platform = {
      ingress          = { class_name = "traefik", namespace = "infra", tls = false, cluster_issuer = null, annotations = {}, pod_labels = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" } }
      apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
      velero_namespace = "infra"
      storage_class    = null
    }
  }
  assert {
    condition     = !can(yamldecode(kubectl_manifest.ingress.yaml_body).spec.tls) && keys(yamldecode(kubectl_manifest.ingress.yaml_body).metadata.annotations) == ["traefik.ingress.kubernetes.io/router.middlewares"]
    error_message = "dev has no TLS and no cert-manager or external-dns annotation, only the middleware"
  }
  assert {
    condition = (
      !strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["platform.config.php"], "overwriteprotocol") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["platform.config.php"], "'overwrite.cli.url' => 'http://cloud.fullfrontend.kube',") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.configs["platform.config.php"], "'trusted_domains' => array (0 => 'cloud.fullfrontend.kube')")
    )
    error_message = "dev serves plain http: no https overwrite, http links to cloud.fullfrontend.kube"
  }
  assert {
    condition     = replace("http://cloud.fullfrontend.kube/.well-known/carddav", "/${yamldecode(kubectl_manifest.dav_redirect.yaml_body).spec.redirectRegex.regex}/", "$1://$2/remote.php/dav") == "http://cloud.fullfrontend.kube/remote.php/dav"
    error_message = "in dev the DAV redirect keeps http"
  }
  assert {
    condition     = output.url == "http://cloud.fullfrontend.kube"
    error_message = "dev outputs a plain http URL"
  }
}

run "external_storage" {
  command = plan
  variables {
    external_storage         = { enabled = true, bucket = "fullfrontend-nextcloud" }
    spaces_access_key_id     = "test-only-access-key"
    spaces_secret_access_key = "test-only-secret-key"
  }
  assert {
    condition = (
      nonsensitive(yamldecode(kubectl_manifest.secrets.yaml_body).data["spaces-access-key-id"]) == base64encode("test-only-access-key") &&
      nonsensitive(yamldecode(kubectl_manifest.secrets.yaml_body).data["spaces-secret-access-key"]) == base64encode("test-only-secret-key")
    )
    error_message = "the Spaces keys must be in the Secret nextcloud-secrets"
  }
  assert {
    condition = (
      { for e in yamldecode(helm_release.nextcloud.values[0]).nextcloud.extraEnv : e.name => e }["SPACES_ACCESS_KEY_ID"].valueFrom.secretKeyRef == { name = "nextcloud-secrets", key = "spaces-access-key-id" } &&
      { for e in yamldecode(helm_release.nextcloud.values[0]).nextcloud.extraEnv : e.name => e }["SPACES_SECRET_ACCESS_KEY"].valueFrom.secretKeyRef == { name = "nextcloud-secrets", key = "spaces-secret-access-key" } &&
      { for e in yamldecode(helm_release.nextcloud.values[0]).nextcloud.extraEnv : e.name => e }["SPACES_BUCKET"].value == "fullfrontend-nextcloud" &&
      { for e in yamldecode(helm_release.nextcloud.values[0]).nextcloud.extraEnv : e.name => e }["SPACES_HOSTNAME"].value == "fra1.digitaloceanspaces.com"
    )
    error_message = "the keys reach the pod from the Secret, the bucket and endpoint as plain values"
  }
  assert {
    condition = (
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.hooks.before-starting, "occ files_external:create \"/Spaces\" amazons3 amazons3::accesskey") &&
      strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.hooks.before-starting, "occ app:enable files_external") &&
      nonsensitive(!strcontains(join("\n", helm_release.nextcloud.values), "test-only-secret-key"))
    )
    error_message = "the hook mounts the bucket at /Spaces with the S3 backend, never with the keys in the Helm values"
  }
}

run "no_external_storage_by_default" {
  command = plan
  assert {
    condition     = !strcontains(yamldecode(helm_release.nextcloud.values[0]).nextcloud.hooks.before-starting, "files_external") && !can(yamldecode(kubectl_manifest.secrets.yaml_body).data["spaces-access-key-id"])
    error_message = "external storage is off by default"
  }
}

run "refuses_external_storage_without_access_key" {
  command = plan
  variables {
    external_storage         = { enabled = true, bucket = "fullfrontend-nextcloud" }
    spaces_secret_access_key = "test-only-secret-key"
  }
  expect_failures = [kubectl_manifest.secrets]
}

run "refuses_external_storage_without_secret_key" {
  command = plan
  variables {
    external_storage     = { enabled = true, bucket = "fullfrontend-nextcloud" }
    spaces_access_key_id = "test-only-access-key"
  }
  expect_failures = [kubectl_manifest.secrets]
}

run "refuses_external_storage_without_bucket" {
  command = plan
  variables {
    external_storage         = { enabled = true }
    spaces_access_key_id     = "test-only-access-key"
    spaces_secret_access_key = "test-only-secret-key"
  }
  expect_failures = [var.external_storage]
}

run "refuses_crm_redis_index" {
  command = plan
  variables {
    redis = { host = "valkey.data.svc.cluster.local", port = 6379, password = "test-only-valkey-password", db = 1 }
  }
  expect_failures = [var.redis]
}

run "refuses_default_redis_index" {
  command = plan
  variables {
    redis = { host = "valkey.data.svc.cluster.local", port = 6379, password = "test-only-valkey-password", db = 0 }
  }
  expect_failures = [var.redis]
}

run "refuses_short_admin_password" {
  command = plan
  variables {
    admin_password = "too-short"
  }
  expect_failures = [var.admin_password]
}

run "refuses_floating_image_tag" {
  command = plan
  variables {
    image_tag = "latest"
  }
  expect_failures = [var.image_tag]
}

run "refuses_fpm_image" {
  command = plan
  variables {
    image_tag = "34.0.1-fpm"
  }
  expect_failures = [var.image_tag]
}

run "refuses_storage_in_gb" {
  command = plan
  variables {
    storage_size = "10GB"
  }
  expect_failures = [var.storage_size]
}

run "refuses_mariadb" {
  command = plan
  variables {
    database = { engine = "mariadb", host = "mariadb.data.svc.cluster.local", port = 3306, database = "nextcloud", user = "nextcloud", password = "test-only-database-password" }
  }
  expect_failures = [var.database]
}

run "refuses_bad_trusted_proxy" {
  command = plan
  variables {
    trusted_proxies = ["traefik.infra"]
  }
  expect_failures = [var.trusted_proxies]
}
