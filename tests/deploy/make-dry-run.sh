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
  "terraform -chdir=terraform apply" "-var 'prefix=kstreamdemo'" "-var 'storage_account_name=stkstreamdemo0001'"
step deploy-credentials "az aks get-credentials" "output -raw aks_name" "az storage account keys list" "umask 077"
step deploy-data "az storage blob upload-batch" "--source \"data\"" "output -raw storage_container_name"
step deploy-cfk "kubectl apply -f confluent/namespace.yaml" "helm repo add confluentinc https://packages.confluent.io/helm" \
  "helm upgrade --install confluent-operator confluentinc/confluent-for-kubernetes" "--namespace confluent"
step deploy-platform "kubectl apply -f confluent/platform.yaml" "kubectl apply -f confluent/topics.yaml" "wait kafka/kafka"
step deploy-connector "scripts/deploy/blob-secret.sh | kubectl apply -f -" "kubectl apply -f confluent/connector.yaml"
step deploy-image "docker build --tag docker.io/CHANGEME/kstream-app:0.1.0-" "docker push"
# The image tag is unique to the sources (IfNotPresent would keep a reused tag's old image)
# and deploy-app deploys the tag deploy-image pushed.
tag="$(sed -n 's/.*docker build --tag [^ ]*:\([^ ]*\) .*/\1/p' "$work/deploy-image.out")"
[[ "$tag" =~ ^0\.1\.0-([0-9a-f]{12}|nogit)(-dirty-[0-9a-f]{8})?$ ]] || fail "deploy-image tag '$tag' is not <appVersion>-<commit>[-dirty-<hash>]"
step deploy-app "helm upgrade --install kstream-app charts/kstream-app --namespace confluent" \
  "--set image.repository=docker.io/CHANGEME/kstream-app" "--set image.tag=$tag "
step deploy-ksql "scripts/deploy/ksql-request.sh" "curlimages/curl" "http://ksqldb.confluent.svc.cluster.local:8088/ksql"
step deploy-destroy "helm uninstall kstream-app" "terraform -chdir=terraform destroy"

# ACR variant of the image step, and settings from a deploy.conf.
printf 'DEPLOY_ACR_NAME=myacr\nDEPLOY_IMAGE_TAG=9.9.9\nDEPLOY_TF=tofu\n' >"$work/deploy.conf"
make --no-print-directory -n deploy-image deploy-infra DEPLOY_CONF="$work/deploy.conf" >"$work/acr.out"
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
for target in deploy-infra deploy-credentials deploy-data deploy-cfk deploy-platform deploy-connector \
              deploy-image deploy-app deploy-ksql deploy-destroy; do
  grep -qF "\`$target\`" <<<"$readme_block" || fail "README's deploy section does not document $target"
done
grep -qF "## Deploy to AKS" <<<"$readme_block" || fail "README has no 'Deploy to AKS' section"
ok "README 'Deploy to AKS' documents every step"
done_checks
