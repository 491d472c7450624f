#!/bin/bash
# npoctl import of sections 04 (certificates), 07 (deregistrations) and 09
# (changes) into the registry: created, unchanged the second time (no row, no
# event), updated; each refusal; the registry's own findings kept under a
# keyed ref; an imported certificate signed and verified like any other, the
# earlier one superseded, revoked for an organization that is not active; a
# deregistration that revokes the certificate, reaches the public record and
# leaves the posts alone; changes as history, by name or Chinese label, the
# contact items and unknown items kept off the public change list and out of
# every event; no personal value in a finding, the report or an event. Then
# the examples of docs/import.md section 4.
. "$(dirname "$0")/../lib.sh"
ASOF=2026-11-22T03:00:00Z
FRESH=2026-11-22T10:00:00+08:00
code() { echo "$1" | awk -f "$ROOT/tests/lib/uscc_make.awk"; }
AUTH=$(code 11330106MB2C0010)                   # 杭州市西湖区民政局
A=$(code 51330106MH600001) B=$(code 51330106MH600002) D=$(code 51330106MH600004)
E=$(code 51330106MH600005)                      # held under province 32
U=$(code 51330106MH600009)                      # in no register
# org USCC NAME [JQ FILTER]: a complete section 01 record of 西湖区
org() {
    jq -cn --arg u "$1" --arg n "$2" --arg a "$AUTH" --arg s "$FRESH" '{
        uscc: $u, name: $n, type: "social_group", registration_authority_code: $a,
        registration_authority: "杭州市西湖区民政局", decoupled: false,
        party_work_body: "中共杭州市西湖区社会组织委员会", industry: "教育",
        legal_representative: "周建国", authority_division: "330106",
        address_division: "330106", address: "杭州市西湖区文三路100号", postal_code: "310012",
        contact_name: "吴小红", contact_phone: "0571-88880000",
        business_scope: "学术交流", approved_on: "2018-03-01", status: "active",
        source_updated_at: $s}' | jq -c "${3:-.}"
}
R=$TMP/r && rm -rf "$R" && mkdir -p "$R"
{
    org "$A" 杭州市西湖区导入测试一协会
    org "$B" 杭州市西湖区导入测试二协会
    org "$D" 杭州市西湖区导入测试四协会 '.approved_on = "2020-06-01"'
} > "$R/01-organizations.jsonl"
# A post held in B, which its deregistration must not end
jq -cn --arg u "$B" --arg id "$(resid 330106 19800101 001)" '{org_uscc: $u,
    id_type: "resident_id", id_number: $id,
    position: "legal_representative", start_on: "2018-03-01", name: "周建国"}' \
    > "$R/03-work-history.jsonl"
# imp PATH...: imports into province $P (33), the report kept in $TMP/reports
imp() { $NPOCTL import --province "${P:-33}" --as-of $ASOF "$@" 2>>"$TMP/stderr" \
        | tee -a "$TMP/reports"; }
rm -f "$TMP/reports" "$TMP/stderr"
out=$(imp "$R")
check_eq "the organizations and the post stored" \
    "$(jq -c '[.sections["1"].created, .sections["3"].created]' <<< "$out")" '[3,1]'
# E: an organization whose code says 33, held under a 32 authority
mkdir -p "$TMP/e"
org "$E" 南京市玄武区导入测试五协会 '.authority_division = "320102"' \
    > "$TMP/e/01-organizations.jsonl"
P=32 imp "$TMP/e" > /dev/null
check_eq "one organization held under province 32" \
    "$(sql "SELECT authority_division FROM registry.organizations WHERE uscc = '$E'")" 320102

events() { sql "SELECT last FROM registry.outbox_seq"; }
# section JSON N FIELDS: the counts of section N in a report
counts() { jq -c ".sections[\"$1\"] | [$2]" <<< "$out"; }

