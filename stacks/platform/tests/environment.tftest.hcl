# The seed's FQDN table and the prod/dev switch, checked from a plan.
mock_provider "kubernetes" {}
mock_provider "helm" {}
mock_provider "kubectl" {}
# Generated secrets as long as the modules' length rules want them.
mock_provider "random" {
  mock_resource "random_password" {
    defaults = {
      result = "mock-password-0123456789abcdef0123456789abcdef"
    }
  }
}
mock_provider "digitalocean" {
  mock_data "digitalocean_vpc" {
    defaults = { ip_range = "10.110.0.0/20" }
  }
  mock_data "digitalocean_loadbalancer" {
    defaults = { ip = "203.0.113.10" }
  }
  mock_data "digitalocean_kubernetes_cluster" {
    defaults = { cluster_subnet = "10.244.0.0/16", region = "fra1" }
  }
}
mock_provider "tls" {}

variables {
  state_encryption_passphrase = "test-passphrase-0123456789"
  # prod mail refuses to plan without an outbound relay.
  mailu_relay_host     = "[smtp.relay.example]:587"
  mailu_relay_username = "test-relay-user"
  mailu_relay_password = "test-relay-password"
  # nor without somewhere to send its alerts.
  alert_email = ["ops@example.com"]
  # A mailbox for the DMARC and TLS reports (else a check warns).
  mail_users   = { alice = {} }
  mail_aliases = { postmaster = { destinations = ["alice"] } }
}

run "prod_defaults" {
  command = plan
  variables {
    app_env = "prod"
  }
  assert {
    condition = output.fqdns == {
      wordpress          = "fullfrontend.be"
      wordpress_www      = "www.fullfrontend.be"
      n8n                = "n8n.fullfrontend.be"
      n8n_webhook        = "webhook.fullfrontend.be"
      nextcloud          = "cloud.fullfrontend.be"
      mailu              = "mail.fullfrontend.be"
      mailu_autoconfig   = "autoconfig.fullfrontend.be"
      mailu_autodiscover = "autodiscover.fullfrontend.be"
      analytics          = "insights.fullfrontend.be"
      registry           = "registry.fullfrontend.be"
      crm                = "crm.fullfrontend.be"
    }
    error_message = "prod FQDNs do not match the seed's table for fullfrontend.be"
  }
  assert {
    condition     = output.features.cert_manager && output.features.external_dns && output.features.doks && output.features.velero
    error_message = "prod must run DOKS, cert-manager, external-dns and Velero"
  }
  assert {
    condition     = endswith(output.kubeconfig_path, "/.kube/config") && output.kubeconfig_path != pathexpand("~/.kube/config")
    error_message = "prod kubeconfig must be <repo>/.kube/config (doctl kubeconfig save)"
  }
  assert {
    condition     = output.features.state_backend == "s3"
    error_message = "prod state must live in the S3 backend on Spaces"
  }
}

run "dev_defaults" {
  command = plan
  variables {
    app_env = "dev"
  }
  assert {
    condition = output.fqdns == {
      wordpress          = "fullfrontend.kube"
      wordpress_www      = "www.fullfrontend.kube"
      n8n                = "n8n.fullfrontend.kube"
      n8n_webhook        = "webhook.fullfrontend.kube"
      nextcloud          = "cloud.fullfrontend.kube"
      mailu              = "mail.fullfrontend.kube"
      mailu_autoconfig   = "autoconfig.fullfrontend.kube"
      mailu_autodiscover = "autodiscover.fullfrontend.kube"
      analytics          = "insights.fullfrontend.kube"
      registry           = "registry.fullfrontend.kube"
      crm                = "crm.fullfrontend.kube"
    }
    error_message = "dev FQDNs do not match the seed's table for fullfrontend.kube"
  }
  assert {
    condition     = !output.features.cert_manager && !output.features.external_dns && !output.features.doks && output.features.velero
    error_message = "dev runs no DOKS, cert-manager or external-dns, but Velero"
  }
  assert {
    condition     = output.kubeconfig_path == pathexpand("~/.kube/config")
    error_message = "dev kubeconfig must be ~/.kube/config"
  }
}

run "prod_overridden_root_domain" {
  command = plan
  variables {
    app_env          = "prod"
    root_domain_prod = "example.org"
    root_domain_dev  = "ignored.test"
  }
  assert {
    condition     = output.root_domain == "example.org" && output.fqdns.wordpress == "example.org" && output.fqdns.n8n_webhook == "webhook.example.org" && output.fqdns.registry == "registry.example.org"
    error_message = "prod FQDNs must follow root_domain_prod"
  }
}

run "dev_overridden_root_domain" {
  command = plan
  variables {
    app_env         = "dev"
    root_domain_dev = "agency.localhost"
  }
  assert {
    condition     = output.root_domain == "agency.localhost" && output.fqdns.nextcloud == "cloud.agency.localhost" && output.fqdns.analytics == "insights.agency.localhost"
    error_message = "dev FQDNs must follow root_domain_dev"
  }
}

run "unknown_app_env_is_refused" {
  command = plan
  variables {
    app_env = "staging"
  }
  expect_failures = [var.app_env]
}

run "root_domain_with_scheme_is_refused" {
  command = plan
  variables {
    root_domain_prod = "https://fullfrontend.be"
  }
  expect_failures = [var.root_domain_prod]
}

run "upper_case_root_domain_is_refused" {
  command = plan
  variables {
    app_env         = "dev"
    root_domain_dev = "FullFrontend.kube"
  }
  expect_failures = [var.root_domain_dev]
}

run "single_label_root_domain_is_refused" {
  command = plan
  variables {
    root_domain_prod = "localhost"
  }
  expect_failures = [var.root_domain_prod]
}

run "short_state_passphrase_is_refused" {
  command = plan
  variables {
    state_encryption_passphrase = "short"
  }
  expect_failures = [var.state_encryption_passphrase]
}
