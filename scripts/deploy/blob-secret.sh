#!/usr/bin/env bash
# Prints (stdout) the Secret `azure-blob-credentials` that the Connect pods mount and the
# expedia source connector reads through Kafka's FileConfigProvider
# (confluent/connector.yaml). Pipe it into `kubectl apply -f -`.
# The key is read from a file, never from the command line (where `ps` would show it).
#   STORAGE_ACCOUNT_NAME=...  the storage account of the data
#   STORAGE_KEY_FILE=...      file holding its access key (make deploy-credentials)
#   NAMESPACE=confluent
set -euo pipefail
: "${STORAGE_ACCOUNT_NAME:?}" "${STORAGE_KEY_FILE:?}"
namespace="${NAMESPACE:-confluent}"
[ -s "$STORAGE_KEY_FILE" ] || { echo "blob-secret: $STORAGE_KEY_FILE is empty or missing" >&2; exit 1; }

umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
{
  printf 'account.name=%s\n' "$STORAGE_ACCOUNT_NAME"
  printf 'account.key=%s\n' "$(tr -d '\r\n' <"$STORAGE_KEY_FILE")"
} >"$tmp/azure-blob.properties"

kubectl create secret generic azure-blob-credentials --namespace "$namespace" \
  --from-file=azure-blob.properties="$tmp/azure-blob.properties" \
  --dry-run=client --output=yaml
