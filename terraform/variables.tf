variable "subscription_id" {
  description = "Azure subscription to deploy into. Leave null to take it from the ARM_SUBSCRIPTION_ID environment variable."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.subscription_id == null || can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", var.subscription_id))
    error_message = "subscription_id must be a GUID (or null to use ARM_SUBSCRIPTION_ID)."
  }
}

variable "prefix" {
  description = "Short name that every resource name is built from: rg-<prefix>-<location>, aks-<prefix>, ... Lower-case letters and digits, 3 to 12 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,11}$", var.prefix))
    error_message = "prefix must be 3-12 lower-case letters or digits and start with a letter."
  }
}

variable "location" {
  description = "Azure region, as `az account list-locations --query '[].name'` prints it (e.g. westeurope)."
  type        = string
  default     = "westeurope"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]+$", var.location))
    error_message = "location must be a region name such as westeurope (lower case, no spaces)."
  }
}

variable "storage_account_name" {
  description = "Name of the storage account that holds the input data (container `data`). Globally unique in Azure: 3-24 lower-case letters and digits."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.storage_account_name))
    error_message = "storage_account_name must be 3-24 lower-case letters or digits."
  }
}

variable "storage_replication_type" {
  description = "Replication of the data storage account: LRS is enough for a re-loadable input data set."
  type        = string
  default     = "LRS"

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.storage_replication_type)
    error_message = "storage_replication_type must be one of LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS."
  }
}

variable "kubernetes_version" {
  description = "AKS Kubernetes version (e.g. 1.33). Null lets AKS pick its current default version."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.kubernetes_version == null || can(regex("^1\\.[0-9]{2}(\\.[0-9]+)?$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.33 or 1.33.2, or be null."
  }
}

variable "node_vm_size" {
  description = "VM size of the node pool. Confluent Platform here is 3 KRaft controllers, 3 brokers, Connect, ksqlDB and Control Center (with its Prometheus): about 7 vCPU and 28 GiB of requests (confluent/platform.yaml), so 3 nodes of 4 vCPU / 16 GiB."
  type        = string
  default     = "Standard_D4s_v5"

  validation {
    condition     = can(regex("^Standard_[A-Za-z0-9_]+$", var.node_vm_size))
    error_message = "node_vm_size must be an Azure VM size name such as Standard_D4s_v5."
  }
}

variable "node_count" {
  description = "Number of nodes (the minimum when autoscaling is on). At least 3, so that the 3 brokers and 3 controllers can be spread over 3 nodes."
  type        = number
  default     = 3

  validation {
    condition     = var.node_count >= 3 && var.node_count <= 20 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number from 3 to 20."
  }
}

variable "node_max_count" {
  description = "Upper bound for the cluster autoscaler. Null keeps the pool at node_count nodes (no autoscaling)."
  type        = number
  default     = null
  nullable    = true

  validation {
    condition     = var.node_max_count == null || try(var.node_max_count >= 3 && var.node_max_count <= 50, false)
    error_message = "node_max_count must be null or a number from 3 to 50."
  }
}

variable "node_os_disk_size_gb" {
  description = "OS disk of each node, GiB (container images of Confluent Platform are large)."
  type        = number
  default     = 128

  validation {
    condition     = var.node_os_disk_size_gb >= 64 && var.node_os_disk_size_gb <= 2048
    error_message = "node_os_disk_size_gb must be between 64 and 2048."
  }
}

variable "keda_enabled" {
  description = "Enable the AKS KEDA add-on, which the chart's optional ScaledObject (scale on consumer lag) needs."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default = {
    project = "kstream-app"
  }
}

variable "api_server_authorized_ip_ranges" {
  description = "Address ranges (CIDR, e.g. your public IP as 203.0.113.7/32) that may reach the Kubernetes API server. Required unless private_cluster_enabled: the API server is never open to the whole Internet."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.api_server_authorized_ip_ranges : can(cidrhost(r, 0)) && !startswith(r, "0.0.0.0/")])
    error_message = "api_server_authorized_ip_ranges: each entry must be an IPv4 CIDR such as 203.0.113.7/32, and not 0.0.0.0/N."
  }
  validation {
    condition     = var.private_cluster_enabled || length(var.api_server_authorized_ip_ranges) > 0
    error_message = "api_server_authorized_ip_ranges is empty: give the ranges that may reach the API server (your public IP as x.x.x.x/32), or set private_cluster_enabled = true."
  }
}

