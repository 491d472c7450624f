#!/bin/bash
# The registration lifecycle through npoctl: accept, approve, charter, change
# (public record and change list follow), officers and positions,
# deregistration; division scope and the audit trail.
. "$(dirname "$0")/../lib.sh"

app='{"idempotency_key":"t07-a","name":"测试市书法家协会","type":"social_group",
 "authority_division":"440106","registration_authority":"广州市天河区民政局",
 "legal_representative":"王五","address":"天河北路5号","registered_capital":"30000",
 "business_scope":"书法交流","contact_phone":"13900139000","charter":"第一章 总则\n第一条 本会名称为测试市书法家协会。"}'

# --- establishment: submitted -> accepted -> approved
out=$(echo "$app" | $NPOCTL register --file -)
id=$(echo "$out" | sed -n 's/.*"application_id":\([0-9]*\).*/\1/p')
check_match "submitted" "$out" '"status":"submitted"'
err=$($NPOCTL review --application "$id" --approve 2>&1)
check_match "approval before acceptance is refused" "$err" 'not_accepted'
check_match "accepted" "$($NPOCTL review --application "$id" --accept)" '"status":"accepted"'
check_eq "acceptance records who and when" \
    "$(sql "SELECT accepted_by IS NOT NULL AND accepted_at IS NOT NULL FROM registry.applications WHERE id = $id")" t
uscc=$($NPOCTL review --application "$id" --approve | uscc_of)
check_match "approved with a code" "$uscc" '^51440106'
check_eq "the charter is version 1, current, approved on the decision date" \
    "$(sql "SELECT version || '/' || current || '/' || (approved_on = (SELECT decided_on FROM registry.applications WHERE id = $id)) FROM registry.charters WHERE uscc = '$uscc'")" "1/true/true"
check "published" wait_until 5 '[ "$(http_code /v1/orgs/$uscc)" = 200 ]'
check_eq "an empty change list" "$(http_get /v1/orgs/$uscc/changes)" "[]"

# --- change of name, address, legal representative, scope, phone
out=$($NPOCTL change --uscc "$uscc" --set name=测试市书法协会 --set address=天河北路9号 \
      --set legal_representative=赵六 --set business_scope=书法交流与培训 \
      --set contact_phone=13700137000 --approve)
check_match "change approved" "$out" '"status":"approved"'
check_eq "five changes recorded with before and after" \
    "$(sql "SELECT count(*) FROM registry.changes WHERE uscc = '$uscc'")" 5
check_eq "name before and after" \
    "$(sql "SELECT before || '>' || after FROM registry.changes WHERE uscc = '$uscc' AND item = 'name'")" "测试市书法家协会>测试市书法协会"
check "the public record follows" wait_until 5 \
    '[[ "$(http_get /v1/orgs/$uscc)" == *"测试市书法协会"* ]]'
doc=$(http_get /v1/orgs/$uscc)
check_match "new legal representative" "$doc" '"legal_representative":"赵六"'
check_match "version 2" "$doc" '"version":2'
ch=$(http_get /v1/orgs/$uscc/changes)
check_match "the change list has the name change, with its content" "$ch" '"item":"name","content":"名称","before":"测试市书法家协会","after":"测试市书法协会"'
check_match "and the address change" "$ch" '"item":"address"'
check_nomatch "but not the phone" "$ch" 'contact_phone|13700137000|13900139000'
check_eq "changes of an unknown organization: 404" "$(http_code /v1/orgs/53100000500019795A/changes)" 404

# charter change: a new current version
printf '第一章 总则\n第一条 本会名称为测试市书法协会。\n' > "$TMP/charter.txt"
$NPOCTL change --uscc "$uscc" --charter-file "$TMP/charter.txt" --approve >/dev/null
check_eq "charter version 2 is current, version 1 is not" \
    "$(sql "SELECT string_agg (version || ':' || current, ',' ORDER BY version) FROM registry.charters WHERE uscc = '$uscc'")" "1:false,2:true"

