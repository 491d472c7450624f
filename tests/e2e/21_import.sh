#!/bin/bash
# npoctl import: a return's files checked against docs/import.md (--dry-run),
# each rule on a record made to break it, the report's counts, personal data
# kept out of the report, whole files refused, usage errors; then section 01
# stored in the registry: created, unchanged the second time, updated,
# refusals by the tables, status never moved back, and a kill -9 mid-import
# followed by the same import ending as one clean import.
. "$(dirname "$0")/../lib.sh"
R=$TMP/return
rm -rf "$R" && mkdir -p "$R"
ASOF=2026-11-22T03:00:00Z
FRESH=2026-11-22T10:00:00+08:00            # 1 hour before ASOF
# The civil affairs bureau of a division: its code (valid, tests/lib/uscc.awk)
declare -A AUTH=([440106]=11440106MB2C90354U [440111]=11440111MB2C01112Y
                 [440305]=11440305MB2C03054N [440104]=11440104MB2C010402
                 [440000]=11440000MB2C000057 [110101]=11110101MB2C01016M)
# org USCC NAME TYPE DIVISION [JQ FILTER]: a complete section 01 record
org() {
    jq -cn --arg u "$1" --arg n "$2" --arg t "$3" --arg d "$4" --arg s "$FRESH" \
           --arg a "${AUTH[$4]}" '{
        uscc: $u, name: $n, type: $t, registration_authority_code: $a,
        registration_authority: "广州市天河区民政局", decoupled: false,
        party_work_body: "中共广州市天河区社会组织委员会", industry: "教育",
        legal_representative: "陈志强", authority_division: $d, address_division: $d,
        address: "广州市天河区天河路490号", postal_code: "510620", contact_name: "梁小敏",
        contact_phone: "020-38621234", business_scope: "青少年科技教育培训",
        approved_on: "2019-05-20", status: "active", source_updated_at: $s}' \
    | jq -c "${5:-.}"
}
{
    org 51440106MJL060123X 广州市天河区青少年科技教育协会 social_group 440106    # 1
    org 53440000506031162B 广东省环境保护基金会 foundation 440000 \
        '{uscc, name, type, authority_division, approved_on, status,
          source_updated_at: "2026-11-20T09:12:41+08:00", remark: 1}'            # 2
    echo 'not json'                                                               # 3
    org 53440000506031162C 某某基金会 foundation 440000                          # 4
    org 52440305MJL193401Y 深圳市南山区长者服务中心 club 440305                   # 5
    org 51440104MJL177487H 广州市越秀区餐饮商会 social_group 440104 \
        '.approved_on = "2099-01-01"'                                             # 6
    org 51440111MJL0421524 广州市白云区书法艺术研究会 social_group 440111 \
        '.address_division = "449999"'                                           # 7
    org 51440113MJL08837XC 广州市番禺区摄影家协会 social_group 440106            # 8
    org 51440106MJL060123X 广州市天河区青少年科技教育协会 social_group 440106    # 9
    org 51110101MJT000010U 北京市东城区某协会 social_group 110101                # 10
    org 52440106MJT000029E 广州市天河区某服务中心 social_group 440106             # 11
    echo '{"uscc": "51440106MJT000037C", "uscc": "51440106MJT000037C"}'           # 12
    printf '\n'                                                                   # 13
    org 51440106MJT000037C 广州市天河区某研究会 social_group 440106 \
        '.source_updated_at = "2026-11-23T10:00:00+08:00"'                        # 14
    org 51440106MJT000010L 广州市天河区某学会 social_group 440106 \
        'del(.type) | del(.authority_division)'                                  # 15
} > "$R/01-organizations.jsonl"
# Officers as CSV, a byte-order mark first, a name with a comma in quotes
{
    printf '\xef\xbb\xbforg_uscc,id_type,id_number,position,name,birth_date,gender,'
    printf 'ethnicity,nationality,mobile,full_time,source_updated_at\n'
    printf '51440106MJL060123X,resident_id,440106196803150313,legal_representative,'
    printf '陈志强,1968-03-15,male,汉族,中国,13802561234,false,%s\n' "$FRESH"
    printf '51440106MJL060123X,resident_id,440106196803150314,director,'
    printf '王某,1968-03-15,male,汉族,中国,13800000000,false,%s\n' "$FRESH"
    printf '51440106MJL060123X,resident_id,440104197511020463,supervisor,'
    printf '"林,晓燕",1975-11-03,female,汉族,中国,13902287654,true,%s\n' "$FRESH"
    printf '51440106MJL060123X,resident_id,440104197511020463,director,'
    printf '林晓燕,1975-11-02,male,汉族,中国,13902287654,false,%s\n' "$FRESH"
    printf '51440106MJL060123X,passport,E12345678,other,Jane Roe,,female,,,,,%s\n' "$FRESH"
    printf 'only,three,cells\n'
    printf '51440106MJL060123X,resident_id,440106196803150313,director,'
    printf '陈志强,,male,汉族,中国,13802561234,false,%s\n' "$FRESH"
} > "$R/02-officers.csv"
jq -cn --arg s "$FRESH" '{org_uscc: "51440106MJL060123X", id_type: "resident_id",
    id_number: "440106196803150313", position: "director", start_on: "2019-05-20",
    end_on: "2019-01-01", name: "陈志强", source_updated_at: $s}' > "$R/03-work-history.jsonl"
