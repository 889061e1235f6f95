provider "digitalocean" {
  token             = var.do_token
  spaces_access_id  = var.spaces_access_key_id
  spaces_secret_key = var.spaces_secret_access_key
}

module "env" {
  source           = "../../modules/environment"
  app_env          = var.app_env
  root_domain_prod = var.root_domain_prod
  root_domain_dev  = var.root_domain_dev
  repo_root        = abspath("${path.root}/../..")
  cluster_name     = var.cluster_name
}

# The minor version is pinned by a variable; DigitalOcean's list gives its
# newest patch, so a plan never asks for a version DOKS no longer offers.
data "digitalocean_kubernetes_versions" "pinned" {
  version_prefix = "${var.kubernetes_minor}."
}

resource "digitalocean_vpc" "main" {
  name     = module.env.names.vpc
  region   = var.region
  ip_range = var.vpc_cidr
}

resource "digitalocean_kubernetes_cluster" "main" {
  name          = module.env.names.cluster
  region        = var.region
  version       = data.digitalocean_kubernetes_versions.pinned.latest_version
  vpc_uuid      = digitalocean_vpc.main.id
  ha            = var.ha_control_plane
  auto_upgrade  = true
  surge_upgrade = true

  maintenance_policy {
    day        = var.maintenance_window.day
    start_time = var.maintenance_window.start_time
  }

  node_pool {
    name       = "default"
    size       = var.node_size
    auto_scale = true
    min_nodes  = var.node_pool.min_nodes
    max_nodes  = var.node_pool.max_nodes
    labels     = { pool = "default" }
  }
}

# Backups: database dumps under db/ expire after the retention period.
# Velero's prefix gets no expiration rule on purpose: its kopia repository
# keeps content-addressed blobs that newer snapshots still reference, so age
# alone must not delete them; Velero expires backups through their TTL.
resource "digitalocean_spaces_bucket" "backups" {
  name   = module.env.names.backups_bucket
  region = var.region
  acl    = "private"

  lifecycle_rule {
    id                                     = "db-dumps-retention"
    enabled                                = true
    prefix                                 = "db/"
    abort_incomplete_multipart_upload_days = 1
    expiration {
      days = var.backup_retention_days
    }
  }

  lifecycle_rule {
    id                                     = "abort-incomplete-uploads"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 1
  }
}

# Objects of the apps (WordPress media, optional Nextcloud external storage).
resource "digitalocean_spaces_bucket" "media" {
  name   = module.env.names.media_bucket
  region = var.region
  acl    = "private"
}

# Seed "DNS": the zone moves to DigitalOcean; external-dns manages records.
resource "digitalocean_domain" "root" {
  name = module.env.root_domain
}

resource "digitalocean_project" "main" {
  name        = module.env.names.project
  description = "Full Frontend platform (DOKS), managed by OpenTofu"
  purpose     = "Web Application"
  environment = "Production"
  resources = [
    digitalocean_kubernetes_cluster.main.urn,
    digitalocean_spaces_bucket.backups.urn,
    digitalocean_spaces_bucket.media.urn,
    digitalocean_domain.root.urn,
  ]
}

# Writes <repo>/.kube/config with doctl's exec credential (a static DOKS
# token would expire after 7 days). Needs doctl on PATH.
resource "terraform_data" "kubeconfig" {
  triggers_replace = [digitalocean_kubernetes_cluster.main.id, module.env.kubeconfig_path]

  provisioner "local-exec" {
    command = "mkdir -p \"$(dirname \"$KUBECONFIG\")\" && doctl kubernetes cluster kubeconfig save \"$CLUSTER_ID\""
    environment = {
      KUBECONFIG                = module.env.kubeconfig_path
      CLUSTER_ID                = digitalocean_kubernetes_cluster.main.id
      DIGITALOCEAN_ACCESS_TOKEN = var.do_token
    }
  }
}
