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
}
