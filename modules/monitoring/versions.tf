terraform {
  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "3.1.2"
    }
    kubectl = {
      source  = "alekc/kubectl"
      version = "2.4.1"
    }
    # Grafana's admin password when the SOPS secrets do not give one.
    random = {
      source  = "hashicorp/random"
      version = "3.9.0"
    }
  }
}
