# Deployment to Azure (AKS + Confluent for Kubernetes) and its offline validation.
# The steps, in order (README, "Deploy to AKS"):
#   deploy-infra        Terraform: resource group, AKS, storage account + container `data`
#   deploy-credentials  kube credentials into ~/.kube/config, storage key into a local 0600 file
#   deploy-data         upload DEPLOY_DATA_DIR to the container `data`
#   deploy-cfk          install the CFK operator (Helm) in namespace confluent
#   deploy-cfk-secrets  the platform's CA, passwords and logins as Secrets (from files outside the repository)
#   deploy-platform     KRaft controllers, brokers, Connect, ksqlDB, Control Center, ACLs, topics
#   deploy-connector    Secret with the storage account key + the expedia source Connector
#   deploy-image        build and push the job's image
#   deploy-app          helm upgrade --install charts/kstream-app
#   deploy-ksql         submit ksql/*.sql to ksqlDB's REST API
#   deploy-destroy      tear everything down (terraform destroy)
# Settings come from deploy.conf (copy of deploy.conf.template); `make -n <target>` prints
# the commands a step would run.

DEPLOY_CONF ?= deploy.conf
include deploy.conf.template
-include $(DEPLOY_CONF)

DEPLOY_NAMESPACE := confluent
DEPLOY_TF_DIR := terraform
DEPLOY_TFO = $(DEPLOY_TF) -chdir=$(DEPLOY_TF_DIR) output -raw
# Where deploy-credentials keeps the storage account key: outside the repository, 0600.
DEPLOY_STATE_DIR ?= $(HOME)/.local/state/kstream-app/$(DEPLOY_PREFIX)
DEPLOY_STORAGE_KEY_FILE := $(DEPLOY_STATE_DIR)/storage-account-key
# The platform's CA and passwords (scripts/deploy/cfk-secrets.py; 0700, outside the repository).
DEPLOY_CFK_CREDENTIALS_DIR ?= $(DEPLOY_STATE_DIR)/cfk
DEPLOY_KSQL_FILES := $(sort $(wildcard ksql/*.sql))
# deploy.conf's comma-separated lists as Terraform list literals: a,b -> ["a","b"].
deploy_comma := ,
deploy_tf_list = [$(if $(strip $(1)),"$(subst $(deploy_comma),"$(deploy_comma)",$(strip $(1)))")]
DEPLOY_TF_VARS = -var 'prefix=$(DEPLOY_PREFIX)' -var 'location=$(DEPLOY_LOCATION)' -var 'storage_account_name=$(DEPLOY_STORAGE_ACCOUNT)' \
  -var 'api_server_authorized_ip_ranges=$(call deploy_tf_list,$(DEPLOY_API_AUTHORIZED_IP_RANGES))' \
  -var 'storage_allowed_ip_ranges=$(call deploy_tf_list,$(DEPLOY_STORAGE_ALLOWED_IPS))' \
  -var 'admin_group_object_ids=$(call deploy_tf_list,$(DEPLOY_ADMIN_GROUP_OBJECT_IDS))' \
  -var 'private_cluster_enabled=$(DEPLOY_PRIVATE_CLUSTER)'

.PHONY: deploy-check-conf deploy-infra deploy-credentials deploy-data deploy-cfk deploy-platform \
        deploy-cfk-secrets deploy-connector deploy-image deploy-app deploy-ksql deploy-status deploy-port-forward \
        deploy-destroy deploy-validate deploy-schemas deploy-ksql-sync deploy-tf-schema deploy-tf-lock

deploy-check-conf:
	@test -f $(DEPLOY_CONF) || { echo "$(DEPLOY_CONF) missing: cp deploy.conf.template $(DEPLOY_CONF) and edit it" >&2; exit 1; }
	@! grep -q CHANGEME $(DEPLOY_CONF) || { echo "$(DEPLOY_CONF) still has CHANGEME values" >&2; exit 1; }

deploy-infra: deploy-check-conf ## 1. create resource group, AKS and storage (Terraform, remote state from terraform/backend.conf)
	@test -f $(DEPLOY_TF_DIR)/backend.conf || { echo "$(DEPLOY_TF_DIR)/backend.conf missing: cp $(DEPLOY_TF_DIR)/backend.conf.template $(DEPLOY_TF_DIR)/backend.conf and edit it" >&2; exit 1; }
	export ARM_SUBSCRIPTION_ID="$${ARM_SUBSCRIPTION_ID:-$(or $(DEPLOY_SUBSCRIPTION_ID),$$(az account show --query id -o tsv))}"; \
	$(DEPLOY_TF) -chdir=$(DEPLOY_TF_DIR) init -input=false -backend-config=backend.conf && \
	$(DEPLOY_TF) -chdir=$(DEPLOY_TF_DIR) apply -input=false $(DEPLOY_TF_VARS)

deploy-credentials: deploy-check-conf ## 2. kube credentials through Entra ID (az aks get-credentials + kubelogin) and the storage account key for the connector
	az aks get-credentials --overwrite-existing \
	  --resource-group "$$($(DEPLOY_TFO) resource_group_name)" --name "$$($(DEPLOY_TFO) aks_name)"
	kubelogin convert-kubeconfig -l azurecli
	kubectl cluster-info
	install -d -m 0700 "$(DEPLOY_STATE_DIR)"
	umask 077; az storage account keys list \
	  --resource-group "$$($(DEPLOY_TFO) resource_group_name)" --account-name "$$($(DEPLOY_TFO) storage_account_name)" \
	  --query '[0].value' -o tsv > "$(DEPLOY_STORAGE_KEY_FILE)"
	@echo "storage account key saved to $(DEPLOY_STORAGE_KEY_FILE) (mode 0600)"

deploy-data: deploy-check-conf ## 3. upload DEPLOY_DATA_DIR to the blob container `data` (your Entra ID sign-in, from an address of DEPLOY_STORAGE_ALLOWED_IPS)
	az storage blob upload-batch --auth-mode login \
	  --account-name "$$($(DEPLOY_TFO) storage_account_name)" --destination "$$($(DEPLOY_TFO) storage_container_name)" \
	  --source "$(DEPLOY_DATA_DIR)" --pattern 'topics/*' --overwrite --max-connections 4
	az storage blob list --auth-mode login \
	  --account-name "$$($(DEPLOY_TFO) storage_account_name)" --container-name "$$($(DEPLOY_TFO) storage_container_name)" \
	  --prefix topics/expedia/ --query '[].name' -o tsv

deploy-cfk: deploy-check-conf ## 4a. install Confluent for Kubernetes (Helm) in namespace confluent
	kubectl apply -f confluent/namespace.yaml
	helm repo add confluentinc https://packages.confluent.io/helm --force-update
	helm upgrade --install confluent-operator confluentinc/confluent-for-kubernetes \
	  --namespace $(DEPLOY_NAMESPACE) $(if $(DEPLOY_CFK_CHART_VERSION),--version $(DEPLOY_CFK_CHART_VERSION)) --wait --timeout 10m

deploy-cfk-secrets: deploy-check-conf ## 4b. CA, passwords and logins of the platform and the job, as Secrets (made once, kept outside the repository)
	python3 scripts/deploy/cfk-secrets.py init "$(DEPLOY_CFK_CREDENTIALS_DIR)"
	python3 scripts/deploy/cfk-secrets.py render "$(DEPLOY_CFK_CREDENTIALS_DIR)" | kubectl apply -f -

deploy-platform: deploy-check-conf ## 4c. Confluent Platform (KRaft, TLS, SASL, ACLs), the ACLs of confluent/acls.yaml, the topics
	kubectl apply -f confluent/platform.yaml
	kubectl -n $(DEPLOY_NAMESPACE) wait kafka/kafka --for=jsonpath='{.status.phase}'=RUNNING --timeout=30m
	kubectl -n $(DEPLOY_NAMESPACE) delete job kafka-acls --ignore-not-found
	kubectl apply -f confluent/acls.yaml
	kubectl -n $(DEPLOY_NAMESPACE) wait job/kafka-acls --for=condition=complete --timeout=15m
	kubectl apply -f confluent/topics.yaml
	kubectl -n $(DEPLOY_NAMESPACE) get kraftcontroller,kafka,connect,ksqldb,controlcenter,kafkatopic

deploy-connector: deploy-check-conf ## 5. storage key Secret + the expedia source Connector
	@test -s "$(DEPLOY_STORAGE_KEY_FILE)" || { echo "no storage key: run make deploy-credentials" >&2; exit 1; }
	STORAGE_ACCOUNT_NAME="$$($(DEPLOY_TFO) storage_account_name)" STORAGE_KEY_FILE="$(DEPLOY_STORAGE_KEY_FILE)" \
	  NAMESPACE=$(DEPLOY_NAMESPACE) bash scripts/deploy/blob-secret.sh | kubectl apply -f -
	kubectl -n $(DEPLOY_NAMESPACE) wait connect/connect --for=jsonpath='{.status.phase}'=RUNNING --timeout=20m
	kubectl apply -f confluent/connector.yaml
	kubectl -n $(DEPLOY_NAMESPACE) get connector expedia-azure-blob-source

deploy-image: deploy-check-conf ## 6. build and push the job's image (ACR build when DEPLOY_ACR_NAME is set, else docker)
ifneq ($(DEPLOY_ACR_NAME),)
	az acr build --registry $(DEPLOY_ACR_NAME) --image kstream-app:$(DEPLOY_IMAGE_TAG) --file Dockerfile .
	az aks update --resource-group "$$($(DEPLOY_TFO) resource_group_name)" --name "$$($(DEPLOY_TFO) aks_name)" --attach-acr $(DEPLOY_ACR_NAME)
else
	docker build --tag $(DEPLOY_IMAGE_REPOSITORY):$(DEPLOY_IMAGE_TAG) .
	docker push $(DEPLOY_IMAGE_REPOSITORY):$(DEPLOY_IMAGE_TAG)
endif

deploy-app: deploy-check-conf ## 7. deploy the job (helm upgrade --install)
	helm upgrade --install $(DEPLOY_HELM_RELEASE) charts/kstream-app --namespace $(DEPLOY_NAMESPACE) \
	  --set image.repository=$(DEPLOY_IMAGE_REPOSITORY) --set image.tag=$(DEPLOY_IMAGE_TAG) \
	  $(if $(DEPLOY_IMAGE_DIGEST),--set image.digest=$(DEPLOY_IMAGE_DIGEST)) --wait --timeout 10m
	kubectl -n $(DEPLOY_NAMESPACE) get pods -l app.kubernetes.io/instance=$(DEPLOY_HELM_RELEASE)

deploy-ksql: deploy-check-conf ## 8. submit ksql/*.sql to ksqlDB (REST /ksql over TLS with a login, from a throw-away curl pod)
	bash scripts/deploy/ksql-request.sh $(DEPLOY_KSQL_FILES) | kubectl -n $(DEPLOY_NAMESPACE) run ksql-submit-$$$$ \
	  --rm -i --restart=Never --quiet --image=curlimages/curl:8.11.1 \
	  --overrides="$$(python3 scripts/deploy/ksql-submit-overrides.py ksql-submit-$$$$ https://ksqldb.$(DEPLOY_NAMESPACE).svc.cluster.local:8088/ksql)"

deploy-status: ## what runs where
	kubectl -n $(DEPLOY_NAMESPACE) get kraftcontroller,kafka,connect,connector,ksqldb,controlcenter,kafkatopic,pods

deploy-port-forward: ## Control Center on https://localhost:9021, Connect REST on https://localhost:8083 (logins: $(DEPLOY_CFK_CREDENTIALS_DIR)/passwords; Ctrl-C stops)
	kubectl -n $(DEPLOY_NAMESPACE) port-forward svc/controlcenter 9021:9021 & \
	kubectl -n $(DEPLOY_NAMESPACE) port-forward svc/connect 8083:8083 & \
	wait

deploy-destroy: deploy-check-conf ## 9. tear down: the job, then all Azure resources (terraform destroy)
	-helm uninstall $(DEPLOY_HELM_RELEASE) --namespace $(DEPLOY_NAMESPACE)
	export ARM_SUBSCRIPTION_ID="$${ARM_SUBSCRIPTION_ID:-$(or $(DEPLOY_SUBSCRIPTION_ID),$$(az account show --query id -o tsv))}"; \
	$(DEPLOY_TF) -chdir=$(DEPLOY_TF_DIR) destroy -input=false $(DEPLOY_TF_VARS)
	rm -f "$(DEPLOY_STORAGE_KEY_FILE)"
	rm -rf "$(DEPLOY_CFK_CREDENTIALS_DIR)"

# --- offline validation and maintenance -------------------------------------------------

deploy-validate: ## the deploy tests alone (helm, kubeconform, tofu, shellcheck, make -n), no C++ build
	bash scripts/setup.d/40-deploy-tools.sh
	bash tests/deploy/run-all.sh

deploy-schemas: ## regenerate tests/deploy/schemas/ from Go modules (CFK's are vendored: schemas/platform.confluent.io/PROVENANCE)
	bash scripts/deploy/gen-schemas.sh

deploy-ksql-sync: ## copy ksql/*.sql into the chart (charts/kstream-app/files/ksql/)
	mkdir -p charts/kstream-app/files/ksql
	find charts/kstream-app/files/ksql -name '*.sql' -delete
	$(if $(DEPLOY_KSQL_FILES),cp $(DEPLOY_KSQL_FILES) charts/kstream-app/files/ksql/,@echo "ksql/ has no .sql file yet")

deploy-tf-lock: ## add the azurerm provider's hashes for every platform to terraform/.terraform.lock.hcl (needs the provider registry: run with DEPLOY_TF=terraform and with DEPLOY_TF=tofu, then commit)
	$(DEPLOY_TF) -chdir=$(DEPLOY_TF_DIR) providers lock \
	  -platform=linux_amd64 -platform=linux_arm64 -platform=darwin_amd64 -platform=darwin_arm64 -platform=windows_amd64

deploy-tf-schema: ## re-record the azurerm schema for offline tofu validate (builds the provider, ~12 min)
	AZURERM_PROVIDER_DIR="$(AZURERM_PROVIDER_DIR)" bash scripts/deploy/record-azurerm-schema.sh

# --- the image and the chart for real, on this machine (ctest labels image, k8s) ----------

.PHONY: image-local k8s-start k8s-stop k8s-status test-image test-k8s

image-local: ## build the job's image with podman (base image made from Debian packages): localhost/kstream-app:dev
	bash scripts/image/build-image.sh localhost/kstream-app:dev

k8s-start: ## start the local single-node Kubernetes (scripts/local-k8s.sh; KUBECONFIG=$$(bash scripts/local-k8s.sh kubeconfig))
	bash scripts/local-k8s.sh start

k8s-stop: ## stop it (pods deleted gracefully first)
	bash scripts/local-k8s.sh stop

k8s-status: ## what of it runs
	bash scripts/local-k8s.sh status

test-image: build ## the image built and run against the local broker (ctest -L image)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L '^image$$' $(CTEST_ARGS)

test-k8s: build ## helm install/test/uninstall on the local cluster, CFK manifests by the API server (ctest -L k8s)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L '^k8s$$' $(CTEST_ARGS)
