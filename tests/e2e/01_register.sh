#!/bin/bash
# Registration through npoctl, the registry, publication and the gateway:
# valid codes, clear refusals that write nothing, idempotent retries.
. "$(dirname "$0")/../lib.sh"

app='{"idempotency_key":"t01-a","name":"测试市青年志愿者协会","type":"social_group",
 "authority_division":"440106","registration_authority":"广州市天河区民政局",
 "legal_representative":"张三","address":"天河路1号","address_division":"440106",
 "registered_capital":"50000.50","business_scope":"志愿服务","contact_name":"李四",
 "contact_phone":"13800138000","decoupled":true}'

out=$(echo "$app" | $NPOCTL register --file - --approve)
check_eq "register --approve exits 0" "$?" 0
uscc=$(echo "$out" | sed -n 's/.*"uscc":"\([0-9A-Z]*\)".*/\1/p')
check_match "an 18-character code is assigned" "$uscc" '^[0-9A-Z]{18}$'
check_eq "the code passes GB 32100 and GB 11714 (independent check)" \
    "$(echo "$uscc" | uscc_check)" "$uscc ok"
check_match "department 5, type 1, authority division 440106" "$uscc" '^51440106'

# The same key again registers nothing new
out2=$(echo "$app" | $NPOCTL register --file - --approve)
check_eq "a retry with the same idempotency key returns the same code" \
    "$(echo "$out2" | sed -n 's/.*"uscc":"\([0-9A-Z]*\)".*/\1/p')" "$uscc"
check_eq "one application row for the key" "$(sql "SELECT count(*) FROM registry.applications WHERE idempotency_key = 't01-a'")" 1

shown=$($NPOCTL show "$uscc")
check_match "npoctl show returns the record" "$shown" '"name":"测试市青年志愿者协会"'
check_match "npoctl show has the approval date" "$shown" '"approved_on":"[0-9]{4}-[0-9]{2}-[0-9]{2}"'

check "the gateway serves it" wait_until 5 '[ "$(http_code /v1/orgs/$uscc)" = 200 ]'
doc=$(http_get /v1/orgs/$uscc)
check_match "public record has the name" "$doc" '"name":"测试市青年志愿者协会"'
check_match "public record has the legal representative" "$doc" '"legal_representative":"张三"'
check_match "public record has status active" "$doc" '"status":"active"'
check_match "public record has the capital as exact decimal text" "$doc" '"registered_capital":"50000.50"'
check_match "public record has a version" "$doc" '"version":1'
check_nomatch "public record has no phone number" "$doc" '13800138000|contact_phone'
check_nomatch "public record has no contact person" "$doc" '李四|contact_name'
check_nomatch "Redis holds no phone number" "$(redis --scan --pattern '*' | while read -r k; do redis get "$k"; done)" '13800138000'

# The real code from DOMAIN.md is valid; every other last character is refused
check_eq "53100000500019795A is a valid code (not registered here: 404)" \
    "$(http_code /v1/orgs/53100000500019795A)" 404
bad=0
for c in 0 1 2 3 4 5 6 7 8 9 B C D E F G H J K L M N P Q R T U W X Y; do
    [ "$(http_code /v1/orgs/53100000500019795$c)" = 400 ] || bad=$((bad + 1))
done
check_eq "each of the 30 other check characters gets 400" "$bad" 0
check_match "the 400 says invalid_uscc" "$(http_get /v1/orgs/53100000500019795B)" '"code":"invalid_uscc"'
check_eq "lower case is refused" "$(http_code /v1/orgs/53100000500019795a)" 400
check_eq "unknown path: 404" "$(http_code /v1/nothing)" 404

