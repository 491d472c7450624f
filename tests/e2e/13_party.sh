#!/bin/bash
# Party organizations (section 5) and party members (section 6): lifecycles
# with their refusals, who may read members (refusals audited), events without
# persons, and the public side: party_organization and coverage in /v1/stats.
. "$(dirname "$0")/../lib.sh"

DIV=440111                          # 白云区: only this test registers there
U=$(make_apps 1 t13u "$DIV" | $NPOCTL register --file - --approve | uscc_of)
V=$(make_apps 1 t13v "$DIV" | $NPOCTL register --file - --approve | uscc_of)
check "the party service learns the organizations" \
    wait_until 10 '[ "$(sql "SELECT count(*) FROM party.orgs WHERE uscc IN ('"'$U', '$V'"')")" = 2 ]'

porg() {  # porg USCC [SED]: a party organization, every field of section 5
    printf '{"uscc":"%s","party_org_name":"中共测试协会支部委员会","party_org_type":"branch",
      "founded_on":"2024-03-01","parent_party_org":"中共广州市社会组织委员会","last_election_on":"2025-03-01",
      "secretary_name":"书记甲乙丙","secretary_position_in_org":"秘书长","member_count":3,
      "contact_name":"联络员丁戊","contact_phone":"020-87654321"}' "$1" | sed "${2:-}"
}
save() { porg "$@" | $NPOCTL party save --file - 2>&1; }
events() { sql "SELECT count(*) FROM party.outbox WHERE topic = '$1' AND org_uscc = '$2'"; }

# --- section 5, and its refusals
check_match "a type not in the list" "$(save "$U" 's/"branch"/"cell"/')" 'party_org_type.*invalid_field'
check_match "an election before the founding" "$(save "$U" 's/2025-03-01/2023-01-01/')" 'invalid_date'
check_match "letters in the contact phone" "$(save "$U" 's/020-87654321/call me/')" 'contact_phone.*invalid_field'
check_match "no name" "$(save "$U" 's/"中共测试协会支部委员会"/""/')" 'party_org_name: required.*missing_field'
check_match "an unknown organization" "$(save 53100000500019795A)" 'org_unknown'
check_match "a registrar of another province" "$(NPO_ACTOR=registrar:31:sh save "$U")" 'out_of_division'
check_match "an auditor" "$(NPO_ACTOR=auditor:nao save "$U")" 'forbidden'
check_eq "the refusals wrote nothing" "$(sql "SELECT count(*) FROM party.party_orgs WHERE uscc = '$U'")" 0
out=$(NPO_ACTOR=registrar:4401:gz save "$U")
check_match "the district's registrar sets it up" "$out" '"party_org_name":"中共测试协会支部委员会".*"status":"active"'
check_match "with the members on the register" "$out" '"members_recorded":0'
check_eq "party.org_established" "$(events party.org_established "$U")" 1
save "$U" >/dev/null
check_eq "saving it again changes nothing" "$(sql "SELECT count(*) FROM party.outbox WHERE org_uscc = '$U'")" 1
save "$U" 's/"member_count":3/"member_count":2/' >/dev/null
check_eq "a change: party.org_updated" "$(events party.org_updated "$U")" 1
check "the record says it has a party organization" \
    wait_until 10 '[[ "$(http_get /v1/orgs/$U)" == *"\"party_organization\":true"* ]]'
check_match "and not the other" "$(http_get "/v1/orgs/$V")" '"party_organization":false'

