# The WordPress module's contract, checked with mocked providers.
mock_provider "kubectl" {}
mock_provider "random" {}

variables {
  app = { name = "wordpress", namespace = "wordpress", host = "fullfrontend.be", hosts = { www = "www.fullfrontend.be" }, database = "mariadb" }
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
  database = { engine = "mariadb", host = "mariadb.data.svc.cluster.local", port = 3306, database = "wordpress", user = "wordpress", password = "0123456789abcdef" }
}

run "prod" {
  command = plan
  assert {
    condition     = module.apache.workers == 6 && contains([for m in yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].volumeMounts : m.mountPath], "/etc/apache2/mods-available/mpm_prefork.conf")
    error_message = "Apache runs 6 workers (1Gi / 160 MiB), from the mounted mpm_prefork.conf"
  }
  assert {
    condition     = output.url == "https://fullfrontend.be" && output.backup_schedule == "wordpress-daily" && output.pvc_name == "wp-content"
    error_message = "WordPress is served at https://<root_domain>, with its wp-content PVC and its Velero schedule wordpress-daily"
  }
  assert {
    condition     = strcontains(yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].env[length(yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].env) - 1].value, "define('WP_HOME', 'https://fullfrontend.be');")
    error_message = "behind Traefik the site URL must be https (the image turns X-Forwarded-Proto into HTTPS=on)"
  }
  assert {
    condition     = strcontains(yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].env[length(yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].env) - 1].value, "define('DISABLE_WP_CRON', true);") && contains(yamldecode(kubectl_manifest.cron.yaml_body).spec.jobTemplate.spec.template.spec.containers[0].command, "X-Forwarded-Proto: https")
    error_message = "WP cron runs from the CronJob, which announces https like the proxy"
  }
  assert {
    condition     = alltrue([for e in yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].env : can(e.valueFrom) || !can(regex("PASSWORD|KEY|SALT", e.name))])
    error_message = "passwords, keys and salts reach the container from Secrets only"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.securityContext.runAsUser == 33 && yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].securityContext.capabilities.drop == ["ALL"]
    error_message = "Apache runs as www-data without capabilities"
  }
  assert {
    condition     = length(kubectl_manifest.tracker) == 0 && !strcontains(kubectl_manifest.deployment.yaml_body, "AS3CF_SETTINGS")
    error_message = "tracking snippet and media offload are off by default"
  }
}

run "sops_salt_is_used" {
  command = plan
  variables {
    salts = { AUTH_KEY = "0123456789abcdef0123456789abcdef-from-the-old-site" }
  }
  assert {
    condition     = length(random_password.salt) == 7 && !contains(keys(random_password.salt), "AUTH_KEY")
    error_message = "a salt from SOPS replaces the generated one, the others stay generated"
  }
}

run "dev" {
  command = plan
  variables {
    app = { name = "wordpress", namespace = "wordpress", host = "fullfrontend.kube", database = "mariadb" }
    platform = {
      ingress          = { class_name = "traefik", namespace = "infra", tls = false, cluster_issuer = null, annotations = {}, pod_labels = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" } }
      apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
      velero_namespace = "infra"
      storage_class    = null
    }
  }
  assert {
    condition     = output.url == "http://fullfrontend.kube" && contains(yamldecode(kubectl_manifest.cron.yaml_body).spec.jobTemplate.spec.template.spec.containers[0].command, "X-Forwarded-Proto: http")
    error_message = "dev serves plain http"
  }
}

run "tracking_snippet" {
  command = plan
  variables {
    analytics = { script_url = "https://insights.fullfrontend.be/script.js", website_id = "0f6a4c3e-1b2d-4e5f-8a9b-0c1d2e3f4a5b" }
  }
  assert {
    condition     = strcontains(yamldecode(kubectl_manifest.tracker[0].yaml_body).data["fullfrontend-analytics.php"], "data-website-id=\"0f6a4c3e-1b2d-4e5f-8a9b-0c1d2e3f4a5b\"") && strcontains(kubectl_manifest.deployment.yaml_body, "mu-plugins/fullfrontend-analytics.php")
    error_message = "the Umami snippet is a must-use plugin mounted into wp-content"
  }
}

run "media_offload" {
  command = plan
  variables {
    media_offload            = { enabled = true, bucket = "fullfrontend-media" }
    spaces_access_key_id     = "DO00TESTKEY"
    spaces_secret_access_key = "test-secret"
  }
  assert {
    condition     = strcontains(kubectl_manifest.deployment.yaml_body, "AS3CF_SETTINGS") && strcontains(kubectl_manifest.deployment.yaml_body, "'bucket' => 'fullfrontend-media'") && !strcontains(kubectl_manifest.deployment.yaml_body, "test-secret")
    error_message = "the offload settings name the bucket and read the keys from the environment, never from the config text"
  }
}

run "refuses_offload_without_keys" {
  command = plan
  variables {
    media_offload = { enabled = true, bucket = "fullfrontend-media" }
  }
  expect_failures = [kubectl_manifest.config]
}

run "refuses_unpinned_image" {
  command = plan
  variables {
    image = "wordpress:latest"
  }
  expect_failures = [var.image]
}

run "refuses_short_salt" {
  command = plan
  variables {
    salts = { AUTH_KEY = "short" }
  }
  expect_failures = [var.salts]
}

# www.<root_domain>: on the Ingress and its certificate, and redirected to
# the apex by Traefik (301, path kept).
run "www_redirect" {
  command = plan
  assert {
    condition     = jsonencode(module.common.ingress_tls[0].hosts) == jsonencode(["fullfrontend.be", "www.fullfrontend.be"])
    error_message = "www.<root_domain> must be a host of the Ingress and of its certificate"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.www_redirect[0].yaml_body).spec.redirectRegex == { regex = "^https?://www\\.(.+)$", replacement = "https://$${1}", permanent = true }
    error_message = "www must be a permanent redirect to https://<root_domain> with the path kept"
  }
}

run "table_prefix" {
  command = plan
  variables {
    table_prefix = "wpx7_"
  }
  assert {
    condition     = contains(yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].env, { name = "WORDPRESS_TABLE_PREFIX", value = "wpx7_" })
    error_message = "WordPress must read the old site's table prefix"
  }
}

run "refuses_bad_table_prefix" {
  command = plan
  variables {
    table_prefix = "wp-"
  }
  expect_failures = [var.table_prefix]
}
