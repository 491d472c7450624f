#!/bin/bash
# Revocation (撤销登记) arrives as a credit event: a penalty with result
# revoke_registration, recorded with the credit service, makes the registry
# revoke the registration; the certificate and the public record follow.
. "$(dirname "$0")/../lib.sh"

uscc=$(make_apps 1 t10 440106 | $NPOCTL register --file - --approve | uscc_of)
check "the credit service learned the organization" \
    wait_until 10 '[ "$(sql "SELECT count(*) FROM credit.orgs WHERE uscc = '"'$uscc'"'")" = 1 ]'
url=$($NPOCTL certificate show "$uscc" | sed -n 's/.*"verify_url":"\([^"]*\)".*/\1/p')
printf '{"name":"某","id_type":"passport","id_number":"E55555555","position":"director","org_uscc":"%s"}' "$uscc" \
    | $NPOCTL officer appoint --file - >/dev/null
penalty() {  # penalty USCC NUMBER RESULT [EXTRA_JSON]
    printf '{"uscc":"%s","penalty_name":"行政处罚","decision_number":"%s","facts":"违反章程开展活动",
      "legal_basis":"《社会团体登记管理条例》第三十条","result":"%s","authority":"广州市天河区民政局",
      "decided_on":"%s"%s}' "$1" "$2" "$3" "$(date -u +%Y-%m-%d)" "${4:-}" \
    | $NPOCTL penalty record --file - 2>&1
}
out=$(penalty "$uscc" "穗天民罚〔2026〕1号" warning)
check_match "a warning is recorded" "$out" '"penalty_id":[0-9]+'
sleep 1
check_eq "and leaves the organization active" "$(sql "SELECT status FROM registry.organizations WHERE uscc = '$uscc'")" active

before=$(sql "SELECT count(*) FROM credit.penalties")
err=$(penalty "$uscc" "穗天民罚〔2026〕2号" fine)
check_match "a fine without an amount is refused" "$err" 'fine_amount'
err=$(penalty "$uscc" "穗天民罚〔2026〕3号" warning ',"stop_months":3')
check_match "stop_months without stop_activities is refused" "$err" 'stop_months'
err=$(penalty 53100000500019795A "穗天民罚〔2026〕4号" warning)
check_match "an organization the credit service does not know" "$err" 'org_unknown'
err=$(NPO_ACTOR=registrar:31:sh penalty "$uscc" "穗天民罚〔2026〕5号" warning)
check_match "a registrar of 31 cannot record it" "$err" 'out_of_division'
err=$(penalty "$uscc" "穗天民罚〔2026〕1号" fine ',"fine_amount":"1000"')
check_match "a decision number names one penalty" "$err" 'decision_number_taken'
check_eq "nothing was recorded by the refusals" "$(sql "SELECT count(*) FROM credit.penalties")" "$before"
check_eq "and each was audited" \
    "$(sql "SELECT count(*) >= 5 FROM credit.audit WHERE status <> 'ok'")" t

out=$(penalty "$uscc" "穗天民罚〔2026〕9号" revoke_registration)
check_match "a revocation penalty is recorded" "$out" '"penalty_id":[0-9]+'
id=$(echo "$out" | sed -n 's/.*"penalty_id":\([0-9]*\).*/\1/p')
check "the registry revokes the registration" \
    wait_until 10 '[ "$(sql "SELECT status FROM registry.organizations WHERE uscc = '"'$uscc'"'")" = revoked ]'
check "the public record says so" wait_until 5 '[[ "$(http_get /v1/orgs/$uscc)" == *"\"status\":\"revoked\""* ]]'
check_match "the certificate verifies as revoked" "$(curl -s "$url")" '"result":"revoked"'
check_eq "the officers' posts ended" \
    "$(sql "SELECT count(*) FROM registry.officer_posts WHERE org_uscc = '$uscc' AND end_on IS NULL")" 0
check_eq "one registry.org_revoked event" \
    "$(sql "SELECT count(*) FROM registry.outbox WHERE topic = 'registry.org_revoked' AND org_uscc = '$uscc'")" 1
out=$(penalty "$uscc" "穗天民罚〔2026〕9号" revoke_registration)
check_match "recording it again answers the first record" "$out" "\"penalty_id\":$id"
sleep 1
check_eq "and revokes nothing twice" \
    "$(sql "SELECT count(*) FROM registry.outbox WHERE topic = 'registry.org_revoked' AND org_uscc = '$uscc'")" 1
err=$($NPOCTL change --uscc "$uscc" --set address=某路 2>&1)
check_match "a revoked organization accepts no change" "$err" 'org_not_active'
check "the credit service knows it is revoked" \
    wait_until 5 '[ "$(sql "SELECT status FROM credit.orgs WHERE uscc = '"'$uscc'"'")" = revoked ]'

# The registry restarts: the revocation of a penalty recorded meanwhile still arrives
other=$(make_apps 1 t10b 440106 | $NPOCTL register --file - --approve | uscc_of)
wait_until 10 '[ "$(sql "SELECT count(*) FROM credit.orgs WHERE uscc = '"'$other'"'")" = 1 ]'
"$ROOT/deploy/cluster.sh" stop-service registry KILL >/dev/null 2>&1
out=$(penalty "$other" "穗天民罚〔2026〕10号" revoke_registration)
check_match "recorded while the registry is down" "$out" '"penalty_id"'
check "the registry restarts" service_restart registry
check "and revokes it from the credit stream" \
    wait_until 15 '[ "$(sql "SELECT status FROM registry.organizations WHERE uscc = '"'$other'"'")" = revoked ]'
finish