# --- section 6, and its refusals
ID1=$(resid 440111 19850315 201); ID2=$(resid 440111 19920708 302)
member() {  # member USCC ID BIRTH [SED]: a member, every field of section 6
    printf '{"uscc":"%s","name":"党员%s","gender":"female","id_type":"resident_id","id_number":"%s",
      "birth_date":"%s","ethnicity":"汉族","education":"本科","home_address":"广州市白云区某街%s号",
      "mobile":"139%s","is_party_lead":true,"is_party_contact":false,"is_hk_mo_tw":false,
      "joined_branch_on":"2024-04-01","party_position":"组织委员","org_position":"干事","position_level":"一般",
      "job_category":"专业技术人员","joined_party_on":"2010-07-01","full_member_on":"2011-07-01",
      "membership_status":"full","lost_contact":false,"mobile_member":true,"outflow_destination":"深圳市",
      "under_central_committee":false,"transferred_in_from":"中共某大学委员会"}' \
      "$1" "${2: -4}" "$2" "$3" "${2: -3}" "${2:6:8}" | sed "${4:-}"
}
admit() { member "$@" | $NPOCTL party admit --file - 2>&1; }
bad=${ID1:0:17}$([ "${ID1:17}" = 0 ] && echo 1 || echo 0)
check_match "a wrong check character" "$(admit "$U" "$bad" 1985-03-15)" 'invalid_id_number'
check_match "a birth date the ID contradicts" "$(admit "$U" "$ID1" 1985-03-16)" 'birth_date: does not match.*invalid_date'
check_match "a full member without the date" "$(admit "$U" "$ID1" 1985-03-15 's/"full_member_on":"2011-07-01",//')" 'full_member_on'
check_match "a probationary member with it" "$(admit "$U" "$ID1" 1985-03-15 's/"membership_status":"full"/"membership_status":"probationary"/')" 'full_member_on'
check_match "an outflow without being mobile" "$(admit "$U" "$ID1" 1985-03-15 's/"mobile_member":true/"mobile_member":false/')" 'outflow_destination'
check_match "a status not in the list" "$(admit "$U" "$ID1" 1985-03-15 's/"full"/"candidate"/')" 'membership_status'
check_match "no party organization" "$(admit "$V" "$ID1" 1985-03-15)" 'no_party_org'
check_match "a registrar of another province" "$(NPO_ACTOR=registrar:31:sh admit "$U" "$ID1" 1985-03-15)" 'out_of_division'
check_eq "the refusals wrote nothing" "$(sql "SELECT count(*) FROM party.members")" 0
out=$(admit "$U" "$ID1" 1985-03-15)
check_match "a member is admitted" "$out" '"status":"in".*"member_id":'
check_match "their age follows from the birth date" "$out" "\"age\":$(( $(date +%Y) - 1985 - (10#$(date +%m%d) < 315 ? 1 : 0) ))[,}]"
admit "$U" "$ID2" 1992-07-08 >/dev/null
out=$(admit "$U" "$ID1" 1985-03-15 's/"lost_contact":false/"lost_contact":true,"lost_contact_on":"2025-01-10"/')
check_match "admitting someone on the register updates them (lost contact)" "$out" '"lost_contact":true'
check_eq "two on the register" "$(sql "SELECT count(*) FROM party.members WHERE uscc = '$U' AND status = 'in'")" 2
check_eq "two party.members_changed, not three" "$(events party.members_changed "$U")" 2
findings=$($NPOCTL party findings --division 4401)
check_match "member_count 2 against 2 on the register: no finding" "$findings" '^\{"findings":\[\]\}$'
save "$U" 's/"member_count":3/"member_count":5/' >/dev/null
check_match "member_count 5 against 2: a finding" "$($NPOCTL party findings --division 4401)" \
    "\"uscc\":\"$U\".*\"member_count\":5,\"members_recorded\":2"
check_match "a registrar of another province sees no findings of ours" \
    "$(NPO_ACTOR=registrar:31:sh $NPOCTL party findings 2>&1)" '^\{"findings":\[\]\}$'