# -- 04: certificates
S=$TMP/s04 && rm -rf "$S" && mkdir -p "$S"
cert_a() {
    jq -cn --arg u "$A" '{uscc: $u, registered_capital: "30000", activity_area: "杭州市西湖区",
        valid_from: "2024-05-20", valid_to: "2029-05-19", issued_on: "2024-05-16",
        name: "杭州市西湖区导入测试一协会", address: "杭州市西湖区文三路99号",
        legal_representative: "郑某", issuing_authority: "杭州市西湖区民政局"}' | jq -c "${1:-.}"
}
{
    cert_a
    # D: no dates, the capital a JSON integer
    jq -cn --arg u "$D" '{uscc: $u, registered_capital: 100000, activity_area: "杭州市"}'
    # valid_to before valid_from
    jq -cn --arg u "$B" '{uscc: $u, registered_capital: "1000", activity_area: "杭州市西湖区",
        valid_from: "2024-01-10", valid_to: "2023-01-09", issued_on: "2024-01-10"}'
    jq -cn --arg u "$E" '{uscc: $u, registered_capital: "1", activity_area: "x",
        valid_from: "2024-01-10", valid_to: "2029-01-09", issued_on: "2024-01-10"}'
    jq -cn --arg u "$U" '{uscc: $u, registered_capital: "1", activity_area: "x",
        valid_from: "2024-01-10", valid_to: "2029-01-09", issued_on: "2024-01-10"}'
    cert_a '.uscc = "51330106MH60000"'
} > "$S/04-certificates.jsonl"
seq0=$(events)
out=$(imp "$S")
check_eq "04: three certificates issued, three refused" \
    "$(counts 4 '.created, .updated, .unchanged, .refused')" '[3,0,0,3]'
check_eq "04: refused by the register (unknown, another province's) and by npoctl" \
    "$(jq -r '[.refused[] | select(.section == 4) | "\(.line) \(.rule)"] | join(",")' <<< "$out")" \
    "6 invalid_format,4 out_of_province,5 unknown_org_reference"
check_eq "04: one event per certificate issued" "$(events)" "$((seq0 + 3))"
certs() {
    sql "SELECT number || ' ' || status || ' ' || valid_from || ' ' || valid_to || ' '
         || issued_on || ' ' || activity_area FROM registry.certificates
         WHERE uscc = '$1' ORDER BY version"
}
check_eq "A's certificate: version 1, valid, the dates of the record" "$(certs "$A")" \
    "$A-1 valid 2024-05-20 2029-05-19 2024-05-16 杭州市西湖区"
check_eq "the capital and the activity area stored on the organization" \
    "$(sql "SELECT registered_capital || ' ' || activity_area || ' ' || version
            FROM registry.organizations WHERE uscc = '$A'")" "30000.00 杭州市西湖区 2"
check_eq "D's dates filled: from the approval, 5 years less a day, issued on valid_from" \
    "$(certs "$D")" "$D-1 valid 2020-06-01 2025-05-31 2020-06-01 杭州市"
check_eq "a capital given as a JSON integer" \
    "$(sql "SELECT registered_capital FROM registry.organizations WHERE uscc = '$D'")" 100000.00
check_eq "04 findings: the copies compared, D's absent fields, B's dates out of order" \
    "$(jq -r '.findings[] | select(.section == 4)
              | "\(.rule)/\(.examples[0].field // "")/\(.count)"' <<< "$out" \
       | LC_ALL=C sort | paste -sd ' ')" \
    "$(echo date_order/valid_to/1 invalid_format/uscc/1 \
            legal_rep_mismatch/legal_representative/1 missing_required/valid_from/3 \
            org_field_mismatch/address/1 out_of_province//1 unknown_org_reference//1)"
check_eq "the registry's own findings kept open on A (section, rule, field)" \
    "$(sql "SELECT string_agg(rule || '/' || field, ',' ORDER BY rule) FROM registry.findings
            WHERE section = 4 AND uscc = '$A' AND fixed_on IS NULL")" \
    "legal_rep_mismatch/legal_representative,org_field_mismatch/address"
check_eq "every finding of sections 04, 07, 09 named by a keyed ref" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE section IN (4, 7, 9)
            AND record_ref !~ '^r1:[0-9a-f]{32}$'")" 0
url1=$($NPOCTL certificate show "$A" | jq -r .verify_url)
check "the imported certificate is public" wait_until 10 \
    '[[ "$(curl -s "$url1")" == *"\"result\":\"valid\""* ]]'
v=$(curl -s "$url1")
check_match "and verifies as genuine, signed by the authority" "$v" \
    '"result":"valid","genuine":true'
