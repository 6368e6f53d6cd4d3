# Azure infrastructure for kstream-app: one resource group holding the AKS cluster that
# runs Confluent Platform (via Confluent for Kubernetes) and the job, and the storage
# account whose container `data` holds the expedia input files read by Kafka Connect.
#
# Security baseline (tests/deploy/checkov.sh runs checkov over this folder; what a demo
# cluster skips is listed with its reason in tests/deploy/checkov-skips.txt):
# - the Kubernetes API: Entra ID sign-in with Azure RBAC, local accounts (and so any
#   cluster-admin kubeconfig in the state) off, reachable from api_server_authorized_ip_ranges
#   only (or not public at all: private_cluster_enabled);
# - workloads: workload identity with the OIDC issuer, Cilium enforcing NetworkPolicies, the
#   Key Vault secrets provider (CSI) with rotation, Azure Policy, images cleaned;
# - nodes in a subnet of our own over three zones, patched automatically (patch channel and
#   node images) inside a weekly maintenance window; logs to a Log Analytics workspace;
# - the data: storage reachable only from that subnet and storage_allowed_ip_ranges, Entra ID
#   sign-in by default, no anonymous access, TLS 1.2, soft delete, no local users.

locals {
  resource_group_name = "rg-${var.prefix}-${var.location}"
  aks_name            = "aks-${var.prefix}-${var.location}"
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "main" {
  name     = local.resource_group_name
  location = var.location
  tags     = var.tags
}

# The nodes' network. Pods get overlay addresses (network_profile), so one /24 holds the
# nodes; the subnet's service endpoint lets the storage account's firewall admit exactly it.
resource "azurerm_virtual_network" "main" {
  name                = "vnet-${var.prefix}-${var.location}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  address_space       = [var.vnet_address_space]
  tags                = var.tags
}

resource "azurerm_subnet" "nodes" {
  name                 = "snet-aks-nodes"
  resource_group_name  = azurerm_resource_group.main.name
  virtual_network_name = azurerm_virtual_network.main.name
  address_prefixes     = [cidrsubnet(var.vnet_address_space, 24 - tonumber(split("/", var.vnet_address_space)[1]), 0)]

  service_endpoint {
    service = "Microsoft.Storage"
  }
}

# Azure's default rules only (in from the virtual network and the load balancer, out
# anywhere); AKS adds what its load balancers need. The brokers get no public listener.
resource "azurerm_network_security_group" "nodes" {
  name                = "nsg-aks-nodes-${var.prefix}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = var.tags
}

resource "azurerm_subnet_network_security_group_association" "nodes" {
  subnet_id                 = azurerm_subnet.nodes.id
  network_security_group_id = azurerm_network_security_group.nodes.id
}

# The cluster's own identity, made before the cluster so that it can be given the subnet
# (a system-assigned identity exists only once the cluster does).
resource "azurerm_user_assigned_identity" "aks" {
  name                = "id-${local.aks_name}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = var.tags
}

resource "azurerm_role_assignment" "aks_subnet" {
  scope                = azurerm_subnet.nodes.id
  role_definition_name = "Network Contributor"
  principal_id         = azurerm_user_assigned_identity.aks.principal_id
}

resource "azurerm_log_analytics_workspace" "main" {
  name                = "log-${var.prefix}-${var.location}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = var.tags
}

resource "azurerm_kubernetes_cluster" "main" {
  name                = local.aks_name
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  dns_prefix          = "${var.prefix}-aks"
  kubernetes_version  = var.kubernetes_version
  sku_tier            = var.aks_sku_tier
  tags                = var.tags

  # Sign-in through Entra ID only, authorised by Azure RBAC (role assignments below and the
  # admin groups); no local accounts, so no static admin credential exists.
  local_account_disabled            = true
  role_based_access_control_enabled = true
  azure_active_directory_role_based_access_control {
    azure_rbac_enabled     = true
    tenant_id              = data.azurerm_client_config.current.tenant_id
    admin_group_object_ids = var.admin_group_object_ids
  }

  # The API server: public but only for the given ranges, or private (then reached from the
  # virtual network, e.g. a jump host or `az aks command invoke`).
  private_cluster_enabled = var.private_cluster_enabled
  dynamic "api_server_access_profile" {
    for_each = var.private_cluster_enabled ? [] : [1]
    content {
      authorized_ip_ranges = var.api_server_authorized_ip_ranges
    }
  }

  # Pods get Azure identities through federated service-account tokens, no secrets.
  oidc_issuer_enabled       = true
  workload_identity_enabled = true

  key_vault_secrets_provider {
    secret_rotation_enabled  = true
    secret_rotation_interval = "2m"
  }

  azure_policy_enabled         = true
  image_cleaner_enabled        = true
  image_cleaner_interval_hours = 48

  oms_agent {
    log_analytics_workspace_id      = azurerm_log_analytics_workspace.main.id
    msi_auth_for_monitoring_enabled = true
  }

  # Patch releases of the chosen minor version and new node images, applied in the window.
  automatic_upgrade_channel = "patch"
  node_os_upgrade_channel   = "NodeImage"
  maintenance_window_auto_upgrade {
    frequency   = "Weekly"
    interval    = 1
    day_of_week = var.maintenance_day
    start_time  = var.maintenance_start_time
    utc_offset  = "+00:00"
    duration    = 4
  }
  maintenance_window_node_os {
    frequency   = "Weekly"
    interval    = 1
    day_of_week = var.maintenance_day
    start_time  = var.maintenance_start_time
    utc_offset  = "+00:00"
    duration    = 4
  }

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
    # Spread over the region's zones: one zone down leaves two brokers and controllers.
    zones                   = var.zones
    vnet_subnet_id          = azurerm_subnet.nodes.id
    host_encryption_enabled = var.host_encryption_enabled
    # Azure CNI overlay (network_profile): pod addresses come from a private overlay
    # range, so the pod count per node needs no subnet sizing.
    max_pods = 60

    upgrade_settings {
      max_surge = "10%"
    }
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.aks.id]
  }

  # Cilium as data plane and NetworkPolicy engine: the chart's NetworkPolicy is enforced.
  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_data_plane  = "cilium"
    network_policy      = "cilium"
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

  depends_on = [azurerm_role_assignment.aks_subnet, azurerm_subnet_network_security_group_association.nodes]
}

