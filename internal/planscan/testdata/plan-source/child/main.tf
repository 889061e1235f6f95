terraform {
  required_providers {
    helm    = { source = "hashicorp/helm" }
    kubectl = { source = "alekc/kubectl" }
    random  = { source = "hashicorp/random" }
  }
}
resource "random_password" "p" {
  length = 16
}

resource "helm_release" "demo" {
  name       = "demo"
  namespace  = "demo"
  repository = "https://charts.example.org"
  chart      = "demo"
  version    = "1.2.3"
  values = [
    yamlencode({ image = { repository = "ghcr.io/example/demo", tag = "v1" }, podAnnotations = { a = "1" } }),
    yamlencode({ image = { tag = "v2" }, list = ["x"] }),
  ]
  set = [
    { name = "service.port", value = "8080" },
    { name = "podAnnotations.example\\.org/team", value = "web", type = "string" },
  ]
  set_list = [
    { name = "args", value = ["--a", "--b"] },
  ]
  set_sensitive = [
    { name = "auth.password", value = random_password.p.result },
    { name = "auth.user", value = "admin" },
  ]
}

resource "kubectl_manifest" "known" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "cfg", namespace = "demo" }
    data       = { key = "value" }
  })
}

resource "kubectl_manifest" "secret" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = "pw", namespace = "demo" }
    stringData = { password = random_password.p.result }
  })
}