check_match "showing the register's name and the returned area" "$v" \
    '"name":"杭州市西湖区导入测试一协会".*"activity_area":"杭州市西湖区"'
check_match "it signed the returned capital" \
    "$(sql "SELECT canonical FROM registry.certificates WHERE number = '$A-1'")" \
    'registered_capital=30000.00'
check_match "and the register's address, not the copy's" "$v" '"address":"杭州市西湖区文三路100号"'
check "the public record names it" wait_until 10 \
    "[[ \"\$(http_get /v1/orgs/$A)\" == *'\"number\":\"$A-1\"'* ]]"
check_match "with the capital" "$(http_get "/v1/orgs/$A")" '"registered_capital":"30000.00"'
# Twice: unchanged
before=$(sql "SELECT count(*), sum(version) FROM registry.certificates")
seq0=$(events)
out=$(imp "$S")
check_eq "04 imported twice: unchanged" "$(counts 4 '.created, .updated, .unchanged')" '[0,0,3]'
check_eq "no certificate written" \
    "$(sql "SELECT count(*), sum(version) FROM registry.certificates")" "$before"
check_eq "no event" "$(events)" "$seq0"
check_eq "the same findings open" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE section = 4 AND fixed_on IS NULL
            AND uscc = '$A'")" 2
# Changed: the next version, the previous superseded
cert_a '.registered_capital = "50000.00" | .address = "杭州市西湖区文三路100号"' \
    > "$S/04-certificates.jsonl"
out=$(imp "$S")
check_eq "a changed capital: updated" "$(counts 4 '.updated')" '[1]'
check_eq "version 2 issued, version 1 superseded" "$(certs "$A" | awk '{ print $1, $2 }' \
    | tr '\n' ' ')" "$A-1 superseded $A-2 valid "
check_eq "the corrected copy closes its finding" \
    "$(sql "SELECT rule FROM registry.findings WHERE section = 4 AND uscc = '$A'
            AND fixed_on IS NOT NULL")" org_field_mismatch
url2=$($NPOCTL certificate show "$A" | jq -r .verify_url)
check "the new one verifies as valid" wait_until 10 \
    '[[ "$(curl -s "$url2")" == *"\"result\":\"valid\""* ]]'
check_match "signing the new capital" \
    "$(sql "SELECT canonical FROM registry.certificates WHERE number = '$A-2'")" \
    'registered_capital=50000.00'
check_match "the old one as superseded" "$(curl -s "$url1")" '"result":"superseded","genuine":true'

# -- 07: deregistrations
S=$TMP/s07 && rm -rf "$S" && mkdir -p "$S"
jq -cn --arg u "$B" '{uscc: $u, registered_capital: "1000", activity_area: "杭州市西湖区",
    valid_from: "2024-01-10", valid_to: "2029-01-09", issued_on: "2024-01-10"}' \
    > "$S/04-certificates.jsonl"
imp "$S" > /dev/null
urlb=$($NPOCTL certificate show "$B" | jq -r .verify_url)
dereg_b() {
    jq -cn --arg u "$B" '{uscc: $u, name: "杭州市西湖区导入测试二协会", reason: "经会员大会决议自行解散",
        deregistered_on: "2025-12-30", liquidation_leader: "罗永康",
        liquidation_phone: "13711223344"}' | jq -c "${1:-.}"
}
{
    dereg_b
    jq -cn --arg u "$D" '{uscc: $u, reason: "解散", deregistered_on: "2019-01-01",
        liquidation_leader: "麦嘉欣", name: "杭州市西湖区某协会"}'
    jq -cn --arg u "$E" '{uscc: $u, reason: "解散", deregistered_on: "2025-01-01",
        liquidation_leader: "某人"}'
    jq -cn --arg u "$U" '{uscc: $u, reason: "解散", deregistered_on: "2025-01-01",
        liquidation_leader: "某人"}'
    jq -cn --arg u "$A" '{uscc: $u, reason: "解散", liquidation_leader: "某人"}'
} > "$S/07-deregistrations.jsonl"
rm "$S/04-certificates.jsonl"
seq0=$(events)
out=$(imp "$S")
check_eq "07: two deregistered, three refused" \
    "$(counts 7 '.created, .updated, .unchanged, .refused')" '[2,0,0,3]'
