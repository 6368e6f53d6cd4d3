output "resource_group_name" {
  description = "Resource group holding the cluster and the storage account."
  value       = azurerm_resource_group.main.name
}

output "aks_name" {
  description = "Name of the AKS cluster (for `az aks get-credentials`)."
  value       = azurerm_kubernetes_cluster.main.name
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

output "key_vault_secrets_provider_client_id" {
  description = "Client id of the Key Vault secrets provider's identity: give it \"Key Vault Secrets User\" on a vault, and name it in a SecretProviderClass (userAssignedIdentityID)."
  value       = azurerm_kubernetes_cluster.main.key_vault_secrets_provider[0].secret_identity[0].client_id
}

output "node_subnet_id" {
  description = "Subnet of the nodes (admitted by the storage account's firewall)."
  value       = azurerm_subnet.nodes.id
}
