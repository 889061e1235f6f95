output "root_domain" {
  description = "Root domain of the DigitalOcean DNS zone."
  value       = module.env.root_domain
}

output "kubeconfig_path" {
  description = "Where `doctl kubernetes cluster kubeconfig save` writes the cluster's credentials for stacks/platform."
  value       = module.env.kubeconfig_path
}
