# The n8n module's contract, checked from a plan with mocked providers.
mock_provider "helm" {}
mock_provider "kubectl" {}

variables {
  chart = { repository = "oci://ghcr.io/n8n-io/n8n-helm-chart", chart = "n8n", version = "1.11.0" }
  # module.env.apps.n8n in prod.
  app = {
    name      = "n8n"
    namespace = "n8n"
    host      = "n8n.fullfrontend.be"
    hosts     = { webhook = "webhook.fullfrontend.be" }
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
  # lookup(local.app_databases, "n8n", null); throwaway values for the test.
  database = {
    engine   = "postgres"
    host     = "postgres.data.svc.cluster.local"
    port     = 5432
    database = "n8n"
    user     = "n8n"
    password = "test-only-database-password"
  }
  encryption_key = "test-only-0123456789abcdef0123456789abcdef"
}

run "prod" {
  command = plan

  assert {
    condition     = length(module.common.ingress_tls) == 1 && module.common.ingress_tls[0].secretName == "n8n-tls" && module.common.ingress_tls[0].hosts == tolist(["n8n.fullfrontend.be", "webhook.fullfrontend.be"])
    error_message = "prod needs one certificate n8n-tls for the editor host and the webhook host"
  }
  assert {
    condition     = module.common.ingress_annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod" && module.common.ingress_class_name == "traefik"
    error_message = "the Ingress must be Traefik's, with the cert-manager issuer in prod"
  }
  assert {
    condition     = output.ingress_rules["n8n.fullfrontend.be"] == ["/"]
    error_message = "n8n.<root_domain> must publish the whole app (path /)"
  }
  assert {
    condition     = output.ingress_rules["webhook.fullfrontend.be"] == ["/webhook/", "/webhook-test/", "/webhook-waiting/", "/form/", "/form-test/", "/form-waiting/", "/mcp/", "/mcp-test/"] && length(output.ingress_rules) == 2
    error_message = "webhook.<root_domain> must publish only the webhook, form and MCP paths, never / (the editor)"
  }
  assert {
    condition     = output.service == { name = "n8n-main", port = 5678 }
    error_message = "every route must reach the chart's Service n8n-main on 5678"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).ingress.enabled == false
    error_message = "the chart's own Ingress must stay off (app-common's Ingress publishes both hosts)"
  }
  assert {
    condition     = { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["WEBHOOK_URL"] == "https://webhook.fullfrontend.be/" && output.webhook_url == "https://webhook.fullfrontend.be/"
    error_message = "WEBHOOK_URL must be https://webhook.<root_domain>/ in prod"
  }
  assert {
    condition     = { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["N8N_EDITOR_BASE_URL"] == "https://n8n.fullfrontend.be" && output.url == "https://n8n.fullfrontend.be"
    error_message = "the editor base URL must be https://n8n.<root_domain> in prod"
  }
  assert {
    condition = (
      { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["N8N_PROXY_HOPS"] == "1" &&
      { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["N8N_DEFAULT_BINARY_DATA_MODE"] == "filesystem" &&
      { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["N8N_DIAGNOSTICS_ENABLED"] == "false" &&
      { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["N8N_SECURE_COOKIE"] == "true" &&
      { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["GENERIC_TIMEZONE"] == "Europe/Brussels"
    )
    error_message = "n8n must trust one proxy hop, keep binary data on disk, send no diagnostics, use a secure cookie and Brussels time"
  }
  assert {
    condition     = length(distinct([for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name])) == length(yamldecode(helm_release.n8n.values[0]).config.extraEnv)
    error_message = "config.extraEnv must not set a variable twice"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).webhook.url == "" && yamldecode(helm_release.n8n.values[0]).webhook.enabled == true
    error_message = "webhook.url must stay empty: from it the chart would also set N8N_EDITOR_BASE_URL to the webhook host"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).secretRefs.existingSecret == "n8n-secrets" && output.encryption_secret == "n8n-secrets"
    error_message = "N8N_ENCRYPTION_KEY, N8N_HOST, N8N_PORT and N8N_PROTOCOL must come from the module's Secret n8n-secrets"
  }
  assert {
    condition     = nonsensitive(!strcontains(join("\n", helm_release.n8n.values), var.encryption_key) && !strcontains(join("\n", helm_release.n8n.values), "change-me") && !strcontains(join("\n", helm_release.n8n.values), var.database.password))
    error_message = "neither the encryption key, nor the chart's placeholder key, nor the database password may be in the Helm values"
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.core_secrets.yaml_body).data) == { N8N_ENCRYPTION_KEY = base64encode("test-only-0123456789abcdef0123456789abcdef"), N8N_HOST = base64encode("n8n.fullfrontend.be"), N8N_PORT = base64encode("5678"), N8N_PROTOCOL = base64encode("https") }
    error_message = "the Secret n8n-secrets must hold the key, the editor host, port 5678 and https"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.core_secrets.yaml_body).metadata.namespace == "n8n" && yamldecode(kubectl_manifest.core_secrets.yaml_body).kind == "Secret"
    error_message = "the Secret must be written in the n8n namespace"
  }
  assert {
    condition = (
      yamldecode(helm_release.n8n.values[1]).database.type == "postgresdb" &&
      yamldecode(helm_release.n8n.values[1]).database.useExternal == true &&
      yamldecode(helm_release.n8n.values[1]).database.host == "postgres.data.svc.cluster.local" &&
      yamldecode(helm_release.n8n.values[1]).database.port == 5432 &&
      yamldecode(helm_release.n8n.values[1]).database.database == "n8n" &&
      yamldecode(helm_release.n8n.values[1]).database.user == "n8n" &&
      yamldecode(helm_release.n8n.values[1]).database.passwordSecret == { name = "n8n-postgres", key = "password" }
    )
    error_message = "n8n must use the shared PostgreSQL, its password through the Secret n8n-postgres that app-common writes"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).persistence == { enabled = true, existingClaim = "n8n-data" } && module.common.pvc_names == { n8n-data = "n8n-data" } && output.pvc_name == "n8n-data"
    error_message = "n8n's home must be the module's PVC n8n-data (mounted as the chart's existingClaim)"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).strategy.type == "Recreate" && yamldecode(helm_release.n8n.values[0]).replicaCount == 1 && yamldecode(helm_release.n8n.values[0]).pdb.enabled == false
    error_message = "one pod at a time on the single-node PVC, and no PDB blocking node drains"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).resources.main.requests == { cpu = "100m", memory = "512Mi" } && yamldecode(helm_release.n8n.values[0]).resources.main.limits.memory == "1Gi" && yamldecode(helm_release.n8n.values[0]).resources.main.limits.cpu == null
    error_message = "the n8n container needs CPU and memory requests, a memory limit and no CPU limit (null removes the chart's default)"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).image.tag == "2.42.6" && yamldecode(helm_release.n8n.values[0]).image.repository == "docker.n8n.io/n8nio/n8n"
    error_message = "the image must be n8n's own, pinned to an exact release (the chart defaults to the moving stable tag)"
  }
  assert {
    condition = (
      yamldecode(helm_release.n8n.values[0]).queueMode.enabled == false &&
      yamldecode(helm_release.n8n.values[0]).webhookProcessor.enabled == false &&
      yamldecode(helm_release.n8n.values[0]).taskRunners.enabled == false &&
      yamldecode(helm_release.n8n.values[0]).s3.enabled == false
    )
    error_message = "regular mode: no queue, no Redis, no webhook processors, no runner sidecars, no S3"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).executions.pruning == { enabled = true, maxAge = 336, maxCount = 10000 }
    error_message = "execution data must be pruned (14 days, 10000 executions by default)"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).securityContext == { enabled = true, runAsUser = 1000, runAsGroup = 1000, fsGroup = 1000 }
    error_message = "n8n must run as uid 1000 (the image's node user)"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).probes.liveness.path == "/healthz" && yamldecode(helm_release.n8n.values[0]).probes.readiness.path == "/healthz/readiness" && yamldecode(helm_release.n8n.values[0]).probes.readiness.enabled
    error_message = "n8n needs its liveness (/healthz) and readiness (/healthz/readiness) probes"
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).rbac.create == false && yamldecode(helm_release.n8n.values[0]).serviceAccount.automountServiceAccountToken == false
    error_message = "n8n gets no Role and no API token"
  }
  assert {
    condition     = output.backup_schedule == "n8n-daily" && output.namespace == "n8n"
    error_message = "n8n needs its own namespace and Velero schedule n8n-daily"
  }
}

