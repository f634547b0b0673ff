# Application Auto Scaling through the aws CLI (sourced by scripts/cli-e2e.sh,
# which gives ok/fail, expect/succeeds for ecs, "$AWS", "$url" and "$work").
# The service has desired count 0, so no container is needed.

# aas_expect NAME JQ-EXPR WANT -- application-autoscaling args…
aas_expect() { cli_expect "$1" "$2" "$3" -- application-autoscaling "${@:5}"; }
# aas_succeeds NAME -- application-autoscaling args…   (for calls whose answer is empty)
aas_succeeds() { cli_succeeds "$1" -- application-autoscaling "${@:3}"; }
# aas_error NAME CODE -- application-autoscaling args…
aas_error() { cli_error "$1" "$2" -- application-autoscaling "${@:4}"; }

target=(--service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service/demo/scaled)
expect "autoscaling: task definition" .taskDefinition.family scaled -- register-task-definition --family scaled \
  --container-definitions '[{"name":"app","image":"wharf-test/app:latest","memory":32}]'
expect "autoscaling: service" .service.status ACTIVE -- create-service --cluster demo --service-name scaled \
  --task-definition scaled --desired-count 0 --launch-type EC2
aas_error "register-scalable-target without a service" ValidationException -- register-scalable-target \
  --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service/demo/nope --min-capacity 0 --max-capacity 2
# (Debian's CLI predates ScalableTargetARN in the answer, so it prints nothing.)
aas_succeeds "register-scalable-target" -- register-scalable-target "${target[@]}" --min-capacity 0 --max-capacity 4
aas_expect "describe-scalable-targets" '.ScalableTargets[0].MaxCapacity' 4 -- describe-scalable-targets --service-namespace ecs --resource-ids service/demo/scaled

cat >"$work/tt.json" <<'JSON'
{
  "TargetValue": 75.0,
  "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
  "ScaleOutCooldown": 60,
  "ScaleInCooldown": 60
}
JSON
aas_expect "put-scaling-policy target tracking" '.Alarms | map(.AlarmName | test("^TargetTracking-service/demo/scaled-Alarm(High|Low)-")) | all' true -- \
  put-scaling-policy "${target[@]}" --policy-name cpu75 --policy-type TargetTrackingScaling \
  --target-tracking-scaling-policy-configuration "file://$work/tt.json"
aas_expect "put-scaling-policy step" '.PolicyARN | endswith(":resource/ecs/service/demo/scaled:policyName/step-out")' true -- \
  put-scaling-policy "${target[@]}" --policy-name step-out --policy-type StepScaling \
  --step-scaling-policy-configuration 'AdjustmentType=ChangeInCapacity,Cooldown=60,MetricAggregationType=Average,StepAdjustments=[{MetricIntervalLowerBound=0,ScalingAdjustment=1}]'
aas_expect "describe-scaling-policies" '[.ScalingPolicies[] | .PolicyName + ":" + (.Alarms | length | tostring)] | join(",")' "cpu75:2,step-out:0" -- \
  describe-scaling-policies --service-namespace ecs --resource-id service/demo/scaled
aas_succeeds "put-scheduled-action" -- put-scheduled-action "${target[@]}" --scheduled-action-name nightly \
  --schedule 'cron(0 22 ? * MON-FRI *)' --timezone Europe/Paris --scalable-target-action MinCapacity=0,MaxCapacity=1
aas_expect "describe-scheduled-actions" '.ScheduledActions[0].Timezone' Europe/Paris -- describe-scheduled-actions --service-namespace ecs --resource-id service/demo/scaled
aas_expect "describe-scaling-activities" '.ScalingActivities | length' 0 -- describe-scaling-activities --service-namespace ecs --resource-id service/demo/scaled
aas_error "delete-scaling-policy unknown" ObjectNotFoundException -- delete-scaling-policy "${target[@]}" --policy-name nope
aas_succeeds "delete-scaling-policy" -- delete-scaling-policy "${target[@]}" --policy-name cpu75
aas_succeeds "deregister-scalable-target" -- deregister-scalable-target "${target[@]}"
aas_expect "describe-scaling-policies after deregister" '.ScalingPolicies | length' 0 -- describe-scaling-policies --service-namespace ecs
expect "autoscaling: delete service" .service.status DRAINING -- delete-service --cluster demo --service scaled --force
