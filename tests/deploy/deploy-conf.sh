#!/usr/bin/env bash
# deploy.conf.template is one file read by both make and bash; every name the steps use is
# in it; the real deploy.conf and terraform/backend.conf are ignored by git, and no
# secret or state file of the deploy area is tracked.
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "$0")/lib.sh"
need git make

line_re="^(#.*|[A-Z][A-Z0-9_]*=[^ \"']*|)\$"
grep -vE "$line_re" deploy.conf.template && fail "deploy.conf.template: lines must be NAME=value (no quotes/spaces) or comments"
ok "deploy.conf.template has only NAME=value lines"
# shellcheck disable=SC1091
(set -u; source deploy.conf.template; : "$DEPLOY_PREFIX" "$DEPLOY_LOCATION" "$DEPLOY_STORAGE_ACCOUNT") || fail "bash cannot source deploy.conf.template"
ok "bash sources it"
used="$(grep -ohE '[$][(]DEPLOY_[A-Z_]+[)]' mk/deploy.mk | sed -E 's/^..(.*).$/\1/' | sort -u)"
defined="$( (grep -oE '^DEPLOY_[A-Z_]+' deploy.conf.template; grep -oE '^DEPLOY_[A-Z_]+ *[:?]?=' mk/deploy.mk | grep -oE '^DEPLOY_[A-Z_]+') | sort -u)"
missing="$(comm -23 <(echo "$used") <(echo "$defined"))"
[ -z "$missing" ] || fail "used by mk/deploy.mk but defined nowhere: $missing"
ok "every DEPLOY_* variable of mk/deploy.mk is defined"

# Terraform variable constraints that the template's values must meet.
# shellcheck disable=SC1091
source deploy.conf.template
[[ "$DEPLOY_PREFIX" =~ ^[a-z][a-z0-9]{2,11}$ ]] || fail "DEPLOY_PREFIX breaks terraform's validation"
[[ "$DEPLOY_STORAGE_ACCOUNT" =~ ^[a-z0-9]{3,24}$ ]] || fail "DEPLOY_STORAGE_ACCOUNT breaks terraform's validation"
ok "template values meet terraform/variables.tf validations"

for f in deploy.conf terraform/backend.conf terraform/prod.tfvars terraform/.terraform/x; do
  git check-ignore -q "$f" || fail "$f is not ignored by git"
done
ok "deploy.conf, terraform/backend.conf, *.tfvars, .terraform/ ignored by git"
# (terraform/.terraform.lock.hcl, the provider lock file, is committed on purpose.)
tracked="$(git ls-files deploy.conf terraform/backend.conf 'terraform/*.tfvars' 'terraform/*.tfstate*' 'terraform/.terraform/*')"
[ -z "$tracked" ] || fail "tracked but must not be: $tracked"
ok "no deploy config, tfvars or state tracked"
done_checks
