#!/usr/bin/env bash
# Applies scripts/tf (the seeds' kind of ECS Terraform) against a wharf built
# from this checkout with the AWS provider from a local filesystem mirror,
# then checks that a second plan is empty, an update applies, and destroy
# leaves nothing. Skips (0 passed, 0 failed) where Terraform or the
# provider mirror (TF_PLUGIN_MIRROR, default /opt/tf-plugins) is missing.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mirror=${TF_PLUGIN_MIRROR:-/opt/tf-plugins}
if ! command -v terraform >/dev/null || [ ! -d "$mirror" ]; then
  echo "tf-e2e: no terraform or no provider mirror at $mirror; skipped"
  echo "0 passed, 0 failed"
  exit 0
fi
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

(cd "$here" && go build -o "$work/wharf" ./cmd/wharf) || { echo "0 passed, 1 failed"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
# The API alone: this checks what Terraform reads back, not the tasks.
"$work/wharf" up --no-agent --listen "127.0.0.1:$port" --data-dir "$work/data" --dns-listen "" >"$work/wharf.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS "$url/_wharf/health" >/dev/null 2>&1 && break; sleep 0.1; done

cp "$here/scripts/tf/main.tf" "$work/"
printf 'provider_installation {\n  filesystem_mirror { path = "%s" }\n}\n' "$mirror" >"$work/tfrc"
export TF_CLI_CONFIG_FILE=$work/tfrc TF_IN_AUTOMATION=1 TF_INPUT=0
tf() { (cd "$work" && timeout 300 terraform "$@" -no-color -var "endpoint=$url" >"$work/tf.out" 2>&1); }
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

(cd "$work" && terraform init -no-color >"$work/tf.out" 2>&1) && ok "terraform init" || fail "terraform init: $(tail -20 "$work/tf.out")"
step "apply" apply -auto-approve
plan_empty "second plan is empty"
step "update desired count" apply -auto-approve -var desired=3
plan_empty "plan after the update is empty" -var desired=3
step "destroy" destroy -auto-approve -var desired=3
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