save "$V" 's/中共测试协会/中共另一协会/' >/dev/null
check_match "on one register at a time" "$(admit "$V" "$ID1" 1985-03-15)" 'member_elsewhere'
out=$($NPOCTL party transfer-out --uscc "$U" --id-type resident_id --id "$ID1" --to 中共另一协会支部委员会)
check_match "transferred out" "$out" '"status":"transferred_out","transferred_in_from":"[^"]*","transferred_out_to":"中共另一协会支部委员会"'
check_match "then admitted there" "$(admit "$V" "$ID1" 1985-03-15)" '"status":"in"'
check_match "transferring out someone not on the register" \
    "$($NPOCTL party transfer-out --uscc "$U" --id-type resident_id --id "$ID1" --to x 2>&1)" 'member_not_found'

# --- who may read members: the ministry and the organization's own registrar
check_match "the ministry reads them" "$($NPOCTL party members "$U")" "\"id_number\":\"$ID2\""
check_match "so does the district's registrar" "$(NPO_ACTOR=registrar:440111:by $NPOCTL party members "$U")" "\"id_number\":\"$ID2\""
before=$(sql "SELECT count(*) FROM party.audit WHERE command = 'list_members' AND status <> 'ok'")
for who in registrar:31:sh auditor:nao region:44:gd; do
    err=$(NPO_ACTOR=$who $NPOCTL party members "$U" 2>&1)
    check_match "$who is refused" "$err" 'forbidden|out_of_division'
    check_nomatch "and sees no member" "$err" "$ID2|党员"
done
check_eq "each refusal is audited" \
    "$(sql "SELECT count(*) FROM party.audit WHERE command = 'list_members' AND status <> 'ok'")" $((before + 3))
check_match "reads are audited too" "$(sql "SELECT actor || ' ' || target FROM party.audit WHERE command = 'list_members' AND status = 'ok' ORDER BY id DESC LIMIT 1")" \
    "registrar:440111:by $U"
check_eq "the audit trail names organizations, never persons" \
    "$(sql "SELECT count(*) FROM party.audit WHERE target LIKE '%$ID1%' OR target LIKE '%$ID2%'")" 0
check_match "an auditor may not read the party organization either" \
    "$(NPO_ACTOR=auditor:nao $NPOCTL party show "$U" 2>&1)" 'forbidden'

# --- dissolution
check_match "not with members on the register" \
    "$($NPOCTL party dissolve --uscc "$U" --reason 合并 2>&1)" '1 members are on the register.*members_on_register'
$NPOCTL party transfer-out --uscc "$U" --id-type resident_id --id "$ID2" --to 中共上级委员会 >/dev/null
check_match "dissolved once they are transferred" "$($NPOCTL party dissolve --uscc "$U" --reason 合并)" '"status":"dissolved"'
check_eq "party.org_dissolved" "$(events party.org_dissolved "$U")" 1
check "the record follows" wait_until 10 '[[ "$(http_get /v1/orgs/$U)" == *"\"party_organization\":false"* ]]'
check_match "a new one may be set up" "$(save "$U")" '"status":"active"'

# --- no person in any event, and coverage in /v1/stats
leak=$(sql "SELECT count(*) FROM party.outbox WHERE position (convert_to ('$ID1', 'UTF8') in envelope) > 0
              OR position (convert_to ('$ID2', 'UTF8') in envelope) > 0
              OR position (convert_to ('书记甲乙丙', 'UTF8') in envelope) > 0
              OR position (convert_to ('87654321', 'UTF8') in envelope) > 0")
check_eq "no ID number, secretary or phone in the party stream" "$leak" 0
check "stats for the district: 2 organizations, both with a party organization" \
    wait_until 15 '[[ "$(http_get "/v1/stats?division=$DIV")" == *"\"organizations\":2,"*"\"party_organizations\":2"*"\"party_coverage\":1"* ]]'
check_match "province and country too" "$(http_get "/v1/stats?division=44")" '"division":"44","organizations":[0-9]+'
check_match "the country" "$(http_get "/v1/stats")" '"division":"","organizations":[0-9]+'
check_eq "a bad division" "$(http_code "/v1/stats?division=4")" 400
check_eq "a division without organizations" "$(http_code "/v1/stats?division=650000")" 404
finish
