output "guarded" {
  description = "The names of the guarded keys."
  value       = sort(keys(var.keys))
}
