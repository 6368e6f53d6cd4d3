#!/usr/bin/env bash
# Pinned versions of the deployment area's tools (sourced by scripts/setup.d/40-deploy-tools.sh,
# mk/deploy.mk and the tests). One place to bump them.
# shellcheck disable=SC2034  # sourced: the variables are used by the including script
HELM_VERSION=v4.3.1
KUBECONFORM_VERSION=v0.8.0
TOFU_VERSION=v1.12.6
# Kubernetes version whose API the chart and manifests are validated against
# (tests/deploy/schemas/ were generated for it; see tests/deploy/schemas/README.md).
KUBERNETES_SCHEMA_VERSION=1.34.4
KSTREAM_TOOLS_BIN="${KSTREAM_TOOLS_BIN:-$HOME/.cache/kstream-app/deploy-tools/bin}"
# Go modules the kubeconform schemas of tests/deploy/schemas/ are generated from
# (`make deploy-schemas`; never at test time).
K8S_OPENAPI_MODULE=k8s.io/kubernetes@v${KUBERNETES_SCHEMA_VERSION}
KEDA_MODULE=github.com/kedacore/keda/v2@v2.21.0
PROMETHEUS_OPERATOR_MODULE=github.com/prometheus-operator/prometheus-operator@v0.85.0
# The azurerm provider whose schema tests/deploy/terraform/azurerm-schema.json records
# (`make deploy-tf-schema`, ~12 min of build on 2 cores). The Go module proxy serves no
# tagged azurerm release (its v4/v5 tags lack a /vN module path) and, here, only this
# main-branch pseudo-version (5.2.0 + development, 2026-08-24).
AZURERM_SCHEMA_MODULE=github.com/hashicorp/terraform-provider-azurerm@v1.44.1-0.20260824201233-fae580791926
# The local single-node Kubernetes of scripts/local-k8s.sh (ctest label k8s): control plane,
# kubelet and kubectl built from this k8s.io/kubernetes release by scripts/setup.d/45-local-k8s.sh
# (wrapper module scripts/local-k8s/go.mod pins the staging modules at v0.<minor>.<patch>).
KUBERNETES_VERSION=v1.34.4
# Prometheus (server and promtool) for the alert rules' unit tests and the live dashboard
# test (ctest label ops), built by scripts/setup.d/42-prometheus.sh: module version
# v0.316.0 = Prometheus 3.16.0. Built with -tags remove_all_sd (static targets suffice) and
# without the web UI's assets (the API the tests use needs none).
PROMETHEUS_MODULE_VERSION=v0.316.0
PROMETHEUS_VERSION=3.16.0
PROMETHEUS_BUILD_TAGS=remove_all_sd
