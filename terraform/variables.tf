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
