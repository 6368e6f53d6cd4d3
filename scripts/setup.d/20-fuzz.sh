#!/usr/bin/env bash
# clang for the libFuzzer target (tests/fuzz, `make build-fuzz` / `make fuzz`): clang-14 and
# libclang-rt-14-dev (libFuzzer's and the sanitizers' runtimes); and clang-format-14 for the
# C++ sources' format (.clang-format, tools/check_format.sh, `make format`). The job itself is
# built with g++ (10-apt-core.sh); a step of its own keeps clang out of the image's build
# stage, which runs 10-apt-core.sh only.
set -euo pipefail
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "$0")/../lib/apt.sh"
apt_install clang-14 libclang-rt-14-dev clang-format-14
