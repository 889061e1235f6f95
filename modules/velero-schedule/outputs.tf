output "name" {
  description = "Name of the Schedule."
  value       = var.name
}
