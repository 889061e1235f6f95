# The shared app base's contract, checked from a plan with a mocked provider:
# what every app gets in prod and in dev, and what it refuses.
mock_provider "kubectl" {}

variables {
  app = { name = "blog", namespace = "blog", host = "blog.fullfrontend.be", hosts = { hooks = "hooks.fullfrontend.be" } }
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
  volumes        = { blog-data = { size = "5Gi" } }
  routes         = [{ service = "blog", port = 8080 }, { host = "hooks", path = "/hook/", service = "blog", port = 8080 }]
  network_policy = { pod_selector = { "app.kubernetes.io/name" = "blog" }, ports = [8080], from_namespaces = ["metrics"] }
}

run "prod" {
  command = plan
  assert {
    condition     = yamldecode(kubectl_manifest.namespace.yaml_body).metadata.name == "blog" && yamldecode(kubectl_manifest.namespace.yaml_body).metadata.labels["fullfrontend.be/tier"] == "apps" && yamldecode(kubectl_manifest.namespace.yaml_body).metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted"
    error_message = "the app needs its own apps-tier namespace enforcing the restricted Pod Security Standard"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.pvc["blog-data"].yaml_body).spec == { accessModes = ["ReadWriteOnce"], resources = { requests = { storage = "5Gi" } }, storageClassName = "do-block-storage" }
    error_message = "the PVC must have its size and prod's storage class"
  }
  assert {
    condition     = [for f in yamldecode(kubectl_manifest.network_policy.yaml_body).spec.ingress[0].from : try(f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"], "own")] == ["infra", "metrics", "own"]
    error_message = "the NetworkPolicy must admit Traefik's namespace, the extra namespaces and the app's own pods, nothing else"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.network_policy.yaml_body).spec.ingress[0].from[0].podSelector.matchLabels == { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" }
    error_message = "from the ingress namespace, Traefik's pods only"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.ingress[0].yaml_body).spec.ingressClassName == "traefik" && yamldecode(kubectl_manifest.ingress[0].yaml_body).metadata.annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    error_message = "the Ingress must use Traefik and ask cert-manager for its certificate in prod"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.ingress[0].yaml_body).spec.tls == [{ secretName = "blog-tls", hosts = ["blog.fullfrontend.be", "hooks.fullfrontend.be"] }]
    error_message = "prod's Ingress needs TLS for every host it publishes"
  }
  assert {
    condition     = [for r in yamldecode(kubectl_manifest.ingress[0].yaml_body).spec.rules : "${r.host}${join(",", [for p in r.http.paths : p.path])}"] == ["blog.fullfrontend.be/", "hooks.fullfrontend.be/hook/"]
    error_message = "each host must carry only its own paths (the second host publishes /hook/ only)"
  }
  assert {
    condition     = output.backup_schedule == "blog-daily" && output.url == "https://blog.fullfrontend.be"
    error_message = "the app needs its Velero schedule <app>-daily and an https URL in prod"
  }
}

run "dev" {
  command = plan
  variables {
    platform = {
      ingress          = { class_name = "traefik", namespace = "infra", tls = false, cluster_issuer = null, annotations = {}, pod_labels = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" } }
      apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
      velero_namespace = "infra"
      storage_class    = null
    }
    routes = [{ service = "blog", port = 8080 }]
  }
  assert {
    condition     = !can(yamldecode(kubectl_manifest.ingress[0].yaml_body).spec.tls) && !can(yamldecode(kubectl_manifest.ingress[0].yaml_body).metadata.annotations["cert-manager.io/cluster-issuer"]) && length(output.ingress_tls) == 0
    error_message = "dev has no cert-manager: no TLS, no issuer annotation"
  }
  assert {
    condition     = !can(yamldecode(kubectl_manifest.pvc["blog-data"].yaml_body).spec.storageClassName)
    error_message = "dev's PVC takes the cluster's default storage class"
  }
  assert {
    condition     = output.url == "http://blog.fullfrontend.be"
    error_message = "dev serves plain http"
  }
}

run "chart_renders_its_own_ingress" {
  command = plan
  variables {
    routes = []
  }
  assert {
    condition     = length(kubectl_manifest.ingress) == 0 && output.ingress_tls[0].secretName == "blog-tls" && output.ingress_tls[0].hosts == tolist(["blog.fullfrontend.be"]) && output.ingress_annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    error_message = "without routes the module writes no Ingress and hands the chart its TLS and annotations"
  }
}

run "refuses_unknown_route_host" {
  command = plan
  variables {
    routes = [{ host = "nope", service = "blog", port = 8080 }]
  }
  expect_failures = [kubectl_manifest.ingress]
}

run "refuses_volume_in_gb" {
  command = plan
  variables {
    volumes = { blog-data = { size = "5GB" } }
  }
  expect_failures = [var.volumes]
}

run "refuses_tls_without_issuer" {
  command = plan
  variables {
    platform = {
      ingress          = { class_name = "traefik", namespace = "infra", tls = true, cluster_issuer = null, annotations = {}, pod_labels = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" } }
      apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
      velero_namespace = "infra"
      storage_class    = null
    }
  }
  expect_failures = [var.platform]
}

run "database_secret" {
  command = plan
  variables {
    app      = { name = "blog", namespace = "blog", host = "blog.fullfrontend.be", hosts = { hooks = "hooks.fullfrontend.be" }, database = "postgres" }
    database = { engine = "postgres", host = "postgres.data.svc.cluster.local", port = 5432, database = "blog", user = "blog", password = "0123456789abcdef" }
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.database[0].yaml_body).metadata.name) == "blog-postgres" && nonsensitive(yamldecode(kubectl_manifest.database[0].yaml_body).metadata.namespace) == "blog" && nonsensitive(base64decode(yamldecode(kubectl_manifest.database[0].yaml_body).data.host)) == "postgres.data.svc.cluster.local"
    error_message = "an app with a database gets the Secret <app>-<engine> in its own namespace"
  }
  assert {
    condition     = output.database_secret == "blog-postgres"
    error_message = "the module must name the Secret for the workload"
  }
}

run "no_database" {
  command = plan
  assert {
    condition     = length(kubectl_manifest.database) == 0 && output.database_secret == null
    error_message = "an app without a database gets no database Secret"
  }
}

run "refuses_missing_database" {
  command = plan
  variables {
    app = { name = "blog", namespace = "blog", host = "blog.fullfrontend.be", hosts = { hooks = "hooks.fullfrontend.be" }, database = "postgres" }
  }
  expect_failures = [kubectl_manifest.database]
}

run "extra_ingress_annotations" {
  command = plan
  variables {
    ingress_annotations = { "traefik.ingress.kubernetes.io/router.middlewares" = "blog-www-redirect@kubernetescrd" }
  }
  assert {
    condition     = yamldecode(kubectl_manifest.ingress[0].yaml_body).metadata.annotations == { "cert-manager.io/cluster-issuer" = "letsencrypt-prod", "external-dns.alpha.kubernetes.io/ttl" = "300", "traefik.ingress.kubernetes.io/router.middlewares" = "blog-www-redirect@kubernetescrd" }
    error_message = "the app's own annotations are added to the platform's"
  }
}
