terraform {
  # Providerless: only Terraform's built-in functions. 1.9 for validations that refer to other variables.
  required_version = ">= 1.9"
}
