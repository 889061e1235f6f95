# The registry module's contract, checked from a plan with mocked providers.
mock_provider "helm" {}
mock_provider "kubectl" {}

variables {
  chart = { repository = "https://zotregistry.dev/helm-charts", chart = "zot", version = "0.1.122" }
  app   = { name = "registry", namespace = "registry", host = "registry.fullfrontend.be" }
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
}

run "prod_with_accounts" {
  command = plan
  variables {
    # bcrypt of a throwaway password, for the test only.
    htpasswd = "ci:$2a$10$MGcpwgPXEkZkdJCHbh7vz.eTORuGQVDkpRmFrFNY6OP4uDtzmMowa"
  }
  assert {
    condition     = yamldecode(helm_release.zot.values[0]).ingress.className == "traefik" && yamldecode(helm_release.zot.values[0]).ingress.hosts[0].host == "registry.fullfrontend.be"
    error_message = "the ingress must use Traefik (the chart defaults to nginx) and registry.<root_domain>"
  }
  assert {
    condition     = yamldecode(helm_release.zot.values[0]).ingress.annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod" && yamldecode(helm_release.zot.values[0]).ingress.tls[0].hosts == ["registry.fullfrontend.be"]
    error_message = "prod needs TLS through the cert-manager ClusterIssuer"
  }
  assert {
    condition     = yamldecode(helm_release.zot.values[0]).ingress.annotations["external-dns.alpha.kubernetes.io/ttl"] == "300"
    error_message = "the DNS TTL must reach external-dns"
  }
  assert {
    condition     = yamldecode(helm_release.zot.values[0]).mountSecret == false && !strcontains(helm_release.zot.values[0], "$2y$05$")
    error_message = "the chart's sample users must never be rendered"
  }
  assert {
    condition     = yamldecode(helm_release.zot.values[0]).externalSecrets == [{ secretName = "zot-htpasswd", mountPath = "/secret/htpasswd" }] && length(kubectl_manifest.htpasswd) == 1
    error_message = "the accounts must come from the module's own Secret"
  }
  assert {
    condition     = jsondecode(yamldecode(helm_release.zot.values[0]).configFiles["config.json"]).http.auth.htpasswd.path == "/secret/htpasswd/htpasswd" && !can(jsondecode(yamldecode(helm_release.zot.values[0]).configFiles["config.json"]).http.accessControl)
    error_message = "with accounts, Zot must authenticate with htpasswd and give anonymous clients nothing"
  }
  assert {
    condition     = yamldecode(helm_release.zot.values[0]).persistence == true && yamldecode(helm_release.zot.values[0]).pvc == { create = false, name = "zot-data" }
    error_message = "the registry must keep its data on the module's PVC"
  }
  assert {
    condition     = yamldecode(helm_release.zot.values[0]).service.type == "ClusterIP"
    error_message = "the registry must not open a NodePort"
  }
  assert {
    condition     = yamldecode(helm_release.zot.values[0]).resources.limits.memory != "" && yamldecode(helm_release.zot.values[0]).resources.requests.cpu != ""
    error_message = "the Zot container needs requests and a memory limit"
  }
  assert {
    condition     = module.common.pvc_names == { zot-data = "zot-data" } && output.namespace == "registry"
    error_message = "the registry needs its PVC zot-data in its own namespace (modules/app-common)"
  }
  assert {
    condition     = output.backup_schedule == "registry-daily"
    error_message = "the registry needs its own Velero schedule registry-daily"
  }
  assert {
    condition     = output.url == "https://registry.fullfrontend.be" && output.auth_mode == "htpasswd"
    error_message = "outputs must give the https URL and the auth mode"
  }
}

run "dev_without_accounts" {
  command = plan
  variables {
    app = { name = "registry", namespace = "registry", host = "registry.fullfrontend.kube" }
    # module.k8s_config.app_platform in dev: no cert-manager, no external-dns.
    platform = {
      ingress          = { class_name = "traefik", namespace = "infra", tls = false, cluster_issuer = null, annotations = {}, pod_labels = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" } }
      apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
      velero_namespace = "infra"
      storage_class    = null
    }
  }
  assert {
    condition     = yamldecode(helm_release.zot.values[0]).ingress.tls == [] && !contains(keys(yamldecode(helm_release.zot.values[0]).ingress.annotations), "cert-manager.io/cluster-issuer")
    error_message = "dev has no TLS and no cert-manager annotation"
  }
  assert {
    condition     = jsondecode(yamldecode(helm_release.zot.values[0]).configFiles["config.json"]).http.accessControl.repositories["**"] == { anonymousPolicy = ["read"] } && !can(jsondecode(yamldecode(helm_release.zot.values[0]).configFiles["config.json"]).http.auth)
    error_message = "without accounts the registry must be anonymous read-only (nobody can push)"
  }
  assert {
    condition     = length(kubectl_manifest.htpasswd) == 0 && yamldecode(helm_release.zot.values[0]).externalSecrets == [] && yamldecode(helm_release.zot.values[0]).mountSecret == false
    error_message = "without accounts no htpasswd is mounted, and never the chart's sample one"
  }
  assert {
    condition     = output.url == "http://registry.fullfrontend.kube" && output.auth_mode == "anonymous-read-only"
    error_message = "dev serves plain http and reports anonymous-read-only"
  }
}

run "anonymous_pull_with_accounts" {
  command = plan
  variables {
    htpasswd       = "ci:$2a$10$MGcpwgPXEkZkdJCHbh7vz.eTORuGQVDkpRmFrFNY6OP4uDtzmMowa"
    anonymous_pull = true
  }
  assert {
    condition     = jsondecode(yamldecode(helm_release.zot.values[0]).configFiles["config.json"]).http.accessControl.repositories["**"] == { anonymousPolicy = ["read"], defaultPolicy = ["read", "create", "update", "delete"] }
    error_message = "anonymous_pull must grant anonymous read and keep every right for accounts"
  }
}

run "refuses_non_bcrypt_htpasswd" {
  command = plan
  variables {
    htpasswd = "ci:$apr1$abcdefgh$0123456789abcdefghijkl"
  }
  expect_failures = [var.htpasswd]
}

run "refuses_storage_in_gb" {
  command = plan
  variables {
    storage_size = "20GB"
  }
  expect_failures = [var.storage_size]
}