echo '{}' > "$R/01-officers.jsonl"
echo '{}' > "$R/16-inspection-results.jsonl"
echo 'notes' > "$R/README.txt"

$NPOCTL import --province 44 --dry-run --as-of $ASOF "$R" > "$TMP/report" 2> "$TMP/summary"
check_eq "a return with refusals exits 1" "$?" 1
rep=$(cat "$TMP/report")
# rule SECTION RULE OUTCOME: the count of that finding
rule() {
    jq -r --argjson s "$1" --arg r "$2" --arg o "$3" \
        '[.findings[] | select(.section == $s and .rule == $r and .outcome == $o) | .count]
         | add // 0' <<< "$rep"
}
lines() {
    jq -r --argjson s "$1" --arg r "$2" \
        '[.findings[] | select(.section == $s and .rule == $r) | .examples[].line]
         | sort | map(tostring) | join(" ")' <<< "$rep"
}
check_eq "a complete record has no finding" \
    "$(jq '[.findings[].examples[] | select(.line == 9 and (.path | test("01-org")))] | length' \
       <<< "$rep")" 0
check_eq "absent fields needed for completeness: flagged, one each" \
    "$(rule 1 missing_required flagged)" 12
check_eq "stale: more than 24 hours old at arrival" "$(lines 1 stale_source)" 2
check_eq "not JSON, or a key twice: refused" "$(lines 1 invalid_json)" "3 12"
check_eq "a wrong check character in a key: refused" "$(lines 1 invalid_uscc_check)" 4
check_eq "an unknown type: refused (needed to store)" "$(lines 1 unknown_enum)" 5
check_eq "a date after the arrival's: refused, or dropped when optional" \
    "$(rule 1 date_in_future refused) $(rule 1 date_in_future flagged)" "1 1"
check_eq "which are lines 6 and 14" "$(lines 1 date_in_future)" "6 14"
check_eq "an unknown division: flagged, kept" "$(rule 1 unknown_division flagged)" 1
check_eq "the authority's division against the code's" \
    "$(lines 1 division_authority_mismatch)" 8
check_eq "the key again: the one read first is not stored" \
    "$(jq -r '.findings[] | select(.rule == "duplicate_key_in_file") | .examples[]
              | "\(.line) \(.detail)"' <<< "$rep")" "1 $R/01-organizations.jsonl:9"
check_eq "another province's organization: refused" "$(lines 1 out_of_province)" 10
check_eq "a code whose type digit is not the type's" "$(lines 1 code_type_mismatch)" 11
check_eq "section 01 counts" \
    "$(jq -c '.sections["1"]' <<< "$rep")" \
    '{"records":14,"stored":7,"refused":6,"not_stored":1,"flagged":5}'
check_eq "an absent type and authority division are the code's: no finding" \
    "$(jq '[.findings[].examples[] | select(.line == 15 and (.path | test("01-org")))]
           | length' <<< "$rep")" 0
check_eq "a resident ID carries the birth date: not missing with one" \
    "$(jq '[.findings[].examples[] | select(.line == 8 and (.path | test("02-off")))]
           | length' <<< "$rep")" 0
check_eq "an unknown field is listed once" \
    "$(jq -c '[.unknown_fields[] | .field]' <<< "$rep")" '["remark"]'
check_eq "officers: a wrong ID check character refuses" "$(lines 2 invalid_id_check)" 3
check_eq "officers: a birth date not the ID's" "$(lines 2 birth_date_mismatch)" 4
check_eq "officers: a gender not the ID's" "$(lines 2 inconsistent_fields)" 5
check_eq "officers: a record with the wrong number of cells" "$(lines 2 invalid_csv)" 7
check_eq "officers: a passport holder is not asked for a resident ID" \
    "$(jq '[.refused[] | select(.section == 2 and .line == 6)] | length' <<< "$rep")" 0
check_eq "officers counts" "$(jq -c '.sections["2"]' <<< "$rep")" \
    '{"records":7,"stored":5,"refused":2,"not_stored":0,"flagged":3}'
check_eq "work history: an end before its start" "$(lines 3 date_order)" 1
check_eq "a file whose number and name disagree is refused whole" \
    "$(jq -r '.refused_files[] | select(.path | endswith("01-officers.jsonl")) | .code' \
       <<< "$rep")" wrong_section
check_eq "a section not imported yet says so" \
    "$(jq -r '.refused_files[] | select(.path | endswith("16-inspection-results.jsonl"))
              | .code' <<< "$rep")" not_supported