variable "private_cluster_enabled" {
  description = "Give the API server a private address only (reach it from the virtual network, or with `az aks command invoke`). Then api_server_authorized_ip_ranges is not used."
  type        = bool
  default     = false
}

variable "admin_group_object_ids" {
  description = "Object ids of Entra ID groups whose members administer the cluster (Kubernetes cluster-admin through Entra ID). The identity that applies this configuration gets the Azure Kubernetes Service RBAC Cluster Admin role anyway (deployer_role_assignments)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.admin_group_object_ids : can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", g))])
    error_message = "admin_group_object_ids must be GUIDs (Entra ID group object ids)."
  }
}

variable "deployer_role_assignments" {
  description = "Give the identity that applies this configuration the Azure Kubernetes Service RBAC Cluster Admin role on the cluster and Storage Blob Data Contributor on the data account (what the make deploy-* steps need). Off when an administrator assigns roles separately."
  type        = bool
  default     = true
}

variable "storage_allowed_ip_ranges" {
  description = "Public addresses that may reach the data storage account besides the cluster's subnet, e.g. the machine running `make deploy-data`: single IPs (203.0.113.7) or ranges up to /30 (Azure's storage firewall takes no /31 or /32)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.storage_allowed_ip_ranges : can(regex("^([0-9]{1,3}\\.){3}[0-9]{1,3}(/([0-9]|[12][0-9]|30))?$", r))])
    error_message = "storage_allowed_ip_ranges: single IPv4 addresses (no /32) or CIDR ranges of /30 or wider."
  }
}

variable "zones" {
  description = "Availability zones of the node pool (the brokers, controllers and the job's replicas are spread over them). Empty for a region without zones."
  type        = list(string)
  default     = ["1", "2", "3"]

  validation {
    condition     = alltrue([for z in var.zones : contains(["1", "2", "3"], z)])
    error_message = "zones must be a subset of [\"1\", \"2\", \"3\"]."
  }
}

variable "vnet_address_space" {
  description = "Address space of the cluster's virtual network (the nodes' /24 is its first subnet). Must not overlap AKS's default service range 10.0.0.0/16 or pod overlay range 10.244.0.0/16."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrhost(var.vnet_address_space, 0)) && try(tonumber(split("/", var.vnet_address_space)[1]) <= 23, false)
    error_message = "vnet_address_space must be an IPv4 CIDR of /23 or wider, such as 10.42.0.0/16."
  }
}

variable "aks_sku_tier" {
  description = "AKS tier: Free (no uptime SLA; the demo's default), Standard (financially backed API server SLA) or Premium."
  type        = string
  default     = "Free"

  validation {
    condition     = contains(["Free", "Standard", "Premium"], var.aks_sku_tier)
    error_message = "aks_sku_tier must be Free, Standard or Premium."
  }
}

variable "host_encryption_enabled" {
  description = "Encrypt the nodes' temporary disks and caches at the host. Needs the EncryptionAtHost feature registered on the subscription (az feature register --namespace Microsoft.Compute --name EncryptionAtHost), hence off by default."
  type        = bool
  default     = false
}

variable "maintenance_day" {
  description = "Day of the weekly maintenance window in which AKS applies Kubernetes patch releases and node image updates."
  type        = string
  default     = "Sunday"

  validation {
    condition     = contains(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], var.maintenance_day)
    error_message = "maintenance_day must be a weekday name such as Sunday."
  }
}

variable "maintenance_start_time" {
  description = "Start of the 4-hour maintenance window, HH:MM in UTC."
  type        = string
  default     = "02:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_start_time))
    error_message = "maintenance_start_time must be HH:MM (24 h, UTC), such as 02:00."
  }
}

variable "log_retention_days" {
  description = "Days the Log Analytics workspace keeps the cluster's logs."
  type        = number
  default     = 30

  validation {
    condition     = var.log_retention_days >= 30 && var.log_retention_days <= 730
    error_message = "log_retention_days must be between 30 and 730."
  }
}
