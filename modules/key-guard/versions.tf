terraform {
  # terraform_data is built in: no provider to install.
  required_version = ">= 1.8.0"
}