check_eq "other files are ignored" "$(jq -r '.ignored_files[]' <<< "$rep")" "$R/README.txt"
check_eq "every refused record is listed" "$(jq '.refused | length' <<< "$rep")" 8
for secret in 440106196803150313 440104197511020463 E12345678 陈志强 林晓燕 'Jane Roe' \
              梁小敏 020-38621234 13802561234; do
    check_nomatch "no personal value in the report or summary: $secret" \
        "$rep$(cat "$TMP/summary")" "$secret"
done
check_match "the summary says what came in" "$(cat "$TMP/summary")" \
    'section 1: 14 records, 7 stored \(5 flagged\), 6 refused, 1 not stored'
check_eq "the same run twice: the same report" \
    "$($NPOCTL import --province 44 --dry-run --as-of $ASOF "$R" 2>/dev/null \
       | jq -c 'del(.finished_at)')" "$(jq -c 'del(.finished_at)' <<< "$rep")"
twice=$($NPOCTL import --province 44 --dry-run --as-of $ASOF "$R" "$R/01-organizations.jsonl" \
        2>/dev/null)
check_eq "a file reached twice is read once (listed as ignored the second time)" \
    "$(jq -c --arg f "$R/01-organizations.jsonl" \
          'del(.finished_at) | .ignored_files |= map(select(. != $f))' <<< "$twice")" \
    "$(jq -c 'del(.finished_at)' <<< "$rep")"
check_eq "and said so" "$(jq -c --arg f "$R/01-organizations.jsonl" \
                         '[.ignored_files[] | select(. == $f)] | length' <<< "$twice")" 1
# A GBK export (its first line not UTF-8): the whole file refused, not its lines
G=$TMP/gbk && mkdir -p "$G"
{
    printf '{"uscc":"51440106MJL060123X","name":"\xb9\xe3\xd6\xdd\xca\xd0"}\n'
    org 51440106MJL060123X 广州市天河区青少年科技教育协会 social_group 440106
} > "$G/01-organizations.jsonl"
gbk=$($NPOCTL import --province 44 --dry-run --as-of $ASOF "$G" 2>/dev/null)
check_eq "a GBK file is refused whole: invalid_encoding, no record read" \
    "$(jq -c '[.refused_files[].code, .sections["1"].records]' <<< "$gbk")" \
    '["invalid_encoding",0]'
{ printf '\n'; cat "$G/01-organizations.jsonl"; } > "$G/01-organizations.2.jsonl"
rm "$G/01-organizations.jsonl"
gbk=$($NPOCTL import --province 44 --dry-run --as-of $ASOF "$G" 2>/dev/null)
check_eq "also after a blank line" \
    "$(jq -c '[.refused_files[].code, .sections["1"].records]' <<< "$gbk")" \
    '["invalid_encoding",0]'
# A change item by its name and by its Chinese label is one key
{
    jq -cn '{uscc: "51440106MJL060123X", item: "address", approved_on: "2023-03-09",
             after: "广州市天河区天河路490号"}'
    jq -cn '{uscc: "51440106MJL060123X", item: "住所", approved_on: "2023-03-09",
             after: "广州市天河区天河路491号"}'
} > "$G/09-changes.jsonl"
rm "$G/01-organizations.2.jsonl"
items=$($NPOCTL import --province 44 --dry-run --as-of $ASOF --findings "$TMP/items" "$G" \
        2>/dev/null)
check_eq "a change item by name and by label: one key, the first not stored" \
    "$(jq -r '"\(.line) \(.rule)"' "$TMP/items")" "1 duplicate_key_in_file"

# A clean return: exit 0, no finding
mkdir -p "$TMP/clean"
org 51440106MJL060123X 广州市天河区青少年科技教育协会 social_group 440106 \
    > "$TMP/clean/01-organizations.jsonl"
out=$($NPOCTL import --province 44 --dry-run --as-of $ASOF "$TMP/clean" 2>/dev/null)
check_eq "a clean return exits 0" "$?" 0
check_eq "and has no finding" "$(jq -c '[.findings, .refused]' <<< "$out")" '[[],[]]'

# Usage
usage() { $NPOCTL import "$@" >/dev/null 2>&1; echo $?; }
check_eq "a bad province (2)" "$(usage --province 4 --dry-run "$R")" 2
check_eq "no path (2)" "$(usage --province 44 --dry-run)" 2
check_eq "a named file that is not a return file (2)" \
    "$(usage --province 44 --dry-run "$R/README.txt")" 2
check_eq "a missing path (2)" "$(usage --province 44 --dry-run "$R/nothing")" 2
check_match "--help explains it" "$($NPOCTL import --help 2>&1)" 'docs/import.md'

