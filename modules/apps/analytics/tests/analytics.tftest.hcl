# The analytics module's contract, checked from a plan with a mocked provider.
mock_provider "kubectl" {}

variables {
  app = { name = "analytics", namespace = "analytics", host = "insights.fullfrontend.be", database = "postgres" }
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
  # A throwaway password with the characters a URL must escape.
  database = {
    engine   = "postgres"
    host     = "postgres.data.svc.cluster.local"
    port     = 5432
    database = "analytics"
    user     = "analytics"
    password = "p@ss:w/rd+1 x"
  }
  app_secret = "test-only-app-secret-0123456789abcdef"
}

run "prod" {
  command = plan
  assert {
    # app-common's Ingress takes its TLS hosts from our routes.
    condition     = length(module.common.ingress_tls) == 1 && module.common.ingress_tls[0].secretName == "analytics-tls" && join(",", module.common.ingress_tls[0].hosts) == "insights.fullfrontend.be" && module.common.ingress_annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    error_message = "prod needs TLS for insights.<root_domain> through cert-manager"
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.umami_secret.yaml_body).data.DATABASE_URL == base64encode("postgresql://analytics:p%40ss%3Aw%2Frd%2B1%20x@postgres.data.svc.cluster.local:5432/analytics"))
    error_message = "the Secret analytics-umami must hold DATABASE_URL built from the database input, its password percent-encoded"
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.umami_secret.yaml_body).data.APP_SECRET == base64encode(var.app_secret)) && yamldecode(kubectl_manifest.umami_secret.yaml_body).metadata.name == "analytics-umami"
    error_message = "the Secret analytics-umami must hold APP_SECRET"
  }
  assert {
    condition     = !strcontains(kubectl_manifest.deployment.yaml_body, "p@ss") && !strcontains(kubectl_manifest.deployment.yaml_body, "p%40ss")
    error_message = "the password must never appear in the Deployment"
  }
  assert {
    condition     = toset([for e in yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].env : e.valueFrom.secretKeyRef.name if e.name == "DATABASE_URL" || e.name == "APP_SECRET"]) == toset(["analytics-umami"]) && contains([for e in yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].env : e.name], "DATABASE_URL")
    error_message = "DATABASE_URL and APP_SECRET must come from the Secret analytics-umami"
  }
  assert {
    condition     = contains(yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].env, { name = "DISABLE_TELEMETRY", value = "1" })
    error_message = "Umami's telemetry must be off"
  }
  assert {
    condition = alltrue([for p in ["startupProbe", "readinessProbe", "livenessProbe"] :
    yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0][p].httpGet == { path = "/api/heartbeat", port = "http" }])
    error_message = "the probes must ask /api/heartbeat"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].resources == { requests = { cpu = "50m", memory = "256Mi" }, limits = { memory = "512Mi" } }
    error_message = "Umami needs requests and a memory limit"
  }
  assert {
    condition = (
      yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.securityContext == { runAsNonRoot = true, runAsUser = 1001, runAsGroup = 1001, seccompProfile = { type = "RuntimeDefault" } } &&
      yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].securityContext == { allowPrivilegeEscalation = false, readOnlyRootFilesystem = true, capabilities = { drop = ["ALL"] } }
    )
    error_message = "Umami must run as nextjs (1001) without root, privileges or capabilities (restricted Pod Security)"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.deployment.yaml_body).spec.template.spec.containers[0].image == "ghcr.io/umami-software/umami:3.1.0"
    error_message = "the default image must be the pinned Umami release"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.service.yaml_body).spec.ports == [{ name = "http", port = 3000, targetPort = "http" }] && yamldecode(kubectl_manifest.service.yaml_body).spec.selector == { "app.kubernetes.io/name" = "umami" }
    error_message = "the Service must send port 3000 to the umami pods"
  }
  assert {
    condition     = module.common.pvc_names == {} && module.common.database_secret == "analytics-postgres" && output.backup_schedule == "analytics-daily"
    error_message = "Umami keeps no PVC; it needs the Secret analytics-postgres and the Schedule analytics-daily"
  }
  assert {
    condition     = output.url == "https://insights.fullfrontend.be" && output.tracking_script_url == "https://insights.fullfrontend.be/script.js" && output.namespace == "analytics"
    error_message = "outputs must give the https URL, the tracker URL and the namespace"
  }
}

run "dev" {
  command = plan
  variables {
    app = { name = "analytics", namespace = "analytics", host = "insights.fullfrontend.kube", database = "postgres" }
    # module.k8s_config.app_platform in dev: no cert-manager, no external-dns.
    platform = {
      ingress          = { class_name = "traefik", namespace = "infra", tls = false, cluster_issuer = null, annotations = {}, pod_labels = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" } }
      apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
      velero_namespace = "infra"
      storage_class    = null
    }
  }
  assert {
    condition     = length(module.common.ingress_tls) == 0 && length(module.common.ingress_annotations) == 0
    error_message = "dev has no TLS and no cert-manager annotation"
  }
  assert {
    condition     = output.url == "http://insights.fullfrontend.kube" && output.tracking_script_url == "http://insights.fullfrontend.kube/script.js"
    error_message = "dev serves plain http"
  }
}

run "refuses_short_app_secret" {
  command = plan
  variables {
    app_secret = "too-short"
  }
  expect_failures = [var.app_secret]
}

run "refuses_latest_image" {
  command = plan
  variables {
    image = "ghcr.io/umami-software/umami:latest"
  }
  expect_failures = [var.image]
}

run "refuses_floating_v2_style_tag" {
  command = plan
  variables {
    image = "ghcr.io/umami-software/umami:postgresql-latest"
  }
  expect_failures = [var.image]
}

run "refuses_bitnami_image" {
  command = plan
  variables {
    image = "docker.io/bitnami/umami:3.1.0"
  }
  expect_failures = [var.image]
}

run "refuses_a_database_on_mariadb" {
  command = plan
  variables {
    database = {
      engine   = "mariadb"
      host     = "mariadb.data.svc.cluster.local"
      port     = 3306
      database = "analytics"
      user     = "analytics"
      password = "throwaway-password"
    }
  }
  expect_failures = [var.database]
}