check_eq "07: refused without a date, or by the register" \
    "$(jq -r '[.refused[] | select(.section == 7) | "\(.line) \(.rule)"] | join(",")' <<< "$out")" \
    "5 missing_required,3 out_of_province,4 unknown_org_reference"
check_eq "07 findings: a date before the approval, a name that is not the register's" \
    "$(jq -r '[.findings[] | select(.section == 7 and .outcome == "flagged")
               | "\(.rule)/\(.examples[0].field // "")"] | sort | join(",")' <<< "$out")" \
    "date_order/deregistered_on,org_field_mismatch/name"
check_eq "one event each" "$(events)" "$((seq0 + 2))"
check_eq "B deregistered, a new version" \
    "$(sql "SELECT status || ' ' || version FROM registry.organizations WHERE uscc = '$B'")" \
    "deregistered 4"
check_eq "kept without an application" \
    "$(sql "SELECT deregistered_on || ' ' || (application_id IS NULL) FROM registry.deregistrations
            WHERE uscc = '$B'")" "2025-12-30 true"
check_eq "its certificate revoked" "$(certs "$B" | tail -n 1 | awk '{ print $2 }')" revoked
check_eq "its officers' posts not ended (sections 02 and 03 say what they are)" \
    "$(sql "SELECT count(*) FROM registry.officer_posts WHERE org_uscc = '$B'
            AND end_on IS NULL")" 1
check "the deregistration reaches the public record" wait_until 10 \
    "[[ \"\$(http_get /v1/orgs/$B)\" == *'\"status\":\"deregistered\"'* ]]"
check_match "and verify" "$(http_get "/v1/verify?uscc=$B")" '"status":"deregistered"'
check "the certificate verifies as revoked" wait_until 10 \
    '[[ "$(curl -s "$urlb")" == *"\"result\":\"revoked\""* ]]'
check "inspection makes the deregistration audit due, as for its own" wait_until 10 \
    "[ \"\$(sql \"SELECT due_since FROM inspection.org_audits WHERE uscc = '$B'
                 AND reason_category = 'deregistration'\")\" = 2025-12-30 ]"
seq0=$(events)
out=$(imp "$S")
check_eq "07 imported twice: unchanged" "$(counts 7 '.created, .updated, .unchanged')" '[0,0,2]'
check_eq "no event" "$(events)" "$seq0"
dereg_b '.reason = "经理事会决议解散"' > "$S/07-deregistrations.jsonl"
out=$(imp "$S")
check_eq "a corrected deregistration: updated" "$(counts 7 '.updated')" '[1]'
check_eq "the row corrected" \
    "$(sql "SELECT reason FROM registry.deregistrations WHERE uscc = '$B'")" 经理事会决议解散
check_eq "no second event (it would make a second audit due)" "$(events)" "$seq0"
# A certificate returned for an organization no longer active: issued revoked
jq -cn --arg u "$B" '{uscc: $u, registered_capital: "1000", activity_area: "杭州市",
    valid_from: "2024-01-10", valid_to: "2029-01-09", issued_on: "2024-01-10"}' \
    > "$S/04-certificates.jsonl"
rm "$S/07-deregistrations.jsonl"
out=$(imp "$S")
check_eq "04 for a deregistered organization: the next version" "$(counts 4 '.updated')" '[1]'
check_eq "issued revoked, the earlier superseded" \
    "$(certs "$B" | awk '{ print $2 }' | tr '\n' ' ')" "superseded superseded revoked "
check_eq "and again: unchanged" "$(imp "$S" | jq -c '.sections["4"].unchanged')" 1