# -- Storing section 01 in the registry
S=$TMP/store
mkdir -p "$S"
dup=$(echo 52440106MJL06012 | awk -f "$ROOT/tests/lib/uscc_make.awk")  # A's organization code
{
    org 51440106MJL060123X 广州市天河区青少年科技教育协会 social_group 440106
    org 51440111MJL0421524 广州市白云区书法艺术研究会 social_group 440111
    org 51440104MJL177487H 广州市越秀区餐饮商会 social_group 440104
    org "$dup" 广州市天河区某服务中心 social_service 440106
    org "$(echo 51440106MJT00009 | awk -f "$ROOT/tests/lib/uscc_make.awk")" \
        广州市天河区青少年科技教育协会 social_group 440106
} > "$S/01-organizations.jsonl"
stored() {
    sql "SELECT uscc || ' ' || version || ' ' || status || ' ' || address
         FROM registry.organizations WHERE uscc IN ('51440106MJL060123X',
         '51440111MJL0421524', '51440104MJL177487H', '$dup') ORDER BY uscc"
}
events() { sql "SELECT last FROM registry.outbox_seq"; }
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_eq "stored: created, and one refused" \
    "$(jq -c '.sections["1"] | [.created, .updated, .unchanged, .refused]' <<< "$out")" \
    '[3,0,0,2]'
check_eq "the registry refuses a code, or an active name, already another's" \
    "$(jq -r '.refused[] | "\(.line) \(.rule)"' <<< "$out" | tr '\n' ' ')" \
    "4 duplicate_code 5 same_org_two_codes "
check_eq "the registry holds them, version 1" "$(stored | awk '{ print $2 }' | sort -u)" 1
check_eq "three of them" "$(stored | wc -l)" 3
check "the gateway serves an imported organization" wait_until 10 \
    '[[ "$(http_get /v1/orgs/51440111MJL0421524)" == *书法艺术研究会* ]]'
before=$(stored)
seq_before=$(events)
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_eq "the same file again: unchanged" \
    "$(jq -c '.sections["1"] | [.created, .updated, .unchanged]' <<< "$out")" '[0,0,3]'
check_eq "nothing written" "$(stored)" "$before"
check_eq "no event" "$(events)" "$seq_before"
org 51440111MJL0421524 广州市白云区书法艺术研究会 social_group 440111 \
    '.address = "广州市白云区云城东路1号"' > "$S/01-organizations.jsonl"
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_eq "a changed record: updated" "$(jq -c '.sections["1"].updated' <<< "$out")" 1
check_match "version 2, the new address" "$(stored)" '51440111MJL0421524 2 active 广州市白云区云城东路1号'
check "and the public record follows" wait_until 10 \
    '[[ "$(http_get /v1/orgs/51440111MJL0421524)" == *云城东路1号* ]]'
org 51440104MJL177487H 广州市越秀区餐饮商会 social_group 440104 '.status = "revoked"' \
    > "$S/01-organizations.jsonl"
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_match "a stored status is not changed by section 01 (07 and 11 do that)" "$(stored)" \
    '51440104MJL177487H 1 active'
check_eq "the record says so" \
    "$(jq -r '.findings[] | select(.rule == "inconsistent_status") | .examples[0].detail' \
       <<< "$out")" "the register holds it as active"
check_eq "so nothing else about a status change happens here either" \
    "$(sql "SELECT count(*) FROM registry.organizations WHERE uscc = '51440104MJL177487H'
            AND status <> 'active'")" 0
err=$(NPO_ACTOR=registrar:31:sh $NPOCTL import --province 44 --as-of $ASOF "$S" 2>&1)
check_match "another province's registrar may not return province 44's data" "$err" \
    'out_of_division'
err=$(NPO_ACTOR=registrar:4401:gz $NPOCTL import --province 44 --as-of $ASOF "$S" 2>&1)
check_match "nor a city's registrar the province's" "$err" 'out_of_division'
# Another province may not take an organization over by returning its code
{
    org 51440106MJL060123X 北京市东城区接管协会 social_group 110101 '.authority_division = "110101"'
} > "$TMP/takeover.jsonl"
mkdir -p "$TMP/take" && mv "$TMP/takeover.jsonl" "$TMP/take/01-organizations.jsonl"
out=$(NPO_ACTOR=registrar:11:bj $NPOCTL import --province 11 --as-of $ASOF "$TMP/take" \
      2>/dev/null)
check_eq "another province's return cannot take an organization over" \
    "$(jq -r '.refused[] | .rule' <<< "$out")" out_of_province
check_match "which stays as it was" "$(stored)" '51440106MJL060123X 1 active'
# Personal fields never kept as a finding's value
org 51440111MJL0421524 广州市白云区书法艺术研究会 social_group 440111 \
    '.contact_phone = "电话020-38621234" | .contact_name = ""' > "$S/01-organizations.jsonl"
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_eq "a malformed personal field is flagged" \
    "$(jq -r '.findings[] | select(.rule == "invalid_format") | .examples[0].field' <<< "$out")" \
    contact_phone
check_nomatch "without its value in the report" "$out" '38621234'
check_eq "nor in the findings kept" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE value || detail LIKE '%38621234%'")" 0

