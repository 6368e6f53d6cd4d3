#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository (all areas), plus .ci/run.
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "$0")/lib.sh"
need shellcheck git
mapfile -t scripts < <({ git ls-files '*.sh'; echo .ci/run; } | sort -u)
[ "${#scripts[@]}" -gt 1 ] || fail "no scripts found"
if ! shellcheck --external-sources --format=gcc "${scripts[@]}" >"$work/sc.out" 2>&1; then
  cat "$work/sc.out"
  fail "shellcheck: $(cut -d: -f1 "$work/sc.out" | sort -u | tr '\n' ' ')"
fi
ok "shellcheck $(shellcheck --version | sed -n 's/^version: //p') on ${#scripts[@]} scripts"
done_checks
