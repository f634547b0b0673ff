#!/usr/bin/env bash
# Starts wharf from this checkout on a fresh Debian machine:
#   bash scripts/up.sh [wharf up flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
go build -o bin/wharf ./cmd/wharf
exec bin/wharf up "$@"