# Refusals: a clear message, exit 1, nothing written
before=$(sql "SELECT (SELECT count(*) FROM registry.applications) || '/' || (SELECT count(*) FROM registry.organizations) || '/' || (SELECT last FROM registry.outbox_seq)")
refuse() {  # refuse DESC JSON EXPECTED-CODE
    local err rc
    err=$(echo "$2" | $NPOCTL register --file - --approve 2>&1 >/dev/null)
    rc=$?
    check_eq "$1: exit status 1" "$rc" 1
    check_match "$1: says $3" "$err" "$3"
}
refuse "missing name" '{"type":"social_group","authority_division":"440106","registration_authority":"x","legal_representative":"y"}' 'name: required'
refuse "unknown type" '{"name":"某某协会","type":"company","authority_division":"440106","registration_authority":"x","legal_representative":"y"}' 'invalid_type'
refuse "unknown division" '{"name":"某某协会","type":"social_group","authority_division":"449999","registration_authority":"x","legal_representative":"y"}' 'invalid_division'
refuse "bad capital" '{"name":"某某协会","type":"social_group","authority_division":"440106","registration_authority":"x","legal_representative":"y","registered_capital":"1e5"}' 'registered_capital'
refuse "bad postal code" '{"name":"某某协会","type":"social_group","authority_division":"440106","registration_authority":"x","legal_representative":"y","postal_code":"12"}' 'postal_code'
refuse "unknown field" '{"name":"某某协会","nickname":"x"}' 'unknown field "nickname"'
refuse "invalid JSON" '{"name": ' 'invalid JSON'
refuse "invalid UTF-8" "$(printf '{"name":"\xff\xfe协会","type":"social_group","authority_division":"440106","registration_authority":"x","legal_representative":"y"}')" 'invalid JSON|UTF-8'
refuse "same name at the same authority" "$(echo "$app" | sed 's/t01-a/t01-b/')" 'name_taken'
after=$(sql "SELECT (SELECT count(*) FROM registry.applications) || '/' || (SELECT count(*) FROM registry.organizations) || '/' || (SELECT last FROM registry.outbox_seq)")
# The name_taken case leaves its application behind as submitted (it was
# accepted as an application; only its approval was refused): one more row.
check_eq "refusals wrote no organization and no event" "${after#*/}" "${before#*/}"
check_eq "only the name_taken application was stored" "${after%%/*}" "$(( ${before%%/*} + 1 ))"
check_eq "no code sequence was used by the refused approval" \
    "$(sql "SELECT last FROM registry.code_sequences WHERE authority_division = '440106'")" 1

# Review: reject needs a reason; a decided application stays decided
id=$(echo "$app" | sed 's/t01-a/t01-c/; s/青年志愿者/老年书画/' | $NPOCTL register --file - | sed -n 's/.*"application_id":\([0-9]*\).*/\1/p')
check_match "register without --approve leaves it submitted" "$(sql "SELECT status FROM registry.applications WHERE id = $id")" '^submitted$'
$NPOCTL review --application "$id" --reject >/dev/null 2>&1
check_eq "reject without a reason: usage error... or refusal" "$?" 1
$NPOCTL review --application "$id" --reject --reason "材料不齐全" >/dev/null
check_eq "reject with a reason" "$(sql "SELECT status || '/' || reason FROM registry.applications WHERE id = $id")" "rejected/材料不齐全"
err=$($NPOCTL review --application "$id" --approve 2>&1)
check_match "approving a rejected application is refused" "$err" 'already_decided'
echo "$app" | sed 's/t01-a/t01-d/; s/青年志愿者/围棋爱好者/' | $NPOCTL register --file - >/dev/null
id2=$(sql "SELECT id FROM registry.applications WHERE idempotency_key = 't01-d'")
err=$($NPOCTL review --application "$id2" --approve --on 2020-01-01 2>&1)
check_match "a decision dated before the submission is refused" "$err" 'invalid_date'
err=$($NPOCTL review --application "$id2" --approve --on "2024- 1-05" 2>&1)
check_match "a malformed date is refused" "$err" 'invalid_date'
err=$($NPOCTL review --application "$id2" --approve --on 2099-01-01 2>&1)
check_match "a date in the future is refused" "$err" 'invalid_date'
check_eq "and the application is still submitted" "$(sql "SELECT status FROM registry.applications WHERE id = $id2")" submitted
err=$($NPOCTL review --application 999999 --approve 2>&1)
check_match "an unknown application is not found" "$err" 'application_not_found'
err=$($NPOCTL show 53100000500019795B 2>&1)
check_eq "npoctl show refuses a bad code" "$?" 1
check_match "with invalid_uscc" "$err" 'invalid_uscc'
$NPOCTL --help | grep -q "register --file"
check_eq "npoctl --help lists the verbs" "$?" 0
$NPOCTL frobnicate >/dev/null 2>&1
check_eq "unknown verb: exit 2" "$?" 2
finish