# refused changes write nothing
before=$(sql "SELECT count(*) || '/' || (SELECT last FROM registry.outbox_seq) FROM registry.changes")
err=$($NPOCTL change --uscc "$uscc" --set type=foundation 2>&1)
check_match "the type cannot be changed" "$err" 'invalid_change_item'
err=$($NPOCTL change --uscc "$uscc" --set postal_code=12 2>&1)
check_match "an invalid value is refused at submission" "$err" 'postal_code'
other=$(make_apps 1 t07o 440106 | $NPOCTL register --file - --approve | uscc_of)
err=$($NPOCTL change --uscc "$other" --set name=测试市书法协会 --approve 2>&1)
check_match "a name already taken is refused" "$err" 'name_taken'
check_eq "the organization kept its name" \
    "$(sql "SELECT name FROM registry.organizations WHERE uscc = '$other'")" "测试t07o社会组织1号"
check_eq "no change recorded by the refusals (one event: the other registration)" \
    "$(sql "SELECT count(*) || '/' || (SELECT last FROM registry.outbox_seq) FROM registry.changes")" \
    "$(( ${before%%/*} ))/$(( ${before#*/} + 1 ))"

# --- officers
id1=$(resid 440106 19800101 123)
lr() {  # lr USCC ID [TYPE]: appoint a legal representative
    printf '{"name":"赵六","id_type":"%s","id_number":"%s","position":"legal_representative","org_uscc":"%s","gender":"male","mobile":"13600136000","birth_date":"1980-01-01","employer":"测试大学"}' \
        "${3:-resident_id}" "$2" "$1" | $NPOCTL officer appoint --file - 2>&1
}
out=$(lr "$uscc" "$id1")
check_eq "a legal representative is appointed" "$?" 0
err=$(lr "$other" "$id1")
check_match "a second social group's legal representative post is refused" "$err" 'already_legal_representative'
found=$(make_apps 1 t07f 440106 foundation | $NPOCTL register --file - --approve | uscc_of)
out=$(lr "$found" "$id1")
check_eq "a foundation's legal representative post is allowed" "$?" 0
bad=$(echo "$id1" | sed 's/.$/0/'); [ "$bad" = "$id1" ] && bad=$(echo "$id1" | sed 's/.$/1/')
err=$(lr "$other" "$bad")
check_match "a bad ID check digit is refused" "$err" 'invalid_id_number'
check_nomatch "without echoing the number" "$err" "$bad"
err=$(lr "$other" "$(resid 440106 20991301 123)")
check_match "an impossible birth date in the ID is refused" "$err" 'invalid_id_number'
out=$(lr "$other" "E12345678" passport)
check_eq "a passport is accepted (never refused for not being a resident ID)" "$?" 0
err=$(lr "$other" "H1234567" hk_macao_permit)
check_match "a malformed Hong Kong permit is refused by its own rule" "$err" 'invalid_id_number'
pos=$($NPOCTL officer positions --id-type resident_id --id "$id1")
check_match "positions: the social group" "$pos" "\"org_uscc\":\"$uscc\""
check_match "positions: the foundation" "$pos" "\"org_uscc\":\"$found\""
check_match "positions: with the employer (section 3)" "$pos" '"employer":"测试大学"'
check_eq "positions: two posts" "$(echo "$pos" | grep -o '"position":"legal_representative"' | wc -l)" 2
check_nomatch "officers never reach Redis" "$(redis --scan | while read -r k; do redis get "$k"; done)" "$id1|13600136000|E12345678"
check_nomatch "nor the gateway" "$(http_get /v1/orgs/$uscc)$(http_get /v1/orgs/$found)" "$id1|13600136000|赵六\",\"id"
$NPOCTL officer end --uscc "$uscc" --id-type resident_id --id "$id1" --position legal_representative >/dev/null
check_eq "a post ends" "$?" 0
out=$(lr "$other" "$id1")
check_eq "then the person may represent another social group" "$?" 0

