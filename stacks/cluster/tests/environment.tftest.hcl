# The cluster stack exists in prod only and names the prod domain.
mock_provider "digitalocean" {}

variables {
  do_token                    = "test-token"
  spaces_access_key_id        = "test-key"
  spaces_secret_access_key    = "test-secret"
  state_encryption_passphrase = "test-passphrase-0123456789"
}

run "prod_defaults" {
  command = plan
  assert {
    condition     = output.root_domain == "fullfrontend.be"
    error_message = "the cluster stack's DNS zone must default to fullfrontend.be"
  }
  assert {
    condition     = endswith(output.kubeconfig_path, "/.kube/config") && output.kubeconfig_path != pathexpand("~/.kube/config")
    error_message = "prod kubeconfig must be <repo>/.kube/config, not ~/.kube/config"
  }
}

run "overridden_root_domain" {
  command = plan
  variables {
    root_domain_prod = "example.org"
  }
  assert {
    condition     = output.root_domain == "example.org"
    error_message = "the cluster stack must follow root_domain_prod"
  }
}

run "dev_is_refused" {
  command = plan
  variables {
    app_env = "dev"
  }
  expect_failures = [var.app_env]
}

run "invalid_root_domain_is_refused" {
  command = plan
  variables {
    root_domain_prod = "fullfrontend.be."
  }
  expect_failures = [var.root_domain_prod]
}

run "empty_token_is_refused" {
  command = plan
  variables {
    do_token = ""
  }
  expect_failures = [var.do_token]
}
