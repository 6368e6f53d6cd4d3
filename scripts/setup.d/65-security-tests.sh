#!/usr/bin/env bash
# The security tests (tests/security): openssl makes their CA and certificates; the broker's
# jars are the local broker's (scripts/local-kafka.sh jars), its Java the core step's.
set -euo pipefail
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "$0")/../lib/apt.sh"
apt_install openssl python3-confluent-kafka python3-pytest default-jre-headless maven
