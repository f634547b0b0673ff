#!/usr/bin/env bash
# The test command: what CI runs, and what to run before pushing.
#   bash scripts/test.sh          everything (needs root on a fresh machine, for deps)
# Set FUZZTIME (default 15s) to fuzz longer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
# The etcd store's tests run a real etcd server (Debian's etcd-server).
if [ ! -x /usr/bin/etcd ] && ! command -v etcd >/dev/null; then
  echo "deps: installing etcd-server"
  if [ "$(id -u)" -ne 0 ]; then echo "deps: run as root (or install: etcd-server)" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
fi

echo "== static checks"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
[ -z "$unformatted" ] || { echo "gofmt needed: $unformatted"; exit 1; }
go vet ./...
if ! command -v staticcheck >/dev/null; then
  GOBIN="$(go env GOPATH)/bin" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
  PATH="$(go env GOPATH)/bin:$PATH"
fi
staticcheck ./...
# Generated code must match the models it is generated from.
if [ -d ../shared/aws-models ]; then
  go generate ./api/...
  git diff --exit-code -- api/ || { echo "generated code is stale: run go generate ./api/..."; exit 1; }
fi

echo "== go test"
# End-to-end tests need the Docker engine; with this set they fail rather than skip without one.
export WHARF_REQUIRE_DOCKER=1
# Likewise the etcd store's tests need the etcd binary installed above.
export WHARF_REQUIRE_ETCD=1
go test -race -count=1 -timeout 20m ./...

echo "== fuzz (${FUZZTIME:-15s})"
go test -run '^$' -fuzz FuzzECSRequest -fuzztime "${FUZZTIME:-15s}" ./server

echo "== aws CLI"
bash scripts/cli-e2e.sh

echo "== Terraform"
bash scripts/tf-e2e.sh
