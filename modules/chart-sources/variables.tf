variable "overrides" {
  description = "Per-chart overrides of repository, chart name or version, keyed like the defaults (for example to pull every chart from an OCI mirror on the Zot registry)."
  type = map(object({
    repository = optional(string)
    chart      = optional(string)
    version    = optional(string)
  }))
  default = {}
}
