#!/bin/bash
# The gateway's HTTP surface: methods, limits, health and metrics.
. "$(dirname "$0")/../lib.sh"
uscc=$(sql "SELECT uscc FROM publication.orgs LIMIT 1")
[ -n "$uscc" ] || uscc=$(make_apps 1 t06 110101 | $NPOCTL register --file - --approve | sed -n 's/.*"uscc":"\([0-9A-Z]*\)".*/\1/p')
wait_until 5 '[ "$(http_code /v1/orgs/$uscc)" = 200 ]'
h=$(curl -s -D - -o /dev/null "$NPO_GATEWAY_URL/v1/orgs/$uscc")
check_match "JSON content type" "$h" 'Content-Type: application/json; charset=utf-8'
check_match "cache header" "$h" 'Cache-Control: public'
check_eq "HEAD works" "$(curl -s -o /dev/null -w '%{http_code}' -I "$NPO_GATEWAY_URL/v1/orgs/$uscc")" 200
check_eq "POST: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$NPO_GATEWAY_URL/v1/orgs/$uscc")" 405
check_match "405 names the error" "$(curl -s -X DELETE "$NPO_GATEWAY_URL/v1/orgs/$uscc")" '"code":"method_not_allowed"'
long=$(head -c 5000 /dev/zero | tr '\0' 'a')
check_eq "a 5000-byte URI: 414" "$(http_code "/v1/orgs/$long")" 414
check_eq "percent-encoding is no way around the check" "$(http_code /v1/orgs/%35%33100000500019795A)" 400
check_eq "a trailing segment: 404" "$(http_code /v1/orgs/$uscc/nothing)" 404
check_match "healthz" "$(http_get /healthz)" '"status":"ok"'
check_match "healthz reports redis" "$(http_get /healthz)" '"redis":"up"'
m=$(http_get /metrics)
check_match "metrics: request counter" "$m" 'npo_http_requests_total\{route="org",code="200"\} [1-9]'
check_match "metrics: latency histogram" "$m" 'npo_http_request_duration_seconds_bucket\{route="org",le="\+Inf"\}'
check_match "metrics: cache hits" "$m" 'npo_cache_hits_total [1-9]'
check_match "metrics: errors by code" "$m" 'npo_http_errors_total\{code="invalid_uscc"\}'
check_match "metrics: redis up" "$m" 'npo_redis_up 1'
finish
