# EventBridge and EventBridge Scheduler through the aws CLI (sourced by
# scripts/cli-e2e.sh: ok, fail, $AWS and $url come from there).

# cli_expect and cli_error come from scripts/cli-e2e.sh.

cli_expect "events put-rule" .RuleArn "arn:aws:events:us-east-1:000000000000:rule/nightly-batch" -- \
  events put-rule --name nightly-batch --schedule-expression "cron(0 3 * * ? *)"
cli_expect "events describe-rule" .State ENABLED -- events describe-rule --name nightly-batch
cli_expect "events put-targets" .FailedEntryCount 0 -- events put-targets --rule nightly-batch --targets \
  '[{"Id":"batch","Arn":"arn:aws:ecs:us-east-1:000000000000:cluster/demo","RoleArn":"arn:aws:iam::000000000000:role/ecsEvents","EcsParameters":{"TaskDefinitionArn":"arn:aws:ecs:us-east-1:000000000000:task-definition/web","TaskCount":1,"LaunchType":"FARGATE","NetworkConfiguration":{"awsvpcConfiguration":{"Subnets":["subnet-1"],"AssignPublicIp":"DISABLED"}}}}]'
cli_expect "events list-targets-by-rule" '.Targets[0].EcsParameters.TaskCount' 1 -- events list-targets-by-rule --rule nightly-batch
cli_error "events delete-rule with targets" ValidationException -- events delete-rule --name nightly-batch
cli_expect "events remove-targets" .FailedEntryCount 0 -- events remove-targets --rule nightly-batch --ids batch
cli_expect "events list-rules" '.Rules | length' 1 -- events list-rules --name-prefix nightly
cli_error "events put-rule bad pattern" InvalidEventPatternException -- events put-rule --name bad --event-pattern '{"source":"x"}'
cli_expect "events test-event-pattern" .Result true -- events test-event-pattern \
  --event-pattern '{"detail":{"n":[{"numeric":[">",5]}]}}' \
  --event '{"id":"1","account":"000000000000","source":"app","time":"2026-01-01T00:00:00Z","region":"us-east-1","detail-type":"t","detail":{"n":7}}'
cli_expect "events put-events" .FailedEntryCount 0 -- events put-events --entries \
  '[{"Source":"app","DetailType":"Order","Detail":"{\"total\":3}"}]'
"$AWS" --endpoint-url "$url" events delete-rule --name nightly-batch >/dev/null 2>&1 && ok "events delete-rule" || fail "events delete-rule"

cli_expect "scheduler create-schedule-group" .ScheduleGroupArn "arn:aws:scheduler:us-east-1:000000000000:schedule-group/jobs" -- \
  scheduler create-schedule-group --name jobs
cli_expect "scheduler create-schedule" .ScheduleArn "arn:aws:scheduler:us-east-1:000000000000:schedule/jobs/report" -- \
  scheduler create-schedule --name report --group-name jobs --schedule-expression "cron(0 9 ? * MON-FRI *)" \
  --schedule-expression-timezone Europe/Paris --flexible-time-window Mode=FLEXIBLE,MaximumWindowInMinutes=10 \
  --target '{"Arn":"arn:aws:ecs:us-east-1:000000000000:cluster/demo","RoleArn":"arn:aws:iam::000000000000:role/sched","EcsParameters":{"TaskDefinitionArn":"arn:aws:ecs:us-east-1:000000000000:task-definition/web","TaskCount":1}}'
cli_expect "scheduler get-schedule" .ScheduleExpressionTimezone Europe/Paris -- scheduler get-schedule --name report --group-name jobs
cli_expect "scheduler list-schedules" '.Schedules | length' 1 -- scheduler list-schedules --group-name jobs
cli_error "scheduler get-schedule missing" ResourceNotFoundException -- scheduler get-schedule --name ghost
cli_expect "scheduler list-schedule-groups" '.ScheduleGroups | length' 2 -- scheduler list-schedule-groups
"$AWS" --endpoint-url "$url" scheduler delete-schedule --name report --group-name jobs >/dev/null 2>&1 && ok "scheduler delete-schedule" || fail "scheduler delete-schedule"
"$AWS" --endpoint-url "$url" scheduler delete-schedule-group --name jobs >/dev/null 2>&1 && ok "scheduler delete-schedule-group" || fail "scheduler delete-schedule-group"
