# Provider and backend requirements for the kstream-app Azure infrastructure.
terraform {
  # 1.9: a variable's validation may refer to other variables (api_server_authorized_ip_ranges).
  required_version = ">= 1.9.0"

  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # 5.x: the schema tests/deploy/terraform.sh validates against (5.2.0 and later); 4.x
      # spells the subnet's service endpoints differently (service_endpoints), so one
      # configuration cannot suit both.
      version = "~> 5.2"
    }
  }

  # Remote state in an Azure storage account that exists before this stack (it is not
  # created here). Every setting comes from a file that is never committed:
  #   cp terraform/backend.conf.template terraform/backend.conf   # then edit it
  #   terraform -chdir=terraform init -backend-config=backend.conf
  # `make deploy-infra` does exactly this.
  backend "azurerm" {}
}

provider "azurerm" {
  features {
    resource_group {
      # `make deploy-destroy` must be able to remove the group even when AKS left
      # something behind in it.
      prevent_deletion_if_contains_resources = false
    }
  }
  # The storage data plane (the container) with Entra ID, not the account key.
  storage_use_azuread = true
  # null: taken from ARM_SUBSCRIPTION_ID, which scripts/deploy/infra.sh exports from
  # `az account show` (or from deploy.conf's AZURE_SUBSCRIPTION_ID when set).
  subscription_id = var.subscription_id
}