# -- Findings kept with the records (province 63: a clean slate; 45 holds
# 14_guard's officers, which the check across records reads)
Q=$TMP/quality
mkdir -p "$Q"
AUTH[630102]=$(echo 1163010 2MB2C0010 | tr -d ' ' | awk -f "$ROOT/tests/lib/uscc_make.awk")
q1=$(echo 51630102MQ000001 | awk -f "$ROOT/tests/lib/uscc_make.awk")
q2=$(echo 51630102MQ000002 | awk -f "$ROOT/tests/lib/uscc_make.awk")
q3=$(echo 51630102MQ000003 | awk -f "$ROOT/tests/lib/uscc_make.awk")
{
    org "$q1" 西宁市城东区质量一协会 social_group 630102 'del(.address)'
    org "$q2" 西宁市城东区质量二协会 social_group 630102 \
        '.source_updated_at = "2026-11-19T10:00:00+08:00"'
    org "$q3" 西宁市城东区质量三协会 social_group 630102 'del(.approved_on)'
} > "$Q/01-organizations.jsonl"
report() { $NPOCTL quality report --province 63 "$@" 2>/dev/null; }
$NPOCTL import --province 63 --as-of $ASOF "$Q" > /dev/null 2>&1
r=$(report)
open_of() {
    jq -r '[.findings[] | "\(.uscc) \(.finding.rule) \(.finding.field) \(.finding.outcome)"]
           | sort | join(",")' <<< "$1"
}
check_eq "the open findings are kept, one each" "$(open_of "$r")" \
    "$q1 missing_required address flagged,$q3 missing_required approved_on refused"
check_eq "with where it was read" \
    "$(jq -r --arg u "$q3" '.findings[] | select(.uscc == $u)
         | "\(.finding.path | sub(".*/"; "")):\(.finding.line)"' <<< "$r")" \
    "01-organizations.jsonl:3"
check_eq "found on the import's date, due 10 working days later (2026's notice held)" \
    "$(jq -r '.findings[0] | "\(.found_on) \(.due_by) \(.due_by_estimated)"' <<< "$r")" \
    "2026-11-22 2026-12-04 false"
check_eq "stale_source is kept closed: lateness is counted, not corrected" \
    "$(report --all | jq -r --arg u "$q2" '.findings[] | select(.uscc == $u)
         | "\(.finding.rule) \(.fixed_on)"')" "stale_source 2026-11-22"
check_eq "counts" "$(jq -c '[.open, .overdue]' <<< "$r")" '[2,0]'
all=$(report --all)
check_eq "three findings kept, one of them closed" "$(jq -c '[(.findings | length), .open]' \
    <<< "$all")" '[3,2]'
check_eq "read a finding a page: the same report" "$(report --all --page-size 1)" "$all"
check_eq "two a page: the same" "$(report --all --page-size 2)" "$all"
check_eq "one document, without the cursor" "$(jq -c 'keys' <<< "$all")" \
    '["findings","open","overdue"]'
check_match "--page-size 0: a usage error" \
    "$($NPOCTL quality report --province 63 --page-size 0 2>&1; echo "exit $?")" 'exit 2$'
check_eq "overdue after the due date" \
    "$(report --overdue --as-of 2026-12-07 | jq -c '[.open, .overdue, (.findings | length)]')" \
    '[2,2,2]'
$NPOCTL import --province 63 --as-of $ASOF "$Q" > /dev/null 2>&1
check_eq "found again: still one each, the clock not restarted" \
    "$(report | jq -c '[.open, (.findings | map(.found_on) | unique)]')" '[2,["2026-11-22"]]'
check_eq "and stale_source not counted twice" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE rule = 'stale_source'
            AND record_ref = '$q2'")" 1
{
    org "$q1" 西宁市城东区质量一协会 social_group 630102
    org "$q3" 西宁市城东区质量三协会 social_group 630102
} > "$Q/01-organizations.jsonl"
$NPOCTL import --province 63 --as-of 2026-11-24T03:00:00Z "$Q" > /dev/null 2>&1
check_eq "corrected records close their findings" "$(report | jq -c '.open')" 0
check_eq "on the date of the import that read them right" \
    "$(report --all | jq -r '[.findings[] | select(.finding.rule == "missing_required")
                               | .fixed_on] | unique | join(" ")')" "2026-11-24"
check_eq "and the refused one is stored now" \
    "$(sql "SELECT count(*) FROM registry.organizations WHERE uscc = '$q3'")" 1
err=$(NPO_ACTOR=registrar:44:gd $NPOCTL quality report --province 63 2>&1)
check_match "another province's registrar may not read them" "$err" 'out_of_division'
# A province's own import is dated by the service, whatever its --as-of: it
# cannot move the due dates of its own findings
mkdir -p "$Q/own"
org "$q2" 西宁市城东区质量二协会 social_group 630102 'del(.postal_code)' \
    > "$Q/own/01-organizations.jsonl"
NPO_ACTOR=registrar:63:xn $NPOCTL import --province 63 --as-of 2027-03-01T03:00:00Z \
    "$Q/own" > /dev/null 2>&1
check_eq "a registrar's import: found on the service's date, not --as-of" \
    "$(sql "SELECT found_on FROM registry.findings WHERE record_ref = '$q2'
            AND rule = 'missing_required' AND field = 'postal_code'")" \
    "$(TZ=Asia/Shanghai date +%F)"
