#!/usr/bin/env bash
# "Data in": the generator's Avro C library, the Azure CLI (upload), Python's Avro reader (tests),
# Azurite (npm, into the cache), the Kafka Connect worker's jars and the blob source connector
# (Maven Central, into the cache). Idempotent; a few seconds when everything is there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib/apt.sh disable=SC1091
source "$(dirname "$0")/../lib/apt.sh"
apt_install libavro-dev azure-cli python3-avro maven default-jre-headless curl
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "30-data: Node.js and npm are needed for Azurite (the machine image provides them)" >&2
  exit 1
fi
bash "$here/../local-azurite.sh" install
bash "$here/../local-connect.sh" install
