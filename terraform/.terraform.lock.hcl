# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.opentofu.org/hashicorp/azurerm" {
  version     = "4.57.0"
  constraints = "~> 4.57"
}

provider "registry.terraform.io/hashicorp/azurerm" {
  version     = "4.57.0"
  constraints = "~> 4.57"
}
