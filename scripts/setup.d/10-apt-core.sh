#!/usr/bin/env bash
# Debian packages for building and testing the stream job.
set -euo pipefail
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "$0")/../lib/apt.sh"
apt_install \
  build-essential cmake pkg-config make \
  libcaf-dev libcaf-doc librdkafka-dev libboost-json1.81-dev libspdlog-dev catch2 \
  kcat python3-confluent-kafka python3-pytest \
  maven default-jre-headless curl procps