# -- 09: changes
S=$TMP/s09 && rm -rf "$S" && mkdir -p "$S"
{
    jq -cn --arg u "$A" '{uscc: $u, item: "address", approved_on: "2023-03-09", content: "住所",
        before: "杭州市西湖区文二路1号", after: "杭州市西湖区文三路100号"}'
    jq -cn --arg u "$A" '{uscc: $u, item: "法定代表人", approved_on: "2024-07-01",
        before: "冯建明", after: "周建国"}'
    jq -cn --arg u "$A" '{uscc: $u, item: "contact_phone", approved_on: "2024-08-01",
        before: "0571-87654321", after: "13900001111"}'
    jq -cn --arg u "$A" '{uscc: $u, item: "登记管理机关", approved_on: "2022-01-05",
        before: "杭州市民政局", after: "杭州市西湖区民政局"}'
    jq -cn --arg u "$U" '{uscc: $u, item: "address", approved_on: "2023-03-09", after: "x"}'
    jq -cn --arg u "$A" '{uscc: $u, item: "address", before: "x", after: "y"}'
} > "$S/09-changes.jsonl"
seq0=$(events)
out=$(imp "$S")
check_eq "09: four changes stored (one flagged), two refused" \
    "$(counts 9 '.created, .updated, .unchanged, .refused, .flagged')" '[4,0,0,2,1]'
check_eq "09: refused without its date, or for an organization not in the register" \
    "$(jq -r '[.refused[] | select(.section == 9) | "\(.line) \(.rule)"] | join(",")' <<< "$out")" \
    "6 missing_required,5 unknown_org_reference"
check_eq "an unknown item flagged unknown_enum" \
    "$(jq -r '[.findings[] | select(.section == 9 and .outcome == "flagged")
               | "\(.rule)/\(.examples[0].field)/\(.examples[0].line)"] | join(",")' <<< "$out")" \
    "unknown_enum/item/4"
check_eq "history rows without an application, items by name, labels as content" \
    "$(sql "SELECT string_agg(item || '/' || content, ',' ORDER BY approved_on)
            FROM registry.changes WHERE uscc = '$A' AND application_id IS NULL")" \
    "登记管理机关/登记管理机关,address/住所,legal_representative/法定代表人,contact_phone/联系电话"
check_eq "the organization itself unchanged (section 01's)" \
    "$(sql "SELECT legal_representative || ' ' || contact_phone FROM registry.organizations
            WHERE uscc = '$A'")" "周建国 0571-88880000"
check_eq "an event for each public item only" "$(events)" "$((seq0 + 2))"
public_changes() {
    http_get "/v1/orgs/$A/changes" | jq -r '[.[] | "\(.item)/\(.after)"] | join(",")'
}
check "the public change list has the address and legal representative" wait_until 10 \
    '[ "$(public_changes)" = "address/杭州市西湖区文三路100号,legal_representative/周建国" ]'
check "inspection makes the leaving-office audit due, as for its own change" wait_until 10 \
    "[ \"\$(sql \"SELECT due_since FROM inspection.org_audits WHERE uscc = '$A'
                 AND reason_category = 'leaving_office'\")\" = 2024-07-01 ]"
seq0=$(events)
sed -i -e 's/"item":"法定代表人"/"item":"legal_representative"/' \
    -e 's/"item":"address","approved_on":"2023-03-09"/"item":"住所","approved_on":"2023-03-09"/' \
    "$S/09-changes.jsonl"
out=$(imp "$S")
check_eq "09 imported twice (items now by label for name and name for label): unchanged" \
    "$(counts 9 '.created, .updated, .unchanged')" '[0,0,4]'
check_eq "no event" "$(events)" "$seq0"
check_eq "no row added" "$(sql "SELECT count(*) FROM registry.changes WHERE uscc = '$A'")" 4
jq -cn --arg u "$A" '{uscc: $u, item: "address", approved_on: "2023-03-09", content: "住所",
    before: "杭州市西湖区文二路1号", after: "杭州市西湖区文三路100号之一"}' > "$S/09-changes.jsonl"
out=$(imp "$S")
check_eq "a corrected change: updated" "$(counts 9 '.updated')" '[1]'
check "the public list shows the correction in its place" wait_until 10 \
    '[ "$(public_changes)" = "legal_representative/周建国,address/杭州市西湖区文三路100号之一" ]'

# -- No personal value anywhere but the registry's own tables
personal='罗永康|13711223344|麦嘉欣|13900001111|0571-87654321'
check_eq "none in a finding" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE concat_ws(' ', detail, value, record_ref)
            ~ '($personal)'")" 0
