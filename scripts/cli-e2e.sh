#!/usr/bin/env bash
# Drives the main ECS operations through the real aws CLI v2 against a wharf
# built from this checkout, restarts it, and checks that nothing was lost and
# that SIGTERM stops it within 10 s. Prints "N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
AWS=${AWS:-/usr/bin/aws}   # Debian's awscli (v2); a pyenv shim may shadow it on PATH
work=$(mktemp -d)
pid=
# wharf leaves task containers running when it stops; the script removes the
# ones its agent made (they carry its node id).
cleanup() {
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  local node
  node=$(jq -r .nodeId "$work/data/agent/agent.json" 2>/dev/null)
  if [ -n "$node" ] && [ "$node" != null ]; then
    docker ps -aq --filter "label=wharf.node-id=$node" | xargs -r docker rm -f >/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=wharf AWS_SECRET_ACCESS_KEY=wharf AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

(cd "$here" && go build -o "$work/wharf" ./cmd/wharf) || { echo "0 passed, 1 failed"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

start() {
  "$work/wharf" up --listen "127.0.0.1:$port" --data-dir "$work/data" >>"$work/wharf.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "$url/_wharf/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "wharf did not become healthy"; cat "$work/wharf.log"; exit 1
}
ecs() { "$AWS" --endpoint-url "$url" ecs "$@"; }

# The checks every service's part uses; each part wraps them for its own
# service (ecs's below: expect, succeeds, expect_error).
# cli_expect NAME JQ-EXPR WANT -- SERVICE args…   (compares one value of the JSON output)
cli_expect() {
  local name=$1 expr=$2 want=$3; shift 4
  local out got
  if ! out=$("$AWS" --endpoint-url "$url" "$@" --output json 2>&1); then fail "$name: $out"; return; fi
  got=$(jq -r "$expr" <<<"$out")
  if [ "$got" = "$want" ]; then ok "$name"; else fail "$name: got '$got', want '$want'"; fi
}
# cli_succeeds NAME -- SERVICE args…   (for calls whose answer is empty)
cli_succeeds() {
  local name=$1; shift 2
  local out
  if out=$("$AWS" --endpoint-url "$url" "$@" 2>&1); then ok "$name"; else fail "$name: $out"; fi
}
# cli_error NAME CODE -- SERVICE args…
cli_error() {
  local name=$1 code=$2; shift 3
  local out
  if out=$("$AWS" --endpoint-url "$url" "$@" 2>&1); then fail "$name: succeeded: $out"; return; fi
  if grep -q "($code)" <<<"$out"; then ok "$name"; else fail "$name: $out"; fi
}

# expect NAME JQ-EXPR WANT -- ecs args…
expect() { cli_expect "$1" "$2" "$3" -- ecs "${@:5}"; }
# succeeds NAME -- ecs args…
succeeds() { cli_succeeds "$1" -- ecs "${@:3}"; }
# expect_error NAME CODE -- ecs args…
expect_error() { cli_error "$1" "$2" -- ecs "${@:4}"; }

start
expect "create-cluster" .cluster.status ACTIVE -- create-cluster --cluster-name demo --tags key=env,value=dev
expect "describe-clusters" '.clusters[0].clusterArn' "arn:aws:ecs:us-east-1:000000000000:cluster/demo" -- describe-clusters --clusters demo
expect "describe-clusters missing" '.failures[0].reason' MISSING -- describe-clusters --clusters nope
expect "list-clusters" '.clusterArns | length' 1 -- list-clusters
expect "put-cluster-capacity-providers" '.cluster.capacityProviders | join(",")' FARGATE,FARGATE_SPOT -- \
  put-cluster-capacity-providers --cluster demo --capacity-providers FARGATE FARGATE_SPOT \
  --default-capacity-provider-strategy capacityProvider=FARGATE,weight=1
expect "describe-capacity-providers" '.capacityProviders | length' 2 -- describe-capacity-providers

cat >"$work/td.json" <<'JSON'
{
  "family": "web",
  "requiresCompatibilities": ["FARGATE"],
  "networkMode": "awsvpc",
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [{
    "name": "app",
    "image": "wharf-test/app:latest",
    "portMappings": [{"containerPort": 8080}],
    "environment": [{"name": "MODE", "value": "demo"}],
    "healthCheck": {"command": ["CMD", "/testapp", "check", "http://127.0.0.1:8080/health"]}
  }]
}
JSON
expect "register-task-definition" .taskDefinition.revision 1 -- register-task-definition --cli-input-json "file://$work/td.json"
expect "register again" .taskDefinition.revision 2 -- register-task-definition --cli-input-json "file://$work/td.json"
expect "describe-task-definition" '.taskDefinition.containerDefinitions[0].healthCheck.interval' 30 -- describe-task-definition --task-definition web
expect "list-task-definitions" '.taskDefinitionArns | length' 2 -- list-task-definitions --family-prefix web
expect "list-task-definition-families" '.families | join(",")' web -- list-task-definition-families
expect "deregister-task-definition" .taskDefinition.status INACTIVE -- deregister-task-definition --task-definition web:1
succeeds "tag-resource" -- tag-resource --resource-arn arn:aws:ecs:us-east-1:000000000000:cluster/demo --tags key=team,value=core
expect "list-tags-for-resource" '.tags | length' 2 -- list-tags-for-resource --resource-arn arn:aws:ecs:us-east-1:000000000000:cluster/demo
expect "put-account-setting-default" .setting.value enabled -- put-account-setting-default --name containerInsights --value enabled
expect_error "fargate size refused" ClientException -- register-task-definition --family bad --requires-compatibilities FARGATE \
  --network-mode awsvpc --cpu 256 --memory 4096 --container-definitions name=a,image=b
expect_error "unknown cluster" ClusterNotFoundException -- delete-cluster --cluster nope

# A service through the CLI, and its waiter (needs the test image the Go tests build).
if docker image inspect wharf-test/app:latest >/dev/null 2>&1; then
  expect "register service task definition" .taskDefinition.revision 1 -- register-task-definition --family svc \
    --container-definitions '[{"name":"app","image":"wharf-test/app:latest","memory":32,"command":["-listen",":8080"],"portMappings":[{"containerPort":8080}]}]'
  expect "create-service" .service.status ACTIVE -- create-service --cluster demo --service-name svc --task-definition svc --desired-count 2 --launch-type EC2
  if timeout 120 "$AWS" --endpoint-url "$url" ecs wait services-stable --cluster demo --services svc; then ok "wait services-stable"; else fail "wait services-stable"; fi
  expect "describe-services" '.services[0].runningCount' 2 -- describe-services --cluster demo --services svc
  expect "delete-service" .service.status DRAINING -- delete-service --cluster demo --service svc --force
else
  echo "skip services: image wharf-test/app:latest not built (run go test ./testkit/images first)"
fi

# Each other AWS service's CLI checks live in scripts/cli/<service>.sh; they
# run here, against the same wharf, with ok/fail/expect available and
# "$AWS" --endpoint-url "$url" for their own service.
for part in "$here"/scripts/cli/*.sh; do
  [ -e "$part" ] || continue
  echo "-- $(basename "$part")"
  # shellcheck source=/dev/null
  source "$part"
done

# Restart: everything is still there, and SIGTERM ends wharf within 10 s.
t0=$(date +%s%N)
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then fail "SIGTERM: still running after 10 s"; else ok "SIGTERM stop in $(( ($(date +%s%N) - t0) / 1000000 )) ms"; fi
start
expect "cluster after restart" '.clusters[0].tags | length' 2 -- describe-clusters --clusters demo --include TAGS
expect "task definition after restart" .taskDefinition.revision 2 -- describe-task-definition --task-definition web
expect "delete-cluster" .cluster.status INACTIVE -- delete-cluster --cluster demo
"$work/wharf" version | grep -q '^wharf ' && ok "wharf version" || fail "wharf version"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
