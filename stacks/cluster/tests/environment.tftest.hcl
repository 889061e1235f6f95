# The cluster stack exists in prod only and names the prod domain.
mock_provider "digitalocean" {
  mock_data "digitalocean_kubernetes_versions" {
    defaults = {
      latest_version = "1.34.5-do.0"
      valid_versions = ["1.34.5-do.0", "1.34.4-do.1"]
    }
  }
}

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

run "cluster_shape" {
  command = plan
  assert {
    condition     = digitalocean_kubernetes_cluster.main.version == "1.34.5-do.0" && data.digitalocean_kubernetes_versions.pinned.version_prefix == "1.34."
    error_message = "the cluster must run the newest patch of the pinned minor"
  }
  assert {
    condition     = digitalocean_kubernetes_cluster.main.auto_upgrade && digitalocean_kubernetes_cluster.main.surge_upgrade
    error_message = "auto-upgrade and surge upgrades must be on"
  }
  assert {
    condition     = digitalocean_kubernetes_cluster.main.maintenance_policy[0].day == "sunday" && digitalocean_kubernetes_cluster.main.maintenance_policy[0].start_time == "05:00"
    error_message = "the maintenance window must be the configured one"
  }
  assert {
    condition     = digitalocean_kubernetes_cluster.main.node_pool[0].auto_scale && digitalocean_kubernetes_cluster.main.node_pool[0].size == "s-4vcpu-8gb" && digitalocean_kubernetes_cluster.main.node_pool[0].min_nodes == 2 && digitalocean_kubernetes_cluster.main.node_pool[0].max_nodes == 3
    error_message = "the default node pool must be s-4vcpu-8gb autoscaling between 2 and 3 nodes (the cheapest pool that fits, TestCostOfDefaultProdPlan)"
  }
  assert {
    condition     = digitalocean_vpc.main.ip_range == "10.110.0.0/20" && digitalocean_vpc.main.region == "fra1"
    error_message = "the VPC must use the configured range and region"
  }
  assert {
    condition     = one([for r in digitalocean_spaces_bucket.backups.lifecycle_rule : one(r.expiration).days if r.prefix == "db/"]) == 30
    error_message = "database dumps must expire after 30 days"
  }
  assert {
    condition     = length([for r in digitalocean_spaces_bucket.backups.lifecycle_rule : r if length(r.expiration) > 0 && r.prefix != "db/"]) == 0
    error_message = "no expiration rule may touch Velero's kopia repository"
  }
  assert {
    condition     = digitalocean_domain.root.name == "fullfrontend.be"
    error_message = "the DNS zone must be the prod root domain"
  }
  assert {
    condition     = terraform_data.kubeconfig.triggers_replace[1] == output.kubeconfig_path
    error_message = "the kubeconfig must be written where stacks/platform reads it"
  }
}

run "node_pool_bounds_are_checked" {
  command = plan
  variables {
    node_pool = { min_nodes = 3, max_nodes = 2 }
  }
  expect_failures = [var.node_pool]
}

run "vpc_cidr_is_checked" {
  command = plan
  variables {
    vpc_cidr = "10.110.0.0/8"
  }
  expect_failures = [var.vpc_cidr]
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
