#!/usr/bin/env bash
# Runs every deploy test script (what ctest -L deploy runs) and ends with one
# "N passed, N failed" line. Used by `make deploy-validate`.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
passed=0 failed=0 failed_names=()
for check in chart confluent terraform checkov dockerfile shellcheck make-dry-run ksql-sync deploy-conf; do
  echo "=== deploy.$check"
  if bash "$here/$check.sh"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); failed_names+=("$check")
  fi
done
[ "$failed" -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