# A ministry replay dated before a finding was found closes it, not before
org "$q2" 西宁市城东区质量二协会 social_group 630102 > "$Q/own/01-organizations.jsonl"
$NPOCTL import --province 63 --as-of 2026-11-20T03:00:00Z "$Q/own" > /dev/null 2>&1
check_eq "closed by a replay dated earlier: fixed on the day it was found" \
    "$(sql "SELECT fixed_on = found_on FROM registry.findings WHERE record_ref = '$q2'
            AND rule = 'missing_required' AND field = 'postal_code'")" t
for secret in 梁小敏 020-38621234; do
    check_eq "no personal value kept in a finding: $secret" \
        "$(sql "SELECT count(*) FROM registry.findings WHERE detail || value LIKE '%$secret%'")" 0
done

# -- Old codes (section 01): to the registry's old-code map, once for life
O=$TMP/old
mkdir -p "$O"
mk() { echo "$1" | awk -f "$ROOT/tests/lib/uscc_make.awk"; }
oc() { mk "51440106$1" | cut -c9-17; }       # an organization code with its check
o1=$(mk 51440106MP000001) o2=$(mk 51440106MP000002) o3=$(mk 51440106MP000003)
o4=$(mk 51440106MP000004)
c1=$(oc T2100001) c2=$(oc T2100002) c3=$(oc T2100003) c4=$(oc T2100004)
oldorg() { org "$1" "广州市天河区旧码$2协会" social_group 440106 "${3:-.}"; }
mapping() {
    sql "SELECT coalesce (old_org_code, '-') || ' ' || coalesce (old_certificate_number, '-')
         FROM registry.old_codes WHERE uscc = '$1'"
}
import_old() { $NPOCTL import --province 44 --as-of $ASOF "$O" 2>/dev/null; }
recorded_events() {
    sql "SELECT count(*) FROM registry.outbox WHERE seq > $1
         AND topic LIKE '%registry.old_codes_recorded' AND org_uscc = '$2'"
}
{
    oldorg "$o1" 一 ".old_org_code = \"${c1:0:8}-${c1:8}\" |
                    .old_certificate_number = \"YSZ-2009.0001\""
    oldorg "$o2" 二
} > "$O/01-organizations.jsonl"
seq_before=$(events)
out=$(import_old)
check_eq "old codes: the organizations created, no finding" \
    "$(jq -c '[.sections["1"].created, .findings]' <<< "$out")" '[2,[]]'
check_eq "the old codes mapped, the printed dash dropped" "$(mapping "$o1")" \
    "$c1 YSZ-2009.0001"
check_eq "one registry.old_codes_recorded, as npoctl old-codes emits" \
    "$(recorded_events "$seq_before" "$o1")" 1
check "the gateway finds it by its old organization code" wait_until 10 \
    '[[ "$(http_get /v1/orgs/by-old-code/$c1)" == *"\"uscc\":\"$o1\""* ]]'
check_match "and by its old certificate number" \
    "$(http_get /v1/orgs/by-certificate/YSZ-2009.0001)" "\"uscc\":\"$o1\""
seq_before=$(events)
out=$(import_old)
check_eq "the same old codes again: unchanged" \
    "$(jq -c '.sections["1"] | [.created, .updated, .unchanged]' <<< "$out")" '[0,0,2]'
check_eq "no event" "$(events)" "$seq_before"
# o1 brings another old code; o2 o1's certificate number and a code of its
# own; o3 o1's old code; o4 o1's name (refused by the tables) with a new code
{
    oldorg "$o1" 一 ".old_org_code = \"$c2\" | .old_certificate_number = \"YSZ-2009.0001\""
    oldorg "$o2" 二 ".old_org_code = \"$c3\" | .old_certificate_number = \"YSZ-2009.0001\""
    oldorg "$o3" 三 ".old_org_code = \"$c1\""
    oldorg "$o4" 一 ".old_org_code = \"$c4\""
} > "$O/01-organizations.jsonl"
seq_before=$(events)
out=$(import_old)
check_eq "old codes recorded once: another is not_updatable, another's duplicate_code" \
    "$(jq -r '.findings[] | select(.rule == "not_updatable" or .rule == "duplicate_code")
              | .examples[] | "\(.line) \(.field) \(.value)"' <<< "$out" | sort | tr '\n' ' ')" \
    "1 old_org_code $c2 2 old_certificate_number YSZ-2009.0001 3 old_org_code $c1 "
check_eq "counted as findings of the registry's, flagged" \
    "$(jq -c '[.findings[] | select(.rule == "not_updatable" or .rule == "duplicate_code")
               | "\(.rule)/\(.outcome)/\(.count)"] | sort' <<< "$out")" \
    '["duplicate_code/flagged/2","not_updatable/flagged/1"]'
check_eq "the records stored all the same (o2 updated: its new old code)" \
    "$(jq -c '.sections["1"] | [.created, .updated, .unchanged, .refused, .flagged]' \
       <<< "$out")" '[1,1,1,1,3]'
