#!/usr/bin/env bash
# The chart's copy of the ksqlDB statements (charts/kstream-app/files/ksql/, which Helm
# can read) must equal ksql/*.sql (`make deploy-ksql-sync` copies them).
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "$0")/lib.sh"
copy=charts/kstream-app/files/ksql
shopt -s nullglob
sources=(ksql/*.sql)
copies=("$copy"/*.sql)
if [ ${#sources[@]} -eq 0 ] && [ ${#copies[@]} -eq 0 ]; then
  ok "ksql/ has no .sql file yet: nothing to keep in sync (this test checks the copy once one exists)"
fi
for f in "${sources[@]}"; do
  c="$copy/$(basename "$f")"
  [ -f "$c" ] || fail "$f has no copy in $copy: run make deploy-ksql-sync"
  cmp -s "$f" "$c" || { diff -u "$f" "$c" || true; fail "$c differs from $f: run make deploy-ksql-sync"; }
  ok "$c == $f"
done
for c in "${copies[@]}"; do
  [ -f "ksql/$(basename "$c")" ] || fail "$c has no source in ksql/ (stale copy): run make deploy-ksql-sync"
done
if [ ${#sources[@]} -gt 0 ]; then
  values_files="$(python3 -c 'import yaml; print(" ".join(yaml.safe_load(open("charts/kstream-app/values.yaml"))["ksqlJob"]["files"]))')"
  for f in $values_files; do
    [ -f "$copy/$f" ] || fail "values.yaml ksqlJob.files names $f, which is not in $copy"
  done
  ok "ksqlJob.files ($values_files) all present in the chart"
fi
done_checks
