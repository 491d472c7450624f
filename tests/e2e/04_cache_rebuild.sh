#!/bin/bash
# Redis is a cache: after FLUSHALL every record is served again without manual
# steps, never a false 404 meanwhile; `npoctl cache rebuild` does it on demand.
. "$(dirname "$0")/../lib.sh"

make_apps 30 t04 330106 > "$TMP/apps.jsonl"
$NPOCTL register --file "$TMP/apps.jsonl" --approve | sed -n 's/.*"uscc":"\([0-9A-Z]*\)".*/\1/p' > "$TMP/codes"
check_eq "30 registered" "$(wc -l < "$TMP/codes")" 30
one=$(head -n 1 "$TMP/codes")
check "served before the flush" wait_until 10 '[ "$(http_code /v1/orgs/$one)" = 200 ]'
total=$(sql "SELECT count(*) FROM publication.orgs")

redis flushall >/dev/null
# Until publication notices, the gateway says 503 (retry), never 404
codes_seen=""
for _ in $(seq 1 40); do
    c=$(http_code /v1/orgs/$one)
    codes_seen="$codes_seen $c"
    [ "$c" = 200 ] && break
    sleep 0.1
done
check_match "served again after FLUSHALL without manual steps" "$codes_seen" '200$'
check_nomatch "no 404 while the cache was empty" "$codes_seen" '404'
check_eq "every record is back in Redis" "$(redis --scan --pattern 'org:*' | wc -l)" "$total"
missing=0
while read -r c; do [ "$(http_code /v1/orgs/$c)" = 200 ] || missing=$((missing + 1)); done < "$TMP/codes"
check_eq "all 30 served" "$missing" 0

# On demand: a deleted key comes back with npoctl cache rebuild
redis del "org:$one" >/dev/null
check_eq "a deleted key is a 404 while npo:ready says the cache is complete" "$(http_code /v1/orgs/$one)" 404
out=$($NPOCTL cache rebuild)
check_eq "npoctl cache rebuild reports every record" "$out" "{\"records\":$total}"
check_eq "the deleted record is served again" "$(http_code /v1/orgs/$one)" 200

# Records committed but never written (a crash between the two): npo:pub_seq
# is behind, and publication rewrites what is missing by itself
two=$(sed -n 2p "$TMP/codes")
redis del "org:$one" "org:$two" >/dev/null
redis set npo:pub_seq "$(( $(sql "SELECT min(pub_seq) FROM publication.orgs WHERE uscc IN ('$one','$two')") - 1 ))" >/dev/null
check "missed records are rewritten without a manual step" \
    wait_until 5 '[ "$(http_code /v1/orgs/$one)" = 200 ] && [ "$(http_code /v1/orgs/$two)" = 200 ]'
check_eq "the watermark caught up" "$(redis get npo:pub_seq)" "$(sql "SELECT max(pub_seq) FROM publication.orgs")"
check_match "capital as exact decimal text" "$(http_get /v1/orgs/$one)" '"registered_capital":"30000.00"'

# Redis down: a clear 503, and recovery when it is back
redis shutdown nosave >/dev/null 2>&1
check_eq "Redis down: 503" "$(http_code /v1/orgs/$one)" 503
check_match "with cache_unavailable" "$(http_get /v1/orgs/$one)" '"code":"cache_unavailable"'
redis-server --bind 127.0.0.1 --port "$NPO_REDIS_PORT" --daemonize yes \
    --pidfile "$NPO_VAR/run/redis.pid" --logfile "$NPO_VAR/log/redis.log" \
    --dir "$NPO_VAR/redis" --save "" --appendonly no >/dev/null
check "a new, empty Redis is filled and served" wait_until 15 '[ "$(http_code /v1/orgs/$one)" = 200 ]'
err=$($NPOCTL ping publication)
check_match "publication still answers" "$err" '"service":"publication"'
finish
