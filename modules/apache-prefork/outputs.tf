output "workers" {
  description = "MaxRequestWorkers: how many requests Apache serves at once."
  value       = local.workers
  precondition {
    condition     = local.workers >= var.min_workers
    error_message = "a memory limit of ${var.memory_limit} holds ${local.workers} Apache workers of ${local.worker_mib} MiB (PHP memory_limit ${var.php_memory_limit_mib} MiB + ${local.base_mib} MiB), fewer than ${var.min_workers}: raise the limit to at least ${var.min_workers * local.worker_mib}Mi."
  }
}

output "conf" {
  description = "mpm_prefork.conf to mount over /etc/apache2/mods-available/mpm_prefork.conf."
  value       = <<-CONF
    # Managed by OpenTofu (modules/apache-prefork): ${local.workers} workers of
    # ${local.worker_mib} MiB (PHP memory_limit ${var.php_memory_limit_mib} MiB + ${local.base_mib} MiB) within ${var.memory_limit}.
    <IfModule mpm_prefork_module>
        StartServers            ${min(2, local.workers)}
        MinSpareServers         1
        MaxSpareServers         ${min(3, local.workers)}
        ServerLimit             ${local.workers}
        MaxRequestWorkers       ${local.workers}
        MaxConnectionsPerChild  1000
    </IfModule>
  CONF
}
