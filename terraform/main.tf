# Azure infrastructure for kstream-app: one resource group holding the AKS cluster that
# runs Confluent Platform (via Confluent for Kubernetes) and the job, and the storage
# account whose container `data` holds the expedia input files read by Kafka Connect.

locals {
  resource_group_name = "rg-${var.prefix}-${var.location}"
  aks_name            = "aks-${var.prefix}-${var.location}"
}

resource "azurerm_resource_group" "main" {
  name     = local.resource_group_name
  location = var.location
  tags     = var.tags
}

resource "azurerm_kubernetes_cluster" "main" {
  name                = local.aks_name
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  dns_prefix          = "${var.prefix}-aks"
  kubernetes_version  = var.kubernetes_version
  tags                = var.tags

  default_node_pool {
    name    = "system"
    vm_size = var.node_vm_size
    # Changing vm_size, os_disk_size_gb (or other pool properties Azure cannot change in
    # place) rotates the pool through a temporary one of this name; without it, the apply fails.
    temporary_name_for_rotation = "systemtmp"
    # With the autoscaler on, the node count is the autoscaler's: null leaves it out of
    # every plan (node_count is optional+computed), so an apply never resets it to the
    # minimum. This is `ignore_changes` on the count when autoscaling - which a lifecycle
    # block cannot express, as it cannot depend on a variable - and without autoscaling
    # the count stays managed here.
    node_count           = var.node_max_count != null ? null : var.node_count
    auto_scaling_enabled = var.node_max_count != null
    min_count            = var.node_max_count != null ? var.node_count : null
    max_count            = var.node_max_count
    os_disk_size_gb      = var.node_os_disk_size_gb
    # Azure CNI overlay (network_profile): pod addresses come from a private overlay
    # range, so the pod count per node needs no subnet sizing.
    max_pods = 60

    upgrade_settings {
      max_surge = "10%"
    }
  }

  # A system-assigned managed identity: no service principal secret to rotate or store.
  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    load_balancer_sku   = "standard"
  }

  # Node pools are managed here (the default pool above), not by node auto-provisioning.
  node_provisioning_profile {
    mode = "Manual"
  }

  dynamic "workload_autoscaler_profile" {
    for_each = var.keda_enabled ? [1] : []
    content {
      keda_enabled = true
    }
  }

  oidc_issuer_enabled = true
}

resource "azurerm_storage_account" "data" {
  name                     = var.storage_account_name
  resource_group_name      = azurerm_resource_group.main.name
  location                 = azurerm_resource_group.main.location
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.storage_replication_type
  # Hierarchical namespace (ADLS Gen2), as the data set's other consumers expect.
  is_hns_enabled                  = true
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  tags                            = var.tags
}

resource "azurerm_storage_container" "data" {
  name                  = "data"
  storage_account_id    = azurerm_storage_account.data.id
  container_access_type = "private"
}
