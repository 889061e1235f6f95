output "workers" {
  description = "MaxRequestWorkers: how many requests Apache serves at once."
  value       = local.workers
}

output "conf" {
  description = "The mpm_prefork.conf the ConfigMap holds."
  value       = local.conf
}

output "volume" {
  description = "The pod volume of the ConfigMap."
  value       = { name = "apache-mpm", configMap = { name = var.name } }
}

output "volume_mount" {
  description = "The container mount over Debian's mpm_prefork.conf."
  value       = { name = "apache-mpm", mountPath = "/etc/apache2/mods-available/mpm_prefork.conf", subPath = "mpm_prefork.conf", readOnly = true }
}

output "pod_annotations" {
  description = "Pod annotations that restart the pod when the configuration changes (a subPath mount does not follow ConfigMap updates)."
  value       = { "fullfrontend.be/apache-hash" = sha256(local.conf) }
}
