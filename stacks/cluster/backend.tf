# State lives in the Spaces bucket created once by scripts/bootstrap-state.sh,
# encrypted by OpenTofu itself: the state holds every secret of the stack.
# scripts/tofu-secrets.sh feeds these variables from the SOPS secrets; in dev
# it overrides the backend with a local file (backend_override.tf, ignored).
terraform {
  backend "s3" {
    bucket                      = var.state_bucket
    key                         = "cluster/terraform.tfstate"
    region                      = "us-east-1" # required by the S3 client; Spaces ignores it
    endpoints                   = { s3 = "https://${var.spaces_region}.digitaloceanspaces.com" }
    access_key                  = var.spaces_access_key_id
    secret_key                  = var.spaces_secret_access_key
    use_lockfile                = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_s3_checksum            = true
  }

  encryption {
    key_provider "pbkdf2" "state" {
      passphrase = var.state_encryption_passphrase
    }
    method "aes_gcm" "state" {
      keys = key_provider.pbkdf2.state
    }
    state {
      method   = method.aes_gcm.state
      enforced = true
    }
    plan {
      method   = method.aes_gcm.state
      enforced = true
    }
  }
}
