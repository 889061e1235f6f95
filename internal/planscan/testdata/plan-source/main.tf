# Source of ../plan.json: `tofu plan -out=tfplan && tofu show -json tfplan` run with
# the test provider (internal/testsupport/tofutest), OpenTofu 1.12.6. Not a stack: a fixture
# with a child module, sensitive and unknown values, and a kubernetes_* resource.

terraform {
  required_providers {
    helm       = { source = "hashicorp/helm", version = "3.1.2" }
    kubectl    = { source = "alekc/kubectl", version = "2.4.1" }
    kubernetes = { source = "hashicorp/kubernetes", version = "3.2.1" }
    random     = { source = "hashicorp/random", version = "3.9.0" }
  }
}
provider "helm" {
  kubernetes = { config_path = "/nonexistent" }
}
provider "kubectl" {
  load_config_file = false
}
provider "kubernetes" {}

resource "kubectl_manifest" "ns" {
  count             = 1
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Namespace"
    metadata   = { name = "demo" }
  })
}

resource "kubernetes_namespace_v1" "legacy" {
  metadata { name = "legacy" }
}

module "child" {
  source = "./child"
}