check_eq "the stored old codes kept" "$(mapping "$o1")" "$c1 YSZ-2009.0001"
check_eq "the new one recorded, the other's number not" "$(mapping "$o2")" "$c3 -"
check_eq "another's old code not stored" "$(mapping "$o3")" ""
check_eq "a record the tables refuse: its old code neither (one savepoint)" \
    "$(sql "SELECT count(*) FROM registry.old_codes WHERE old_org_code = '$c4'")" 0
check_eq "one event: o2's new old code" \
    "$(sql "SELECT count(*) FROM registry.outbox WHERE seq > $seq_before
            AND topic LIKE '%registry.old_codes_recorded'")" 1
check "which the gateway finds" wait_until 10 \
    '[[ "$(http_get /v1/orgs/by-old-code/$c3)" == *"\"uscc\":\"$o2\""* ]]'
check_eq "the dropped one is found nowhere" "$(http_code /v1/orgs/by-old-code/$c2)" 404
check_match "the certificate number still finds its own" \
    "$(http_get /v1/orgs/by-certificate/YSZ-2009.0001)" "\"uscc\":\"$o1\""
open_old() {
    sql "SELECT line || ' ' || rule || ' ' || field || ' ' || outcome FROM registry.findings
         WHERE uscc IN ('$o1', '$o2', '$o3') AND fixed_on IS NULL ORDER BY line"
}
check_eq "the findings kept with the records" "$(open_old | tr '\n' ',')" \
    "$(printf '%s flagged,' '1 not_updatable old_org_code' \
       '2 duplicate_code old_certificate_number' '3 duplicate_code old_org_code')"
check_match "saying what the register holds" \
    "$(sql "SELECT detail FROM registry.findings WHERE uscc = '$o1' AND fixed_on IS NULL")" \
    "$c1"
out=$(import_old)
check_eq "found again: still one each" "$(open_old | wc -l)" 3
# Corrected: an absent old code keeps the stored one; o2's certificate
# number comes later than its code
{
    oldorg "$o1" 一
    oldorg "$o2" 二 ".old_org_code = \"$c3\" | .old_certificate_number = \"YSZ-2009.0002\""
    oldorg "$o3" 三
} > "$O/01-organizations.jsonl"
seq_before=$(events)
out=$(import_old)
check_eq "corrected records close them" "$(open_old)" ""
check_eq "and the old codes stay" "$(mapping "$o1")" "$c1 YSZ-2009.0001"
check_eq "one recorded later joins the other" "$(mapping "$o2")" "$c3 YSZ-2009.0002"
check_eq "its event, the report's update" \
    "$(recorded_events "$seq_before" "$o2") $(jq -c '.sections["1"].updated' <<< "$out")" "1 1"
