terraform {
  # 1.8+ evaluates variables in the backend and encryption blocks; 1.10 adds
  # S3-native state locking. CI builds and tests with 1.12.6.
  required_version = ">= 1.10.0"

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "3.2.1"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "3.1.2"
    }
    # Custom resources: unlike kubernetes_manifest it does not need the CRD at
    # plan time, so a chart and its custom resources apply in one run.
    kubectl = {
      source  = "alekc/kubectl"
      version = "2.4.1"
    }
    # prod only: reads the cluster's VPC and the buckets' region by name.
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "2.99.1"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "4.2.1"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.9.0"
    }
  }
}
