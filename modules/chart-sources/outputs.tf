output "charts" {
  description = "Repository, chart name and version of every third-party chart, keyed by chart."
  value       = local.charts
  precondition {
    condition     = length(setsubtract(keys(var.overrides), keys(local.defaults))) == 0
    error_message = "chart_sources names unknown charts: ${join(", ", setsubtract(keys(var.overrides), keys(local.defaults)))}. Known: ${join(", ", sort(keys(local.defaults)))}."
  }
}
