# CloudWatch metrics and alarms through the aws CLI (awsQuery). Sourced by
# scripts/cli-e2e.sh: ok, fail, $AWS and $url come from there.
# cw_expect NAME JQ-EXPR WANT -- cloudwatch args…
cw_expect() { cli_expect "cloudwatch $1" "$2" "$3" -- cloudwatch "${@:5}"; }
# cw_succeeds NAME -- cloudwatch args…
cw_succeeds() { cli_succeeds "cloudwatch $1" -- cloudwatch "${@:3}"; }

cw_now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cw_start=$(date -u -d '-10 minutes' +%Y-%m-%dT%H:%M:%SZ)
cw_end=$(date -u -d '+5 minutes' +%Y-%m-%dT%H:%M:%SZ)
cw_succeeds "put-metric-data" -- put-metric-data --namespace Demo --metric-name Latency --dimensions Service=web --unit Milliseconds --value 120 --timestamp "$cw_now"
cw_succeeds "put-metric-data statistic set" -- put-metric-data --namespace Demo --metric-name Latency --dimensions Service=web --unit Milliseconds \
  --statistic-values SampleCount=2,Sum=100,Minimum=40,Maximum=60 --timestamp "$cw_now"
cw_expect "get-metric-statistics" '.Datapoints[0].SampleCount' 3 -- get-metric-statistics --namespace Demo --metric-name Latency \
  --dimensions Name=Service,Value=web --start-time "$cw_start" --end-time "$cw_end" --period 900 --statistics SampleCount Maximum
cw_expect "list-metrics" '.Metrics[0].Dimensions[0].Value' web -- list-metrics --namespace Demo
cw_expect "get-metric-data" '.MetricDataResults[0].Values[0]' 120 -- get-metric-data --start-time "$cw_start" --end-time "$cw_end" \
  --metric-data-queries '[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"Demo","MetricName":"Latency","Dimensions":[{"Name":"Service","Value":"web"}]},"Period":900,"Stat":"Maximum"}}]'
cw_succeeds "put-metric-alarm" -- put-metric-alarm --alarm-name demo-latency --namespace Demo --metric-name Latency --dimensions Name=Service,Value=web \
  --statistic Average --period 60 --evaluation-periods 3 --datapoints-to-alarm 2 --threshold 500 --comparison-operator GreaterThanThreshold \
  --treat-missing-data notBreaching
cw_expect "describe-alarms" '.MetricAlarms[0].DatapointsToAlarm' 2 -- describe-alarms --alarm-names demo-latency
cw_succeeds "set-alarm-state" -- set-alarm-state --alarm-name demo-latency --state-value ALARM --state-reason "cli test"
cw_expect "describe-alarm-history" '[.AlarmHistoryItems[] | select(.HistoryItemType=="StateUpdate")] | length >= 1' true -- describe-alarm-history --alarm-name demo-latency
cw_expect "describe-alarms-for-metric" '.MetricAlarms | length' 1 -- describe-alarms-for-metric --namespace Demo --metric-name Latency --dimensions Name=Service,Value=web
cw_succeeds "delete-alarms" -- delete-alarms --alarm-names demo-latency
cw_expect "describe-alarms after delete" '.MetricAlarms | length' 0 -- describe-alarms --alarm-names demo-latency
