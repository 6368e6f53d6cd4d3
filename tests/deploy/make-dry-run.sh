#!/usr/bin/env bash
# `make -n` of every deploy step prints the commands it would run; check that each one
# says what the README promises (and that none of them needs deploy.conf to be printed).
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "$0")/lib.sh"
need make

# step 'expected text' ...: every expected text must be in `make -n step`.
step() {
  local target="$1"; shift
  make --no-print-directory -n "$target" DEPLOY_CONF=/nonexistent/deploy.conf >"$work/$target.out" 2>&1 \
    || { cat "$work/$target.out"; fail "make -n $target"; }
  local want
  for want in "$@"; do
    grep -qF -- "$want" "$work/$target.out" || { cat "$work/$target.out"; fail "make -n $target: missing '$want'"; }
  done
  ok "make -n $target ($(grep -cvE '^(test|!) ' "$work/$target.out") commands)"
}

step deploy-infra "terraform -chdir=terraform init -input=false -backend-config=backend.conf" \
  "terraform -chdir=terraform apply" "-var 'prefix=kstreamdemo'" "-var 'storage_account_name=stkstreamdemo0001'" \
  "-var 'api_server_authorized_ip_ranges=[\"CHANGEME\"]'" "-var 'storage_allowed_ip_ranges=[]'" "-var 'private_cluster_enabled=false'"
step deploy-credentials "az aks get-credentials" "output -raw aks_name" "kubelogin convert-kubeconfig -l azurecli" \
  "az storage account keys list" "umask 077"
step deploy-data "az storage blob upload-batch --auth-mode login" "--source \"data\"" "output -raw storage_container_name"
grep -q "AZURE_STORAGE_KEY\|--admin" "$work/deploy-data.out" "$work/deploy-credentials.out" && fail "deploy-data/-credentials use a key or the admin kubeconfig"
ok "deploy-data signs in with Entra ID, deploy-credentials asks for no admin kubeconfig"
step deploy-cfk "kubectl apply -f confluent/namespace.yaml" "helm repo add confluentinc https://packages.confluent.io/helm" \
  "helm upgrade --install confluent-operator confluentinc/confluent-for-kubernetes" "--namespace confluent"
step deploy-cfk-secrets "scripts/deploy/cfk-secrets.py init" "scripts/deploy/cfk-secrets.py render" "| kubectl apply -f -" \
  ".local/state/kstream-app/kstreamdemo/cfk"
step deploy-platform "kubectl apply -f confluent/platform.yaml" "kubectl apply -f confluent/topics.yaml" "wait kafka/kafka" \
  "kubectl apply -f confluent/acls.yaml" "wait job/kafka-acls --for=condition=complete"
step deploy-connector "scripts/deploy/blob-secret.sh | kubectl apply -f -" "kubectl apply -f confluent/connector.yaml"
step deploy-image "docker build --tag docker.io/CHANGEME/kstream-app:0.1.0 ." "docker push"
step deploy-app "helm upgrade --install kstream-app charts/kstream-app --namespace confluent" \
  "--set image.repository=docker.io/CHANGEME/kstream-app"
step deploy-ksql "scripts/deploy/ksql-request.sh" "curlimages/curl" "scripts/deploy/ksql-submit-overrides.py" \
  "https://ksqldb.confluent.svc.cluster.local:8088/ksql"
step deploy-destroy "helm uninstall kstream-app" "terraform -chdir=terraform destroy"

# ACR variant of the image step, and settings from a deploy.conf.
printf 'DEPLOY_ACR_NAME=myacr\nDEPLOY_IMAGE_TAG=9.9.9\nDEPLOY_TF=tofu\nDEPLOY_API_AUTHORIZED_IP_RANGES=203.0.113.7/32,198.51.100.0/24\nDEPLOY_STORAGE_ALLOWED_IPS=203.0.113.7\n' >"$work/deploy.conf"
make --no-print-directory -n deploy-image deploy-infra DEPLOY_CONF="$work/deploy.conf" >"$work/acr.out"
grep -qF -- "-var 'api_server_authorized_ip_ranges=[\"203.0.113.7/32\",\"198.51.100.0/24\"]' -var 'storage_allowed_ip_ranges=[\"203.0.113.7\"]'" "$work/acr.out" \
  || { cat "$work/acr.out"; fail "deploy.conf's address lists as Terraform lists"; }
grep -qF "az acr build --registry myacr --image kstream-app:9.9.9" "$work/acr.out" || { cat "$work/acr.out"; fail "ACR build"; }
grep -qF "tofu -chdir=terraform apply" "$work/acr.out" || { cat "$work/acr.out"; fail "DEPLOY_TF from deploy.conf"; }
ok "deploy.conf values override the template (ACR build, OpenTofu)"

# Without deploy.conf a real run stops at once, before any cloud command.
mkdir "$work/noconf"
if (cd "$work/noconf" && cp -r "$repo/mk" "$repo/Makefile" "$repo/deploy.conf.template" . && make --no-print-directory deploy-app) >"$work/noconf.out" 2>&1; then
  fail "make deploy-app without deploy.conf should fail"
fi
grep -q "deploy.conf missing" "$work/noconf.out" || { cat "$work/noconf.out"; fail "missing deploy.conf message"; }
ok "without deploy.conf the steps refuse to run"
# Every step is documented in the README's "Deploy to AKS" section.
readme_block="$(sed -n '/<!-- BEGIN deploy -->/,/<!-- END deploy -->/p' README.md)"
for target in deploy-infra deploy-credentials deploy-data deploy-cfk deploy-cfk-secrets deploy-platform deploy-connector \
              deploy-image deploy-app deploy-ksql deploy-destroy; do
  grep -qF "\`$target\`" <<<"$readme_block" || fail "README's deploy section does not document $target"
done
grep -qF "## Deploy to AKS" <<<"$readme_block" || fail "README has no 'Deploy to AKS' section"
ok "README 'Deploy to AKS' documents every step"
done_checks
