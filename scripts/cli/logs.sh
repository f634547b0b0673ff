# CloudWatch Logs checks through the aws CLI: Logs Insights queries and
# metric filters. Sourced by scripts/cli-e2e.sh (ok, fail, $AWS, $url).

logs_cli() { "$AWS" --endpoint-url "$url" logs "$@"; }

# logs_expect NAME JQ-EXPR WANT -- logs args…
logs_expect() { cli_expect "$1" "$2" "$3" -- logs "${@:5}"; }

logs_cli create-log-group --log-group-name /cli/insights >/dev/null 2>&1
logs_cli create-log-stream --log-group-name /cli/insights --log-stream-name web/1 >/dev/null 2>&1
now_ms=$(( $(date +%s) * 1000 ))
logs_events=$(jq -nc --argjson t "$now_ms" '[
  {timestamp: ($t - 3000), message: "{\"status\":200,\"latency\":12}"},
  {timestamp: ($t - 2000), message: "{\"status\":500,\"latency\":480}"},
  {timestamp: ($t - 1000), message: "[ERROR] job 7 failed"}]')
logs_expect "put-log-events" '.rejectedLogEventsInfo // "none"' none -- put-log-events \
  --log-group-name /cli/insights --log-stream-name web/1 --log-events "$logs_events"

# logs_query NAME QUERY JQ-EXPR WANT: start-query, then get-query-results
# until the query ends (bounded), comparing one value of the results.
logs_query() {
  local name=$1 query=$2 expr=$3 want=$4
  local id out status got
  if ! id=$(logs_cli start-query --log-group-name /cli/insights --start-time $(( now_ms / 1000 - 600 )) \
      --end-time $(( now_ms / 1000 + 60 )) --query-string "$query" --output text --query queryId 2>&1); then
    fail "$name: start-query: $id"; return
  fi
  for _ in $(seq 1 100); do
    out=$(logs_cli get-query-results --query-id "$id" --output json 2>&1) || { fail "$name: $out"; return; }
    status=$(jq -r .status <<<"$out")
    case $status in Scheduled|Running) sleep 0.1 ;; *) break ;; esac
  done
  if [ "$status" != Complete ]; then fail "$name: status $status"; return; fi
  got=$(jq -r "$expr" <<<"$out")
  if [ "$got" = "$want" ]; then ok "$name"; else fail "$name: got '$got', want '$want'"; fi
}

logs_query "start-query stats" 'stats count(*) as n, max(latency) as slowest' \
  '[.results[0][] | .field + "=" + .value] | join(" ")' "n=3 slowest=480"
logs_query "start-query filter and sort" 'fields status | filter ispresent(status) | sort status desc | limit 1' \
  '.results[0][0].value' 500
logs_query "start-query parse" 'parse @message "[*] job * *" as level, job, outcome | filter level = "ERROR" | display job' \
  '.results[0][0].field + "=" + .results[0][0].value' "job=7"
logs_expect "describe-queries" '.queries | length >= 3' true -- describe-queries --log-group-name /cli/insights
if out=$(logs_cli start-query --log-group-name /cli/insights --start-time 0 --end-time 1 --query-string 'fields a | nonsense' 2>&1); then
  fail "start-query malformed: succeeded: $out"
elif grep -q "(MalformedQueryException)" <<<"$out"; then ok "start-query malformed"; else fail "start-query malformed: $out"; fi

if out=$(logs_cli put-metric-filter --log-group-name /cli/insights --filter-name errors --filter-pattern '{ $.status >= 500 }' \
    --metric-transformations metricName=Errors,metricNamespace=App,metricValue=1,defaultValue=0,unit=Count 2>&1); then
  ok "put-metric-filter"
else fail "put-metric-filter: $out"; fi
logs_expect "describe-metric-filters" '.metricFilters[0].metricTransformations[0].metricName' Errors -- \
  describe-metric-filters --log-group-name /cli/insights --filter-name-prefix err
logs_expect "describe-metric-filters by metric" '.metricFilters | length' 1 -- \
  describe-metric-filters --metric-name Errors --metric-namespace App
logs_expect "test-metric-filter" '.matches[0].extractedValues["$code"]' 404 -- test-metric-filter \
  --filter-pattern '[ip, user, code=4*, size]' --log-event-messages "10.0.0.1 bob 404 12" "10.0.0.1 bob 200 12"
if out=$(logs_cli delete-metric-filter --log-group-name /cli/insights --filter-name errors 2>&1); then
  ok "delete-metric-filter"
else fail "delete-metric-filter: $out"; fi
logs_expect "describe-metric-filters after delete" '.metricFilters | length' 0 -- describe-metric-filters --log-group-name /cli/insights
