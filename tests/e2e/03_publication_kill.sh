#!/bin/bash
# 500 registrations stream in while npo-publication is killed with SIGKILL and
# restarted: afterwards the gateway serves all 500 and the public side holds
# each exactly once.
. "$(dirname "$0")/../lib.sh"

base_reg=$(sql "SELECT count(*) FROM registry.organizations")
base_pub=$(sql "SELECT count(*) FROM publication.orgs")
make_apps 500 t03 440305 > "$TMP/apps.jsonl"
$NPOCTL register --file "$TMP/apps.jsonl" --approve > "$TMP/out" 2> "$TMP/err" &
loader=$!
# Kill once a fair part is through, mid-stream
reg_count() { sql "SELECT count(*) FROM registry.organizations WHERE authority_division = '440305'"; }
check "registrations are flowing" wait_until 60 '[ "$(reg_count)" -ge 120 ]'
pid=$(cat "$NPO_VAR/run/publication.pid")
kill -KILL "$pid"
killed_at=$(sql "SELECT count(*) FROM publication.orgs WHERE division = '440305'")
check "publication is dead" wait_until 5 '! grep -qs "^State:.*[RSD]" /proc/$pid/status'
check "killed mid-stream (registrations still coming)" test "$(reg_count)" -lt 500
sleep 0.5
check "publication restarted" service_restart publication
check_match "and answers" "$($NPOCTL ping publication)" '"service":"publication"'
wait "$loader"
check_eq "all 500 registrations acknowledged" "$?" 0
sed -n 's/.*"uscc":"\([0-9A-Z]*\)".*/\1/p' "$TMP/out" > "$TMP/codes"
check_eq "500 codes" "$(sort -u "$TMP/codes" | wc -l)" 500
echo "    (publication had $killed_at of them when killed)"
check "publication had not seen them all when killed" test "$killed_at" -lt 500
check "publication caught up with the registry" wait_until 30 \
    '[ "$(sql "SELECT count(*) FROM publication.orgs")" -eq "$(sql "SELECT count(*) FROM registry.organizations")" ]'
check_eq "public records = registry organizations" \
    "$(sql "SELECT count(*) FROM publication.orgs")" "$(sql "SELECT count(*) FROM registry.organizations")"
check_eq "500 new public records" "$(( $(sql "SELECT count(*) FROM publication.orgs") - base_pub ))" \
    "$(( $(sql "SELECT count(*) FROM registry.organizations") - base_reg ))"
check_eq "one public event per registration, none twice" \
    "$(sql "SELECT count(*) || '/' || count(DISTINCT uscc) FROM publication.public_events WHERE division = '440305'")" "500/500"
check_eq "public event seqs are gapless" \
    "$(sql "SELECT max(seq) - min(seq) + 1 = count(*) FROM publication.public_events")" t
check_eq "the consumer offset reached the registry's last event" \
    "$(sql "SELECT last_seq FROM publication.consumed WHERE stream = 'registry'")" \
    "$(sql "SELECT last FROM registry.outbox_seq")"
check_eq "Redis holds every public record" \
    "$(redis --scan --pattern 'org:*' | wc -l)" "$(sql "SELECT count(*) FROM publication.orgs")"
missing=0
while read -r c; do
    [ "$(http_code /v1/orgs/$c)" = 200 ] || missing=$((missing + 1))
done < "$TMP/codes"
check_eq "the gateway serves all 500" "$missing" 0
finish