# A code another transaction takes while the import runs: its constraint
# drops it, and the record's other old code is recorded all the same
o5=$(mk 51440106MP000005) c5=$(oc T2100005)
( "$PSQL" "$NPO_PG_DSN" -Xqc "BEGIN; INSERT INTO registry.old_codes (uscc, old_org_code)
    VALUES ('$o3', '$c5'); SELECT pg_sleep (5) /* t21_race */; COMMIT" > /dev/null ) &
racer=$!
racing() {
    sql "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid ()
         AND query LIKE '%t21_race%' AND state = 'active'"
}
wait_until 10 '[ "$(racing)" = 1 ]'
oldorg "$o5" 五 ".old_org_code = \"$c5\" | .old_certificate_number = \"YSZ-2009.0005\"" \
    > "$O/01-organizations.jsonl"
out=$(import_old)
wait $racer
check_eq "taken meanwhile: duplicate_code, found by the constraint" \
    "$(jq -r '.findings[] | select(.rule == "duplicate_code") | .examples[]
              | "\(.field) \(.detail)"' <<< "$out")" "old_org_code another organization's"
check_eq "the record stored, its other old code recorded" \
    "$(jq -c '.sections["1"].created' <<< "$out") $(mapping "$o5") / $(mapping "$o3")" \
    "1 - YSZ-2009.0005 / $c5 -"
org "$o2" 广州市天河区旧码二协会 social_group 440106 ".old_certificate_number = \"$o1-1\"" \
    > "$O/01-organizations.jsonl"
out=$($NPOCTL import --province 44 --dry-run --as-of $ASOF "$O" 2>/dev/null)
check_eq "a certificate number of the register's own form: flagged (--dry-run)" \
    "$(jq -r '.findings[] | "\(.rule) \(.examples[0].field)"' <<< "$out")" \
    "invalid_format old_certificate_number"

# The registry's own codes go past a code a return brought
alpha=0123456789ABCDEFGHJKLMNPQRTUWXY
u1=$(make_apps 1 t21a 440305 | $NPOCTL register --file - --approve | uscc_of)
last=${u1:15:1}
rest=${alpha#*"$last"}
next=$(echo "51440305${u1:8:7}${rest:0:1}" | awk -f "$ROOT/tests/lib/uscc_make.awk")
org "$next" 深圳市南山区回传编码协会 social_group 440305 > "$S/01-organizations.jsonl"
$NPOCTL import --province 44 --as-of $ASOF "$S" >/dev/null 2>&1
check_eq "a returned code the registry would assign next" \
    "$(sql "SELECT count(*) FROM registry.organizations WHERE uscc = '$next'")" 1
u2=$(make_apps 1 t21b 440305 | $NPOCTL register --file - --approve | uscc_of)
check_match "is skipped by the next registration" "$u2" '^51440305'
check_eq "which gets the code after it" "${u2:8:8}" "${u1:8:7}${rest:1:1}"

# -- One key in two files, stored: the later record is kept, and the counts
# are those of one record stored and one not (the first pass counts nothing)
T2=$TMP/two && mkdir -p "$T2"
u3=$(mk 51440106MX000001)
org "$u3" 天河区两份文件协会 social_group 440106 > "$T2/01-organizations.a.jsonl"
org "$u3" 天河区两份文件协会 social_group 440106 '.address = "广州市天河区二号"' \
    > "$T2/01-organizations.b.jsonl"
two=$($NPOCTL import --province 44 --as-of $ASOF "$T2" 2>/dev/null)
check_eq "one key in two files: one stored, one not stored" \
    "$(jq -c '.sections["1"] | [.stored, .not_stored, .created]' <<< "$two")
$(jq -c '[.files[] | [.stored, .not_stored]]' <<< "$two")" '[1,1,1]
[[0,1],[1,0]]'
check_eq "the later one's address stored" \
    "$(sql "SELECT address FROM registry.organizations WHERE uscc = '$u3'")" 广州市天河区二号

# -- kill -9 in the middle, then the same import: as one clean import
K=$TMP/kill
mkdir -p "$K"
for i in $(seq 1 3000); do printf '51440106MK%06d\n' "$i"; done \
    | awk -f "$ROOT/tests/lib/uscc_make.awk" > "$TMP/codes"
while read -r code; do
    printf '{"uscc":"%s","name":"天河区导入测试%s协会","type":"social_group",' "$code" "$code"
    printf '"authority_division":"440106","approved_on":"2020-01-02","status":"active"}\n'
done < "$TMP/codes" > "$K/01-organizations.jsonl"
seq_before=$(events)
( exec $NPOCTL import --province 44 --as-of $ASOF "$K" > /dev/null 2>&1 ) &
pid=$!
count() { sql "SELECT count(*) FROM registry.organizations WHERE uscc LIKE '51440106MK%'"; }
wait_until 30 '[ "$(count)" -gt 0 ]'
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
partial=$(count)
check "killed part way ($partial of 3000 stored)" test "$partial" -gt 0 -a "$partial" -lt 3000
out=$($NPOCTL import --province 44 --as-of $ASOF "$K" 2>/dev/null)
check_eq "the same import again completes it" \
    "$(jq -c '.sections["1"] | [.created + .unchanged, .refused]' <<< "$out")" '[3000,0]'
check_eq "every organization once, version 1" \
    "$(sql "SELECT count(*) || ' ' || max(version) FROM registry.organizations
            WHERE uscc LIKE '51440106MK%'")" "3000 1"
check_eq "one registration event each, no more" \
    "$(sql "SELECT count(*) FROM registry.outbox WHERE seq > $seq_before
            AND topic LIKE '%registry.org_registered' AND org_uscc LIKE '51440106MK%'")" 3000

# -- kill -9 of the registry in the middle: npoctl says so, the same import
# afterwards completes it, nothing twice
for i in $(seq 1 3000); do printf '51440106MN%06d\n' "$i"; done \
    | awk -f "$ROOT/tests/lib/uscc_make.awk" > "$TMP/codes2"
while read -r code; do
    printf '{"uscc":"%s","name":"天河区中断测试%s协会","type":"social_group",' "$code" "$code"
    printf '"authority_division":"440106","approved_on":"2020-01-02","status":"active"}\n'
done < "$TMP/codes2" > "$K/01-organizations.jsonl"
seq_before=$(events)
( exec $NPOCTL --timeout 3000 import --province 44 --as-of $ASOF "$K" > /dev/null 2>&1 ) &
pid=$!
count2() { sql "SELECT count(*) FROM registry.organizations WHERE uscc LIKE '51440106MN%'"; }
wait_until 30 '[ "$(count2)" -gt 0 ]'
kill -9 "$(cat "$NPO_VAR/run/registry.pid")"
wait $pid
check_eq "npoctl says the registry did not answer (3)" "$?" 3
partial=$(count2)
check_match "whole batches only ($partial stored)" "$((partial % 100))" '^0$'
check "the registry restarts" service_restart registry
out=$($NPOCTL import --province 44 --as-of $ASOF "$K" 2>"$TMP/err2")
check_eq "and answers the same import (exit 0)" "$?:$(cat "$TMP/err2" | grep npoctl)" "0:"
check_eq "the same import completes it" \
    "$(jq -c '.sections["1"] | [.created, .unchanged, .refused]' <<< "$out")" \
    "[$((3000 - partial)),$partial,0]"
check_eq "every organization once, one event each" \
    "$(count2) $(sql "SELECT count(*) FROM registry.outbox WHERE seq > $seq_before
                      AND org_uscc LIKE '51440106MN%'")" "3000 3000"
finish