for p in 罗永康 13711223344 13900001111 0571-87654321; do
    hits=$(sql "SELECT count(*) FROM registry.outbox WHERE position(convert_to('$p', 'UTF8')
                IN envelope) > 0")
    check_eq "$p: in no registry event" "$hits" 0
done
check_eq "none in a public event or record" \
    "$(sql "SELECT count(*) FROM publication.public_events WHERE doc ~ '($personal)'") $(sql \
        "SELECT count(*) FROM publication.changes WHERE before || after ~ '($personal)'")" "0 0"
check_eq "none in Redis" "$(for u in "$A" "$B" "$D"; do redis get "org:$u";
    redis get "changes:$u"; done | grep -cE "$personal")" 0
check_nomatch "none in the reports" "$(cat "$TMP/reports")" "$personal"

# -- The examples of docs/import.md section 4 (province 44)
X=$TMP/examples && rm -rf "$X" && mkdir -p "$X"
AUTH44() { case $1 in 440106) echo 11440106MB2C90354U;; 440305) echo 11440305MB2D187084;;
           440104) echo 11440104MB2C332100;; 440111) echo 11440111MB2C55217P;;
           440113) echo 11440113MB2C66047B;; esac; }
org44() {
    jq -cn --arg u "$1" --arg n "$2" --arg d "$3" --arg r "$4" --arg a "$(AUTH44 "$3")" '{
        uscc: $u, name: $n, registration_authority: $r, registration_authority_code: $a,
        authority_division: $d, legal_representative: "陈志强", approved_on: "2019-05-20",
        status: "active"}' | jq -c "${5:-.}"
}
{
    org44 51440106MJL060123X 广州市天河区青少年科技教育协会 440106 广州市天河区民政局 \
        '.address = "广州市天河区天河路490号" | .business_unit = "广州市天河区教育局"
         | .business_scope = "青少年科技教育培训、科普活动、学术交流"'
    org44 52440305MJL193401Y 深圳市南山区长者服务中心 440305 深圳市南山区民政局
    org44 51440104MJL177487H 广州市越秀区餐饮商会 440104 广州市越秀区民政局
    org44 51440111MJL0421524 广州市白云区书法艺术研究会 440111 广州市白云区民政局
    org44 51440113MJL08837XC 广州市番禺区摄影家协会 440113 广州市番禺区民政局
} > "$X/01-organizations.jsonl"
# The records of section 4, one a line
example() { awk -v s="### $1 " '$0 ~ "^### " { on = index($0, s) == 1 } on' "$ROOT/docs/import.md" \
            | awk '/^```json$/ { on = 1; next } /^```$/ { on = 0 } on' | jq -c .; }
example 04 > "$X/04-certificates.jsonl"
example 07 > "$X/07-deregistrations.jsonl"
example 09 > "$X/09-changes.jsonl"
check_eq "the examples read: two records a section, six" \
    "$(cat "$X/04-certificates.jsonl" "$X/07-deregistrations.jsonl" "$X/09-changes.jsonl" \
       | wc -l)" 6
out=$(P=44 imp "$X")
check_eq "the examples stored, none refused" \
    "$(jq -c '[.sections["4", "7", "9"] | .created + .updated + .unchanged, .refused]' \
       <<< "$out")" \
    '[2,0,2,0,2,0]'
check_eq "the first certificate's copies agree with the register" \
    "$(jq '[.findings[] | select(.section == 4 and (.rule | test("mismatch")))] | length' \
       <<< "$out")" 0
check_eq "the second's dates and capital as given" \
    "$(sql "SELECT c.valid_from || ' ' || c.valid_to || ' ' || o.registered_capital
            FROM registry.certificates c JOIN registry.organizations o USING (uscc)
            WHERE uscc = '52440305MJL193401Y' AND c.status = 'valid'")" \
    "2022-08-01 2027-07-31 100000.00"
check_eq "both example organizations of 07 deregistered" \
    "$(sql "SELECT count(*) FROM registry.organizations WHERE status = 'deregistered'
            AND uscc IN ('51440111MJL0421524', '51440113MJL08837XC')")" 2
check_eq "the label 法定代表人 stored as legal_representative" \
    "$(sql "SELECT item FROM registry.changes WHERE uscc = '51440104MJL177487H'
            AND approved_on = '2024-07-01'")" legal_representative
finish