run "dev" {
  command = plan
  variables {
    app = {
      name      = "n8n"
      namespace = "n8n"
      host      = "n8n.fullfrontend.kube"
      hosts     = { webhook = "webhook.fullfrontend.kube" }
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
    condition     = length(module.common.ingress_tls) == 0 && !contains(keys(module.common.ingress_annotations), "cert-manager.io/cluster-issuer")
    error_message = "dev has no TLS and no cert-manager annotation"
  }
  assert {
    condition     = { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["WEBHOOK_URL"] == "http://webhook.fullfrontend.kube/" && { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["N8N_EDITOR_BASE_URL"] == "http://n8n.fullfrontend.kube"
    error_message = "dev serves plain http: WEBHOOK_URL and the editor base URL must say so"
  }
  assert {
    condition     = { for e in yamldecode(helm_release.n8n.values[0]).config.extraEnv : e.name => e.value }["N8N_SECURE_COOKIE"] == "false" && nonsensitive(yamldecode(kubectl_manifest.core_secrets.yaml_body).data.N8N_PROTOCOL) == base64encode("http")
    error_message = "over plain http the auth cookie must not be Secure (browsers would drop it) and N8N_PROTOCOL must be http"
  }
  assert {
    condition     = output.ingress_rules["webhook.fullfrontend.kube"] == ["/webhook/", "/webhook-test/", "/webhook-waiting/", "/form/", "/form-test/", "/form-waiting/", "/mcp/", "/mcp-test/"]
    error_message = "dev publishes the same paths on its webhook host"
  }
  assert {
    condition     = output.url == "http://n8n.fullfrontend.kube" && output.webhook_url == "http://webhook.fullfrontend.kube/"
    error_message = "dev outputs plain http URLs"
  }
}

run "retention_and_size" {
  command = plan
  variables {
    execution_retention_hours = 72
    execution_max_count       = 0
  }
  assert {
    condition     = yamldecode(helm_release.n8n.values[0]).executions.pruning == { enabled = true, maxAge = 72, maxCount = 0 }
    error_message = "execution_retention_hours and execution_max_count must reach the chart"
  }
}

run "refuses_short_encryption_key" {
  command = plan
  variables {
    encryption_key = "too-short-0123456789"
  }
  expect_failures = [var.encryption_key]
}

run "refuses_empty_encryption_key" {
  command = plan
  variables {
    encryption_key = ""
  }
  expect_failures = [var.encryption_key]
}

run "refuses_storage_in_gb" {
  command = plan
  variables {
    storage_size = "5GB"
  }
  expect_failures = [var.storage_size]
}

run "refuses_floating_image_tag" {
  command = plan
  variables {
    image_tag = "stable"
  }
  expect_failures = [var.image_tag]
}

run "refuses_app_without_webhook_host" {
  command = plan
  variables {
    app = { name = "n8n", namespace = "n8n", host = "n8n.fullfrontend.be", database = "postgres" }
  }
  expect_failures = [var.app]
}

run "refuses_mariadb" {
  command = plan
  variables {
    database = { engine = "mariadb", host = "mariadb.data.svc.cluster.local", port = 3306, database = "n8n", user = "n8n", password = "test-only-database-password" }
  }
  expect_failures = [var.database]
}
