#!/usr/bin/env bash
# Checks that the C++ sources follow .clang-format (clang-format-14, installed by
# scripts/setup.d/20-fuzz.sh): names every file that differs, shows the start of the first
# differences and exits 1. Run by the unit test "unit.format". `make format` (--fix) rewrites
# the files in place.
#
#   check_format.sh [--fix] [SOURCE_DIR]
set -euo pipefail

fix=false
root=""
for arg in "$@"; do
  case "$arg" in
    --fix) fix=true ;;
    -*) echo "check_format.sh: unknown option $arg (usage: check_format.sh [--fix] [SOURCE_DIR])" >&2; exit 2 ;;
    *) root="$arg" ;;
  esac
done
root="${root:-$(cd "$(dirname "$0")/.." && pwd)}"
format="${CLANG_FORMAT:-clang-format-14}"
if ! command -v "$format" >/dev/null; then
  echo "check_format.sh: $format is not installed; install it with: bash scripts/setup.d/20-fuzz.sh" >&2
  exit 1
fi

# The C++ sources: every layer, the tests, the benchmarks' C++ and the tools (build trees and
# anything else outside these folders are not the project's sources).
sources() {
  (cd "$root" && find domain messages core actors adapters wiring app tests bench tools \
      \( -name 'build*' -o -name node_modules \) -prune -o \
      -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' \) -print 2>/dev/null | sort)
}

# The check must catch a misformatted file: one written badly on purpose is expected to differ.
self_test() {
  local tmp caught=true
  tmp="$(mktemp -d)"
  cp "$root/.clang-format" "$tmp/.clang-format"
  printf 'namespace x {\nint   f( int a ){return a;}\n}\n' >"$tmp/bad.cpp"
  if (cd "$tmp" && "$format" --style=file bad.cpp | cmp -s - bad.cpp); then
    caught=false
  fi
  rm -rf "$tmp"
  if ! $caught; then
    echo "check_format.sh: self-test failed: a misformatted file passed the check" >&2
    return 1
  fi
}

if [ ! -f "$root/.clang-format" ]; then
  echo "check_format.sh: no .clang-format in $root" >&2
  exit 1
fi
cd "$root"
mapfile -t files < <(sources)
if $fix; then
  "$format" --style=file -i "${files[@]}"
  echo "check_format.sh: formatted ${#files[@]} files with $format"
  exit 0
fi
self_test
differing=()
shown=0
for file in "${files[@]}"; do
  if ! "$format" --style=file "$file" | cmp -s - "$file"; then
    differing+=("$file")
    if [ $shown -lt 3 ]; then
      "$format" --style=file "$file" | diff -u "$file" - | head -n 20 || true
      shown=$((shown + 1))
    fi
  fi
done
if [ ${#differing[@]} -gt 0 ]; then
  printf '%s\n' "${differing[@]}"
  echo "check_format.sh: ${#differing[@]} of ${#files[@]} C++ files differ from .clang-format ($format); run: make format"
  exit 1
fi
echo "check_format.sh: ${#files[@]} C++ files follow .clang-format"
