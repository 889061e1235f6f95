# Apache's prefork MPM, as Debian configures it in the php:*-apache images
# (mods-available/mpm_prefork.conf), starts up to 150 workers, each a PHP
# interpreter that may grow to PHP's memory_limit: far more than a
# container's memory limit holds, so a burst of requests ends in an OOM kill
# of the whole pod. This sizes the workers to the limit instead: every worker
# at memory_limit, plus Apache's and PHP's own share, fits. Requests beyond
# the workers wait in Apache's listen queue.
locals {
  # Apache and PHP themselves, per worker (code and opcache pages are
  # shared between workers, so this is their private part).
  base_mib   = 32
  limit_mib  = endswith(var.memory_limit, "Gi") ? tonumber(trimsuffix(var.memory_limit, "Gi")) * 1024 : tonumber(trimsuffix(var.memory_limit, "Mi"))
  worker_mib = var.php_memory_limit_mib + local.base_mib
  workers    = floor(local.limit_mib / local.worker_mib)
  conf       = <<-CONF
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

resource "kubectl_manifest" "config" {
  server_side_apply = true
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = var.name, namespace = var.namespace, labels = var.labels }
    data       = { "mpm_prefork.conf" = local.conf }
  })
  lifecycle {
    precondition {
      condition     = local.workers >= var.min_workers
      error_message = "a memory limit of ${var.memory_limit} holds ${local.workers} Apache workers of ${local.worker_mib} MiB (PHP memory_limit ${var.php_memory_limit_mib} MiB + ${local.base_mib} MiB), fewer than ${var.min_workers}: raise the limit to at least ${var.min_workers * local.worker_mib}Mi."
    }
  }
}
