output "root_domain" {
  description = "Root domain of the DigitalOcean DNS zone."
  value       = module.env.root_domain
}

output "kubeconfig_path" {
  description = "Where `doctl kubernetes cluster kubeconfig save` writes the cluster's credentials for stacks/platform."
  value       = module.env.kubeconfig_path
}

output "cluster" {
  description = "The DOKS cluster, for stacks/platform (read through terraform_remote_state)."
  value = {
    id      = digitalocean_kubernetes_cluster.main.id
    name    = digitalocean_kubernetes_cluster.main.name
    version = digitalocean_kubernetes_cluster.main.version
    region  = var.region
  }
}

output "vpc_cidr" {
  description = "Private range of the VPC: the only source Traefik trusts for PROXY protocol."
  value       = digitalocean_vpc.main.ip_range
}

output "buckets" {
  description = "Spaces buckets and their S3 endpoint."
  value = {
    backups  = digitalocean_spaces_bucket.backups.name
    media    = digitalocean_spaces_bucket.media.name
    endpoint = "https://${var.region}.digitaloceanspaces.com"
    region   = var.region
  }
}

output "node_pool" {
  description = "Size and autoscaling bounds of the default node pool (for the cost report)."
  value = {
    size      = var.node_size
    min_nodes = var.node_pool.min_nodes
    max_nodes = var.node_pool.max_nodes
    ha        = var.ha_control_plane
  }
}
