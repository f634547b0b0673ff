# ECS Exec through the aws CLI and AWS's session-manager-plugin (sourced by
# scripts/cli-e2e.sh, against its wharf, in its "demo" cluster). Needs the
# busybox test image and the plugin, built by ../shared/tools.
exec_plugin_dir=$work/smp
exec_script=${WHARF_SMP_SCRIPT:-$here/../shared/tools/build-session-manager-plugin.sh}
if ! docker image inspect wharf-test/busybox:latest >/dev/null 2>&1; then
  echo "skip ECS Exec: image wharf-test/busybox:latest not built (run go test ./testkit/images first)"
elif ! bash "$exec_script" "$exec_plugin_dir" >"$work/smp.log" 2>&1; then
  echo "skip ECS Exec: the session-manager-plugin did not build: $(tail -1 "$work/smp.log")"
else
  expect "register exec task definition" .taskDefinition.revision 1 -- register-task-definition --family execsh \
    --container-definitions '[{"name":"sh","image":"wharf-test/busybox:latest","memory":32,"command":["sleep","600"],"stopTimeout":2}]'
  exec_task=$(ecs run-task --cluster demo --launch-type EC2 --task-definition execsh --enable-execute-command --query 'tasks[0].taskArn' --output text)
  plain_task=$(ecs run-task --cluster demo --launch-type EC2 --task-definition execsh --query 'tasks[0].taskArn' --output text)
  if timeout 60 "$AWS" --endpoint-url "$url" ecs wait tasks-running --cluster demo --tasks "$exec_task" "$plain_task"; then ok "exec tasks running"; else fail "exec tasks running"; fi
  expect "ExecuteCommandAgent RUNNING" '.tasks[0].containers[0].managedAgents[0].lastStatus' RUNNING -- describe-tasks --cluster demo --tasks "$exec_task"
  # The plugin reads stdin for the whole session: give it one that stays open.
  exec_out=$(PATH="$exec_plugin_dir:$PATH" timeout 60 "$AWS" --endpoint-url "$url" ecs execute-command --cluster demo \
    --task "$exec_task" --interactive --command 'sh -c "echo exec-$((40+2))"' < <(sleep 60) 2>&1)
  if grep -q 'exec-42' <<<"$exec_out" && grep -q 'Exiting session' <<<"$exec_out"; then ok "execute-command output"; else fail "execute-command: $exec_out"; fi
  # The CLI looks for the plugin before it calls ExecuteCommand.
  exec_out=$(PATH="$exec_plugin_dir:$PATH" "$AWS" --endpoint-url "$url" ecs execute-command --cluster demo \
    --task "$plain_task" --interactive --command /bin/sh 2>&1 </dev/null)
  if grep -q '(InvalidParameterException).*execute command was not enabled' <<<"$exec_out"; then ok "execute-command without enableExecuteCommand"; else fail "execute-command refusal: $exec_out"; fi
  ecs stop-task --cluster demo --task "$exec_task" >/dev/null
  ecs stop-task --cluster demo --task "$plain_task" >/dev/null
  if timeout 60 "$AWS" --endpoint-url "$url" ecs wait tasks-stopped --cluster demo --tasks "$exec_task" "$plain_task"; then ok "exec tasks stopped"; else fail "exec tasks stopped"; fi
fi
