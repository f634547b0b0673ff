#!/usr/bin/env bash
# Applies scripts/tf (the seeds' kind of ECS Terraform) against a wharf built
# from this checkout with the AWS provider from a local filesystem mirror,
# then checks that a second plan is empty, an update applies, and destroy
# leaves nothing. Then the same for scripts/tf/services (IAM, STS, ECR,
# CloudWatch, Logs, Application Auto Scaling, EventBridge, Scheduler around
# ECS) against a second wharf started with --auth, the provider signing
# with the root keys wharf wrote to DATA_DIR/credentials. Skips (0 passed,
# 0 failed) where Terraform or the provider mirror (TF_PLUGIN_MIRROR,
# default /opt/tf-plugins) is missing.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mirror=${TF_PLUGIN_MIRROR:-/opt/tf-plugins}
if ! command -v terraform >/dev/null || [ ! -d "$mirror" ]; then
  echo "tf-e2e: no terraform or no provider mirror at $mirror; skipped"
  echo "0 passed, 0 failed"
  exit 0
fi
work=$(mktemp -d)
pid= pid2=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid2" ] && kill "$pid2" 2>/dev/null; rm -rf "$work"' EXIT
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

(cd "$here" && go build -o "$work/wharf" ./cmd/wharf) || { echo "0 passed, 1 failed"; exit 1; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_wharf DATA_DIR PORT [flags…]: the API alone (no agent): this
# checks what Terraform reads back, not the tasks. Prints the PID.
start_wharf() {
  local data=$1 port=$2; shift 2
  "$work/wharf" up --no-agent --listen "127.0.0.1:$port" --data-dir "$data" --dns-listen "" "$@" >"$data.log" 2>&1 &
  echo $!
}
wait_health() {
  for _ in $(seq 1 100); do curl -fsS "$1/_wharf/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
port=$(freeport)
url=http://127.0.0.1:$port
pid=$(start_wharf "$work/data" "$port")
wait_health "$url"

dir=$work/ecs
mkdir -p "$dir"
cp "$here/scripts/tf/main.tf" "$dir/"
printf 'provider_installation {\n  filesystem_mirror { path = "%s" }\n}\n' "$mirror" >"$work/tfrc"
export TF_CLI_CONFIG_FILE=$work/tfrc TF_IN_AUTOMATION=1 TF_INPUT=0
# tfvars holds the -var flags of every call in $dir (the endpoint, keys).
tfvars=(-var "endpoint=$url")
tf() { (cd "$dir" && timeout 300 terraform "$@" -no-color "${tfvars[@]}" >"$work/tf.out" 2>&1); }
step() {
  local name=$1; shift
  if tf "$@"; then ok "$name"; else fail "$name: $(tail -20 "$work/tf.out")"; fi
}
# plan_empty NAME [vars…]: exit code 0 of -detailed-exitcode means no change.
plan_empty() {
  local name=$1; shift
  tf plan -detailed-exitcode "$@"
  case $? in
    0) ok "$name" ;;
    2) fail "$name: the plan wants changes: $(grep -E '^ +[~+-] |# ' "$work/tf.out" | head -20)" ;;
    *) fail "$name: $(tail -20 "$work/tf.out")" ;;
  esac
}

(cd "$dir" && terraform init -no-color >"$work/tf.out" 2>&1) && ok "terraform init" || fail "terraform init: $(tail -20 "$work/tf.out")"
step "apply" apply -auto-approve
plan_empty "second plan is empty"
step "update desired count" apply -auto-approve -var desired=3
plan_empty "plan after the update is empty" -var desired=3
step "destroy" destroy -auto-approve -var desired=3

# The services around ECS, on a wharf that requires signed requests.
port2=$(freeport)
url2=http://127.0.0.1:$port2
pid2=$(start_wharf "$work/data2" "$port2" --auth)
wait_health "$url2"
key() { awk -v k="$1" '$1 == k { print $3; exit }' "$work/data2/credentials"; }
dir=$work/services
mkdir -p "$dir"
cp "$here/scripts/tf/services/main.tf" "$dir/"
(cd "$dir" && terraform init -no-color >"$work/tf.out" 2>&1) && ok "services: terraform init" || fail "services: terraform init: $(tail -20 "$work/tf.out")"
tfvars=(-var "endpoint=$url2" -var "access_key=$(key aws_access_key_id)" -var "secret_key=wrong")
if tf plan -refresh=false; then
  fail "services: a wrong secret key was accepted"
elif grep -q SignatureDoesNotMatch "$work/tf.out"; then
  ok "services: a wrong secret key is refused (SignatureDoesNotMatch)"
else
  fail "services: a wrong secret key: $(tail -20 "$work/tf.out")"
fi
tfvars=(-var "endpoint=$url2" -var "access_key=$(key aws_access_key_id)" -var "secret_key=$(key aws_secret_access_key)")
step "services: apply" apply -auto-approve
plan_empty "services: second plan is empty"
step "services: update in place" apply -auto-approve -var step=2
plan_empty "services: plan after the update is empty" -var step=2
step "services: destroy" destroy -auto-approve -var step=2
# What the destroy leaves, read with the aws CLI (the root keys): nothing.
AWS=${AWS:-/usr/bin/aws}
if [ -x "$AWS" ]; then
  left=$(
    export AWS_SHARED_CREDENTIALS_FILE=$work/data2/credentials AWS_CONFIG_FILE=/dev/null AWS_REGION=us-east-1 AWS_PAGER=""
    a() { "$AWS" --endpoint-url "$url2" --output text "$@" 2>&1; }
    a iam list-roles --query 'Roles[].RoleName'
    a iam list-policies --scope Local --query 'Policies[].PolicyName'
    a iam list-users --query 'Users[].UserName'
    a iam list-groups --query 'Groups[].GroupName'
    a iam list-instance-profiles --query 'InstanceProfiles[].InstanceProfileName'
    a ecr describe-repositories --query 'repositories[].repositoryName'
    a logs describe-log-groups --query 'logGroups[].logGroupName'
    a logs describe-query-definitions --query 'queryDefinitions[].name'
    a cloudwatch describe-alarms --query 'MetricAlarms[].AlarmName'
    a events list-rules --query 'Rules[].Name'
    a events list-event-buses --query 'EventBuses[?Name!=`default`].Name'
    a scheduler list-schedules --query 'Schedules[].Name'
    a scheduler list-schedule-groups --query 'ScheduleGroups[?Name!=`default`].Name'
    a application-autoscaling describe-scalable-targets --service-namespace ecs --query 'ScalableTargets[].ResourceId'
    a ssm describe-parameters --query 'Parameters[].Name'
  )
  if [ -z "$left" ]; then ok "services: destroy leaves nothing"; else fail "services: destroy left: $(echo "$left" | head -20)"; fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
