terraform {
  # 1.8+ evaluates variables in the backend and encryption blocks; 1.10 adds
  # S3-native state locking. CI builds and tests with 1.12.6.
  required_version = ">= 1.10.0"

  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "2.99.1"
    }
  }
}