# Whoever applies this (`make deploy-infra`) administers the cluster through Entra ID (there
# is no local admin) and may upload the data with its own sign-in (`make deploy-data`).
resource "azurerm_role_assignment" "deployer_aks_admin" {
  count                = var.deployer_role_assignments ? 1 : 0
  scope                = azurerm_kubernetes_cluster.main.id
  role_definition_name = "Azure Kubernetes Service RBAC Cluster Admin"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_storage_account" "data" {
  name                     = var.storage_account_name
  resource_group_name      = azurerm_resource_group.main.name
  location                 = azurerm_resource_group.main.location
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.storage_replication_type
  # Hierarchical namespace (ADLS Gen2), as the data set's other consumers expect.
  is_hns_enabled                    = true
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  infrastructure_encryption_enabled = true
  local_user_enabled                = false
  cross_tenant_replication_enabled  = false
  # Entra ID sign-in for the portal, the CLI (make deploy-data: --auth-mode login) and
  # Terraform (provider storage_use_azuread). Shared keys stay enabled for one reader only:
  # Confluent's Azure Blob Storage Source connector authenticates with the account key and
  # nothing else (azblob.account.key is required; it has no SAS, service principal or
  # managed identity option), so Connect cannot use a managed identity here.
  shared_access_key_enabled       = true
  default_to_oauth_authentication = true
  # Public endpoint, closed by the firewall: the nodes' subnet (service endpoint) and the
  # operators' addresses only.
  public_network_access_enabled = true
  network_rules {
    default_action             = "Deny"
    bypass                     = ["AzureServices"]
    ip_rules                   = var.storage_allowed_ip_ranges
    virtual_network_subnet_ids = [azurerm_subnet.nodes.id]
  }
  blob_properties {
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }
  # SAS tokens (none are used) would expire within a day.
  sas_policy {
    expiration_period = "01.00:00:00"
    expiration_action = "Log"
  }
  tags = var.tags
}

resource "azurerm_storage_container" "data" {
  name                  = "data"
  storage_account_id    = azurerm_storage_account.data.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "deployer_blob_data" {
  count                = var.deployer_role_assignments ? 1 : 0
  scope                = azurerm_storage_account.data.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = data.azurerm_client_config.current.object_id
}
