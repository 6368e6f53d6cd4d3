output "resource_group_name" {
  description = "Resource group holding the cluster and the storage account."
  value       = azurerm_resource_group.main.name
}

output "aks_name" {
  description = "Name of the AKS cluster (for `az aks get-credentials`)."
  value       = azurerm_kubernetes_cluster.main.name
}

output "kube_config" {
  description = "Raw kubeconfig of the cluster (its local user credentials). Prefer `make deploy-credentials`, which merges them into ~/.kube/config via az."
  value       = azurerm_kubernetes_cluster.main.kube_config_raw
  sensitive   = true
}

output "storage_account_name" {
  description = "Storage account holding the input data."
  value       = azurerm_storage_account.data.name
}

output "storage_container_name" {
  description = "Blob container the expedia source connector reads."
  value       = azurerm_storage_container.data.name
}

output "oidc_issuer_url" {
  description = "OIDC issuer of the cluster, for workload identity federation."
  value       = azurerm_kubernetes_cluster.main.oidc_issuer_url
}
