# State lives in the Spaces bucket created once by scripts/bootstrap-state.sh,
# encrypted by OpenTofu itself: the state holds every secret of the stack.
# OpenTofu refuses sensitive variables in a backend block, so the Spaces keys
# reach the S3 client as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which
# scripts/tofu-secrets.sh sets from the SOPS secrets for OpenTofu alone; the
# passphrase below is fine (encryption blocks take sensitive values). In dev
# the wrapper overrides the backend with a local file (backend_override.tf).
terraform {
  backend "s3" {
    bucket                      = var.state_bucket
    key                         = "cluster/terraform.tfstate"
    region                      = "us-east-1" # required by the S3 client; Spaces ignores it
    endpoints                   = { s3 = coalesce(var.state_endpoint, "https://${var.spaces_region}.digitaloceanspaces.com") }
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