# --- division scope
written() { sql "SELECT (SELECT count(*) FROM registry.applications) || '/' || (SELECT count(*) FROM registry.changes) || '/' || (SELECT last FROM registry.outbox_seq) || '/' || (SELECT count(*) FROM registry.officer_posts)"; }
before=$(written)
err=$(echo "$app" | sed 's/t07-a/t07-z/' | NPO_ACTOR=registrar:31:sh $NPOCTL register --file - 2>&1)
check_match "a registrar of 31 cannot register for 440106" "$err" 'out_of_division'
err=$(printf '{"name":"某","id_type":"passport","id_number":"E99999999","position":"director","org_uscc":"%s"}' "$other" | NPO_ACTOR=registrar:4403:sz $NPOCTL officer appoint --file - 2>&1)
check_match "nor may a registrar of 4403 appoint its officers" "$err" 'out_of_division'
check_eq "and nothing was written by those refusals" "$(written)" "$before"
err=$(NPO_ACTOR=registrar:4401:gz $NPOCTL change --uscc "$uscc" --set address=某路 2>&1)
check_eq "a registrar of 4401 may change it" "$?" 0
err=$(NPO_ACTOR=registrar:4403:sz $NPOCTL deregister --uscc "$uscc" --reason 解散 2>&1)
check_match "a registrar of 4403 may not deregister it" "$err" 'out_of_division'
err=$(NPO_ACTOR=auditor:a $NPOCTL change --uscc "$uscc" --set address=某路 2>&1)
check_match "an auditor may not write" "$err" 'forbidden'
err=$(NPO_ACTOR=registrar:1:x $NPOCTL change --uscc "$uscc" --set address=某路 2>&1)
check_match "a registrar prefix must be a province, city or county" "$err" 'unknown_actor'
err=$($NPOCTL deregister --uscc "$other" --reason 解散 --key t07-a 2>&1)
check_match "an idempotency key names one application, not another kind" "$err" 'idempotency_key_reused'
err=$(NPO_ACTOR=nobody $NPOCTL show "$uscc" 2>&1)
check_match "an unknown actor is refused" "$err" 'unknown_actor'
err=$(NPO_ACTOR=region:44 $NPOCTL officer positions --id-type resident_id --id "$id1" 2>&1)
check_match "a region may not read officers" "$err" 'forbidden'
check_eq "refusals are audited" \
    "$(sql "SELECT count(*) > 0 FROM registry.audit WHERE error_code = 'out_of_division'")" t
check_eq "the positions lookup is audited without the ID number" \
    "$(sql "SELECT count(*) FROM registry.audit WHERE command = 'officer_positions' AND target = 'person'")/$(sql "SELECT count(*) FROM registry.audit WHERE target LIKE '%$id1%'")" "2/0"

# --- deregistration
out=$($NPOCTL deregister --uscc "$uscc" --reason 会员大会决议解散 --liquidation-leader 钱七 --liquidation-phone 13500135000 --approve)
check_match "deregistration approved" "$out" '"status":"approved"'
check_eq "status deregistered" "$(sql "SELECT status FROM registry.organizations WHERE uscc = '$uscc'")" deregistered
check_eq "its posts ended" "$(sql "SELECT count(*) FROM registry.officer_posts WHERE org_uscc = '$uscc' AND end_on IS NULL")" 0
check "the public record says so" wait_until 5 '[[ "$(http_get /v1/orgs/$uscc)" == *"\"status\":\"deregistered\""* ]]'
check_nomatch "without the liquidation phone" "$(http_get /v1/orgs/$uscc)" '13500135000'
err=$($NPOCTL change --uscc "$uscc" --set address=某路 2>&1)
check_match "a deregistered organization cannot change" "$err" 'org_not_active'
check_eq "its name is free again at the authority" \
    "$(echo "$app" | sed 's/t07-a/t07-b/; s/书法家协会/书法协会/' | $NPOCTL register --file - --approve | grep -c '"status":"approved"')" 1
finish
