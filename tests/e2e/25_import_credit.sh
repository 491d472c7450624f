#!/bin/bash
# npoctl import of sections 11-15 (docs/import.md) into the credit service:
# penalties, case filings, fundraising penalties and listings of
# organizations this run's section 01 stores. Created, then unchanged
# (nothing written, no event), the credit rules fired as by the service's own
# commands (lists, revocation, the public record), each refusal and finding
# of the sections, a recorded penalty never changed (not_updatable,
# decision_number_taken), a case moving forward only and a closed one
# staying closed, a person's penalty named only by its decision number and a
# keyed ref; listings by hand stored and removed, derived ones compared.
. "$(dirname "$0")/../lib.sh"
R=$TMP/return
rm -rf "$R" && mkdir -p "$R"
make_code() { echo "$1" | awk -f "$ROOT/tests/lib/uscc_make.awk"; }
AUTH=$(make_code 11440115MB2C0011)             # 广州市南沙区民政局
AUTHBAD=${AUTH%?}$([ "${AUTH: -1}" = 0 ] && echo 1 || echo 0)   # a wrong check character
A=$(make_code 51440115MCR00000)
B=$(make_code 51440115MCR00001)
C=$(make_code 52440115MCR00002)
D=$(make_code 51440115MCR00003)
E=$(make_code 51440115MCR00004)
GONE=$(make_code 51440115MCR00009)            # never registered
ELSEWHERE=$(make_code 51450102MCR00005)       # another province's code
# org USCC NAME: a complete section 01 record
org() {
    jq -cn --arg u "$1" --arg n "$2" --arg a "$AUTH" '{
        uscc: $u, name: $n, registration_authority_code: $a,
        registration_authority: "广州市南沙区民政局", decoupled: false,
        party_work_body: "中共广州市南沙区社会组织委员会", industry: "教育",
        legal_representative: "何信用", authority_division: "440115",
        address_division: "440115", address: "广州市南沙区进港大道8号", postal_code: "511458",
        contact_name: "梁导入", contact_phone: "020-39001234", business_scope: "信用导入测试",
        approved_on: "2018-03-01", status: "active"}'
}
{
    org "$A" 广州市南沙区信用导入测试协会甲
    org "$B" 广州市南沙区信用导入测试协会乙
    org "$C" 广州市南沙区信用导入测试服务中心丙
    org "$D" 广州市南沙区信用导入测试协会丁
    org "$E" 广州市南沙区信用导入测试协会戊
} > "$R/01-organizations.jsonl"

# pen NUMBER USCC RESULT [JQ FILTER]: a section 11 record
pen() {
    jq -cn --arg d "$1" --arg u "$2" --arg r "$3" '{decision_number: $d, uscc: $u,
        result: $r, penalty_name: "行政处罚", facts: "违反章程开展活动",
        legal_basis: "《社会团体登记管理条例》第三十条", authority: "广州市南沙区民政局",
        decided_on: "2026-06-03"}' | jq -c "${4:-.}"
}
{
    pen 导测民罚〔2026〕1号 "$A" warning                                          # 1
    pen 导测民罚〔2026〕2号 "$B" fine '.fine_amount = "60000.00"'                 # 2
    pen 导测民罚〔2026〕3号 "$E" revoke_registration                              # 3
    pen 导测民罚〔2026〕4号 "$D" fine                                             # 4
    pen 导测民罚〔2026〕5号 "$D" warning '.fine_amount = 100 | .facts = null'     # 5
    pen 导测民罚〔2026〕6号 "$GONE" warning                                       # 6
    pen 导测民罚〔2026〕7号 "$C" stop_activities '.stop_months = 6'               # 7
    pen 导测民罚〔2026〕8号 "$ELSEWHERE" warning                                  # 8
    pen 导测民罚〔2026〕9号 "$D" stop_activities                                  # 9
    pen 导测民罚〔2026〕10号 "$C" stop_activities '.stop_months = 0'              # 10
} > "$R/11-penalties.jsonl"

# Case filings as CSV: one without its division (the authority code's), a
# closed one, one closed without a date, a date with a stage that is not
# closed, an authority code with a wrong check character, a name that is not
# the register's
{
    echo 'uscc,authority_code,filed_on,stage,closed_on,authority_division,authority,name'
    echo "$A,$AUTH,2026-09-01,investigating,,,广州市南沙区民政局,"                  # 2
    echo "$B,$AUTH,2025-02-10,closed,2025-05-20,440115,广州市南沙区民政局,"        # 3
    echo "$C,$AUTH,2025-03-01,closed,,440115,广州市南沙区民政局,"                  # 4
    echo "$D,$AUTH,2025-04-01,filed,2025-05-01,440115,广州市南沙区民政局,"         # 5
    echo "$D,$AUTHBAD,2025-04-02,filed,,440115,广州市南沙区民政局,"              # 6
    echo "$C,$AUTH,2025-06-01,filed,,440115,,别的名字协会"                         # 7
} > "$R/12-case-filings.csv"

# Fundraising penalties: an organization named by the catalog's id_number, a
# person, a person with a wrong identity check character, a person stopped
# (an organization's result), a person with an organization's code, a
# person's name too long (flagged, its value never shown)
PERSON=$(resid 440113 19850406 057)
BADID=${PERSON%?}$([ "${PERSON: -1}" = 0 ] && echo 1 || echo 0)
fund() {
    jq -cn --arg d "$1" --arg t "$2" '{decision_number: $d, party_type: $t,
        penalty_name: "罚款", facts: "不具有公开募捐资格擅自开展公开募捐",
        legal_basis: "《中华人民共和国慈善法》", authority: "广州市南沙区民政局",
        decided_on: "2026-05-19"}' | jq -c "$3"
}
person='.party_name = "郑导入" | .id_type = "resident_id" | .contact = "13822334455"'
{
    fund 导测募罚〔2026〕1号 organization ".id_number = \"$D\" | .result = \"warning\"
        | .party_name = \"广州市南沙区信用导入测试协会丁\""                          # 1
    fund 导测募罚〔2026〕2号 person "$person | .id_number = \"$PERSON\"
        | .result = \"fine\" | .fine_amount = \"5000.00\""                          # 2
    fund 导测募罚〔2026〕3号 person "$person | .id_number = \"$BADID\"
        | .result = \"warning\""                                                    # 3
    fund 导测募罚〔2026〕4号 person "$person | .id_number = \"$PERSON\"
        | .result = \"stop_activities\" | .stop_months = 3"                         # 4
    fund 导测募罚〔2026〕5号 person "$person | .id_number = \"$PERSON\"
        | .result = \"warning\" | .party_uscc = \"$A\""                             # 5
    fund 导测募罚〔2026〕6号 person "$person | .id_number = \"$PERSON\"
        | .result = \"warning\" | .party_name = \"郑导入$(printf '伟%.0s' $(seq 98))\""  # 6
} > "$R/13-fundraising-penalties.jsonl"

# joined TEXT...: the texts, each followed by ';' (as the lists below are made)
joined() { printf '%s;' "$@"; }
credit_seq() { sql "SELECT last FROM credit.outbox_seq"; }
registry_seq() { sql "SELECT last FROM registry.outbox_seq"; }
out=$($NPOCTL import --province 44 "$R" 2>"$TMP/err")
check_eq "a return with refusals exits 1" "$?" 1
echo "$out" > "$TMP/first.json"
counts() { jq -c ".sections[\"$1\"] | [.created, .updated, .unchanged, .refused, .flagged]" \
               <<< "$out"; }
check_eq "section 01: the five organizations created" "$(counts 1)" '[5,0,0,0,0]'
check_eq "section 11: created, refused, flagged" "$(counts 11)" '[5,0,0,5,1]'
check_eq "section 12: created, refused, flagged" "$(counts 12)" '[5,0,0,1,3]'
check_eq "section 13: created, refused, flagged" "$(counts 13)" '[4,0,0,2,2]'
refused() { jq -r ".refused[] | select(.section == $1) | \"\(.line) \(.rule) \(.field // \"\")\"" \
                <<< "$out" | sort -n | tr '\n' ';'; }
check_eq "section 11 refusals: a fine without its amount, organizations not in the
register (one with another province's code), a stop without its months or of 0 months" \
    "$(refused 11)" \
    "$(joined "4 missing_required fine_amount" "6 unknown_org_reference " \
              "8 unknown_org_reference " \
              "9 missing_required stop_months" "10 invalid_format stop_months")"
check_eq "section 12: a closed case without its date" "$(refused 12)" \
    "4 missing_required closed_on;"
check_eq "section 13: a wrong identity check character, a person stopped" "$(refused 13)" \
    "3 invalid_id_check id_number;4 unknown_enum result;"
flags() { jq -r ".findings[] | select(.section == $1 and .outcome == \"flagged\")
                 | .rule as \$r | .examples[] | \"\(.line) \(\$r) \(.field // \"\")\"" \
              <<< "$out" | sort -n | tr '\n' ';'; }
check_eq "section 11 flags: an amount with a warning, the facts missing" "$(flags 11)" \
    "5 inconsistent_fields fine_amount;5 missing_required facts;"
check_eq "section 12 flags: a closing date on an open case, a wrong check character, a name
that is not the register's (the credit service's finding)" "$(flags 12)" \
    "$(joined "5 inconsistent_fields closed_on" "6 invalid_uscc_check authority_code" \
              "7 missing_required authority" "7 org_field_mismatch name")"
check_eq "section 13 flags: an organization's code on a person's record, a name too long" \
    "$(flags 13)" "5 inconsistent_fields party_uscc;6 invalid_format party_name;"

# Stored by the credit service's own code: the rules fired
check_eq "the penalties stored, the fundraising one of kind fundraising" \
    "$(sql "SELECT decision_number || ' ' || kind || ' ' || result || ' '
            || coalesce (fine_amount::text, '-') || ' ' || coalesce (stop_months::text, '-')
            || ' ' || (facts = '') || ';' FROM credit.penalties
            WHERE decision_number LIKE '导测%' ORDER BY decision_number COLLATE \"C\"" \
       | tr -d '\n')" \
    "$(joined "导测募罚〔2026〕1号 fundraising warning - - false" \
              "导测民罚〔2026〕1号 administrative warning - - false" \
              "导测民罚〔2026〕2号 administrative fine 60000.00 - false" \
              "导测民罚〔2026〕3号 administrative revoke_registration - - false" \
              "导测民罚〔2026〕5号 administrative warning - - true" \
              "导测民罚〔2026〕7号 administrative stop_activities - 6 false")"
listings() {
    sql "SELECT string_agg (l.list || ' ' || l.ground, ',' ORDER BY l.list, l.ground)
         FROM credit.listings l WHERE l.uscc = '$1' AND l.removed_on IS NULL"
}
check_eq "a warning lists on the abnormal list (ground 5)" "$(listings "$A")" "abnormal 5"
check_eq "a fine of ¥60,000 on the serious list (ground 4)" "$(listings "$B")" "serious 4"
check_eq "a stop of activities on the serious list (ground 3)" "$(listings "$C")" "serious 3"
check_eq "two small penalties within 3 years, one of them fundraising: serious ground 5" \
    "$(listings "$D")" "abnormal 5,abnormal 5,serious 5"
check_eq "a revocation on the serious list (ground 7)" "$(listings "$E")" "serious 7"
check "and the registry revokes the registration" wait_until 10 \
    "[ \"\$(sql \"SELECT status FROM registry.organizations WHERE uscc = '$E'\")\" = revoked ]"
credit_of() { http_get "/v1/orgs/$1" | jq -c ".credit | $2"; }
check "the public record of A says abnormal, with its case open" wait_until 10 \
    "[ \"\$(credit_of $A '[.abnormal, .serious, .penalties, .open_cases]')\" = '[true,false,1,1]' ]"
check "A is on the public abnormal list of its county" wait_until 10 \
    "http_get '/v1/lists/abnormal?division=440115' | grep -q '\"uscc\":\"$A\"'"
check "B on the serious list, its closed case not open" wait_until 10 \
    "[ \"\$(credit_of $B '[.serious, .open_cases]')\" = '[true,0]' ]"
check "the public record of E is revoked" wait_until 10 \
    "[ \"\$(http_get /v1/orgs/$E | jq -r .status)\" = revoked ]"
check_eq "the cases: numbered by their key, the division from the authority's code" \
    "$(sql "SELECT case_number || ' ' || stage || ' ' || authority_division || ' '
            || coalesce (closed_on::text, '-') || ' ' || name || ';'
            FROM credit.cases WHERE uscc IN ('$A', '$B') ORDER BY case_number" | tr -d '\n')" \
    "$(joined "$AUTH-20250210-$B closed 440115 2025-05-20 广州市南沙区信用导入测试协会乙" \
              "$AUTH-20260901-$A investigating 440115 - 广州市南沙区信用导入测试协会甲")"
check_eq "a wrong check character in the authority's code: kept (it is the key)" \
    "$(sql "SELECT count(*) FROM credit.cases WHERE case_number = '$AUTHBAD-20250402-$D'")" 1
check_eq "the person's penalty kept apart" \
    "$(sql "SELECT string_agg (decision_number || ' ' || result, ';'
                                ORDER BY decision_number COLLATE \"C\")
            FROM credit.person_penalties WHERE decision_number LIKE '导测%'")" \
    "导测募罚〔2026〕2号 fine;导测募罚〔2026〕5号 warning;导测募罚〔2026〕6号 warning"

# Findings kept by the credit service
kept() {
    sql "SELECT section || ' ' || rule || ' ' || field || ' ' || outcome || ';'
         FROM credit.findings WHERE province = '44' AND path LIKE '$R/%'
         AND fixed_on IS NULL ORDER BY section, rule, field" | tr -d '\n'
}
check_eq "the findings kept with the records (refused ones too)" "$(kept)" "$(joined \
    "11 inconsistent_fields fine_amount flagged" "11 invalid_format stop_months refused" \
    "11 missing_required facts flagged" "11 missing_required fine_amount refused" \
    "11 missing_required stop_months refused" "11 unknown_org_reference  refused" \
    "11 unknown_org_reference  refused" \
    "12 inconsistent_fields closed_on flagged" "12 invalid_uscc_check authority_code flagged" \
    "12 missing_required authority flagged" "12 missing_required closed_on refused" \
    "12 org_field_mismatch name flagged" "13 inconsistent_fields party_uscc flagged" \
    "13 invalid_format party_name flagged" "13 invalid_id_check id_number refused" \
    "13 unknown_enum result refused")"
check_eq "each named by a keyed ref" \
    "$(sql "SELECT count(*) FROM credit.findings WHERE path LIKE '$R/%'
            AND record_ref !~ '^r1:[0-9a-f]{32}\$'")" 0
check_eq "a person's record by its decision number, under no organization" \
    "$(sql "SELECT uscc || '|' || detail || ';' FROM credit.findings
            WHERE section = 13 AND path LIKE '$R/%' ORDER BY rule" | tr -d '\n')" \
    "$(joined "|decision_number 导测募罚〔2026〕5号" "|decision_number 导测募罚〔2026〕6号" \
              "|decision_number 导测募罚〔2026〕3号" "|decision_number 导测募罚〔2026〕4号")"
personal="$PERSON|$BADID|郑导入|13822334455"
check_nomatch "no personal value in the report" "$out" "$personal"
check_eq "nor in the findings kept" \
    "$(sql "SELECT count(*) FROM credit.findings WHERE concat_ws (' ', record_ref, detail,
            value, path) ~ '$personal'")" 0
check_eq "nor in an event of the credit service" \
    "$(sql "SELECT count(*) FROM credit.outbox WHERE encode (envelope, 'escape') ~ '$PERSON'
            OR position (convert_to ('郑导入', 'UTF8') IN envelope) > 0")" 0
check_match "the credit service logged the person's penalty" \
    "$(cat "$NPO_VAR/log/credit.log")" 'fundraising penalty [0-9]+ on a person'
check_nomatch "without the person" "$(cat "$NPO_VAR/log/credit.log")" "$personal"
report=$($NPOCTL quality report --province 44 2>/dev/null)
check_eq "npoctl quality report lists the credit service's findings" \
    "$(jq '[.findings[] | select(.section >= 11 and .section <= 15)] | length' <<< "$report")" \
    "$(sql "SELECT count(*) FROM credit.findings WHERE province = '44' AND fixed_on IS NULL")"
check_nomatch "without a personal value" "$report" "$personal"

# The same return again: nothing written, no event, no finding added
snapshot() {
    sql "SELECT (SELECT count(*) FROM credit.penalties) || '/'
         || (SELECT count(*) FROM credit.person_penalties) || '/'
         || (SELECT count(*) || ':' || coalesce (max (updated_at)::text, '') FROM credit.cases)
         || '/' || (SELECT count(*) FROM credit.listings)"
}
before=$(snapshot)
cseq=$(credit_seq)
rseq=$(registry_seq)
findings=$(sql "SELECT count(*) FROM credit.findings")
out=$($NPOCTL import --province 44 "$R" 2>/dev/null)
for n in 11 12 13; do
    check_eq "imported twice: section $n unchanged" \
        "$(jq -c ".sections[\"$n\"] | [.created, .updated, .unchanged == .stored]" <<< "$out")" \
        '[0,0,true]'
done
check_eq "imported twice: section 01 unchanged (E stays revoked, flagged)" \
    "$(jq -c '.sections["1"] | [.created, .updated, .unchanged]' <<< "$out")" '[0,0,5]'
check_eq "nothing written" "$(snapshot)" "$before"
check_eq "no event of the credit service" "$(credit_seq)" "$cseq"
check_eq "nor of the registry" "$(registry_seq)" "$rseq"
check_eq "no finding added" "$(sql "SELECT count(*) FROM credit.findings")" "$findings"

# Changes: a case moves forward, a penalty is never changed
U=$TMP/update
mkdir -p "$U"
{
    echo 'uscc,authority_code,filed_on,stage,closed_on,authority_division,authority'
    echo "$A,$AUTH,2026-09-01,closed,2026-10-15,440115,广州市南沙区民政局"
} > "$U/12-case-filings.csv"
out=$($NPOCTL import --province 44 "$U" 2>/dev/null)
check_eq "a case closed: updated" "$(counts 12)" '[0,1,0,0,0]'
check_eq "with credit.case_updated" \
    "$(sql "SELECT topic FROM credit.outbox ORDER BY seq DESC LIMIT 1")" credit.case_updated
check "and the public record counts no open case" wait_until 10 \
    "[ \"\$(http_get /v1/orgs/$A | jq -c .credit.open_cases)\" = 0 ]"
cseq=$(credit_seq)
{
    echo 'uscc,authority_code,filed_on,stage,closed_on,authority_division,authority'
    echo "$A,$AUTH,2026-09-01,investigating,,440115,广州市南沙区民政局"
    echo "$D,$AUTH,2025-04-01,investigating,,440115,广州市南沙区民政局"
} > "$U/12-case-filings.csv"
pen 导测民罚〔2026〕1号 "$A" warning '.facts = "另一事实" | .authority = "广州市民政局"' \
    > "$U/11-penalties.jsonl"
out=$($NPOCTL import --province 44 "$U" 2>/dev/null)
check_eq "a closed case reopened, and a filed one moved on: one updated, one not applied" \
    "$(counts 12)" '[0,1,1,0,0]'
check_eq "a recorded penalty with other facts: not applied" "$(counts 11)" '[0,0,1,0,0]'
nu() { jq -r ".findings[] | select(.rule == \"not_updatable\" and .section == $1)
              | .outcome as \$o | .examples[] | \"\(.line) \(.field) \(\$o)\"" <<< "$out" \
           | sort | tr '\n' ';'; }
check_eq "the closed case stays closed (not_updatable, not stored)" "$(nu 12)" \
    "2 closed_on not_stored;2 stage not_stored;"
check_eq "the penalty's facts and authority are not changed" "$(nu 11)" \
    "1 authority not_stored;1 facts not_stored;"
check_eq "the case, still closed" \
    "$(sql "SELECT stage || ' ' || closed_on FROM credit.cases
            WHERE case_number = '$AUTH-20260901-$A'")" "closed 2026-10-15"
check_eq "the penalty as recorded" \
    "$(sql "SELECT facts FROM credit.penalties WHERE decision_number = '导测民罚〔2026〕1号'")" \
    违反章程开展活动
check_eq "one event: the case moved on" \
    "$(sql "SELECT string_agg (topic, ',') FROM credit.outbox WHERE seq > $cseq")" \
    credit.case_updated
cseq=$(credit_seq)
{
    echo 'uscc,authority_code,filed_on,stage,closed_on,authority_division,authority'
    echo "$D,$AUTH,2025-04-01,filed,,440115,广州市南沙区民政局"
} > "$U/12-case-filings.csv"
{
    pen 导测民罚〔2026〕1号 "$B" warning                                          # 1
    pen 导测民罚〔2026〕2号 "$B" warning                                          # 2
} > "$U/11-penalties.jsonl"
out=$($NPOCTL import --province 44 "$U" 2>/dev/null)
check_eq "a stage moves forward only" "$(nu 12)" "2 stage not_stored;"
check_eq "a decision number with another organization, or another result: refused" \
    "$(jq -r '.refused[] | "\(.line) \(.rule)"' <<< "$out" | sort | tr '\n' ';')" \
    "1 store_conflict;2 store_conflict;"
check_eq "as decision_number_taken" \
    "$(sql "SELECT string_agg (DISTINCT detail, ',') FROM credit.findings WHERE section = 11
            AND rule = 'store_conflict' AND fixed_on IS NULL AND path = '$U/11-penalties.jsonl'")" \
    decision_number_taken
check_eq "nothing emitted" "$(credit_seq)" "$cseq"
# The person's penalty: another person under its number, or other facts
{
    fund 导测募罚〔2026〕2号 person "$person | .id_number = \"$(resid 440113 19850406 065)\"
        | .result = \"fine\" | .fine_amount = \"5000.00\""
    fund 导测募罚〔2026〕5号 person "$person | .id_number = \"$PERSON\" | .result = \"warning\"
        | .contact = \"13900000000\""
} > "$U/13-fundraising-penalties.jsonl"
rm -f "$U/11-penalties.jsonl" "$U/12-case-filings.csv"
out=$($NPOCTL import --province 44 "$U" 2>/dev/null)
check_eq "a person's decision number with another person: refused" \
    "$(jq -r '.refused[] | "\(.line) \(.rule)"' <<< "$out")" "1 store_conflict"
check_eq "other contact details: not applied" "$(nu 13)" "2 contact not_stored;"
check_eq "both named by their decision numbers only" \
    "$(sql "SELECT rule || ' ' || field || ' ' || detail || ';' FROM credit.findings
            WHERE section = 13 AND fixed_on IS NULL
            AND path = '$U/13-fundraising-penalties.jsonl' ORDER BY rule" | tr -d '\n')" \
    "$(joined "not_updatable contact decision_number 导测募罚〔2026〕5号; a recorded penalty is
 not changed by an import" "store_conflict  decision_number 导测募罚〔2026〕2号; decision_number_taken" \
       | tr -d '\n')"
check_nomatch "no personal value in the report" "$out" "$personal|13900000000"
check_eq "the person's contact as recorded" \
    "$(sql "SELECT contact FROM credit.person_penalties
            WHERE decision_number = '导测募罚〔2026〕5号'")" 13822334455

# Sections 14 and 15: a listing on a ground listed by hand stored as the
# authority's decision, one the rules derive compared with the service's own
L=$TMP/lists
mkdir -p "$L"
# lst USCC LISTED_ON [JQ FILTER]: a section 14 or 15 record
lst() {
    jq -cn --arg u "$1" --arg d "$2" '{uscc: $u, listed_on: $d, listed_reason: "列入理由"}' \
        | jq -c "${3:-.}"
}
{
    lst "$A" 2026-08-12 '.ground = 6 | .listed_reason = "通过登记的住所无法联系"
        | .registration_authority = "广州市南沙区民政局"'                           # 1
    lst "$A" 2026-06-03 '.ground = 5'                                             # 2
    lst "$B" 2026-06-03 '.ground = 5'                                             # 3
    lst "$B" 2026-07-01                                                           # 4
    lst "$C" 2026-07-02 '.ground = 3 | .removed_reason = "无" | .name = "别的名字协会"' # 5
} > "$L/14-abnormal-list.jsonl"
{
    lst "$C" 2026-02-26 '.ground = 6 | .listed_reason = "被人民法院依法列入失信被执行人名单"'
    lst "$B" 2026-06-03 '.ground = 4'                                             # 2
    lst "$A" 2026-03-01 '.ground = 2 | .removed_on = "2026-02-01"
        | .removed_reason = "已纠正"'                                             # 3
} > "$L/15-serious-list.jsonl"
cseq=$(credit_seq)
out=$($NPOCTL import --province 44 "$L" 2>/dev/null)
lcounts() { jq -c ".sections[\"$1\"] | [.created, .updated, .unchanged, .derived, .flagged]" \
                <<< "$out"; }
check_eq "section 14: three listings by hand created, two derived ones compared" \
    "$(lcounts 14)" '[3,0,0,2,2]'
check_eq "section 15: two created, one compared" "$(lcounts 15)" '[2,0,0,1,1]'
check_eq "a warning's listing derived for A, none for B" \
    "$(jq -r '.findings[] | select(.rule == "listing_not_derived") | .outcome as $o
              | .examples[] | "\(.line) \(.field) \($o)"' <<< "$out")" "3 ground not_stored"
check_eq "the listings by hand, on their facts import:<listed_on>" \
    "$(sql "SELECT list || ' ' || ground || ' ' || fact_key || ' '
            || array_to_string (facts, ',') || ' ' || coalesce (removal, '-') || ';'
            FROM credit.listings WHERE fact_key LIKE 'import:%' AND uscc IN ('$A', '$B', '$C')
            ORDER BY list, ground" | tr -d '\n')" \
    "$(joined "abnormal 3 import:2026-07-02 import:2026-07-02 -" \
              "abnormal 6 import:2026-08-12 import:2026-08-12 -" \
              "abnormal 7 import:2026-07-01 import:2026-07-01 -" \
              "serious 2 import:2026-03-01 import:2026-03-01 application" \
              "serious 6 import:2026-02-26 import:2026-02-26 -")"
check_eq "each with its event (a removal too), none for a derived ground" \
    "$(sql "SELECT topic || ';' FROM credit.outbox WHERE seq > $cseq ORDER BY seq" | tr -d '\n')" \
    "$(joined credit.abnormal_listed credit.abnormal_listed credit.abnormal_listed \
              credit.serious_listed credit.serious_listed credit.serious_removed)"
check "A's public record lists both its abnormal grounds" wait_until 10 \
    "[ \"\$(credit_of $A '[.listings[].ground] | sort')\" = '[5,6]' ]"
lflags() {
    sql "SELECT section || ' ' || rule || ' ' || field || ' ' || outcome || ';'
         FROM credit.findings WHERE path LIKE '$L/%' AND fixed_on IS NULL
         ORDER BY section, rule, field" | tr -d '\n'
}
check_eq "the findings kept: no ground (stored as 7), a removal reason without a removal, a
name that is not the register's, a removal before the listing, a ground not derived" \
    "$(lflags)" "$(joined "14 inconsistent_fields removed_reason flagged" \
    "14 listing_not_derived ground not_stored" "14 missing_required ground flagged" \
    "14 org_field_mismatch name flagged" "15 date_order removed_on flagged")"
cseq=$(credit_seq)
findings=$(sql "SELECT count(*) FROM credit.findings")
out=$($NPOCTL import --province 44 "$L" 2>/dev/null)
check_eq "the lists imported twice: unchanged, derived again" \
    "$(lcounts 14)$(lcounts 15)" '[0,0,3,2,2][0,0,2,1,1]'
check_eq "no event" "$(credit_seq)" "$cseq"
check_eq "no finding added" "$(sql "SELECT count(*) FROM credit.findings")" "$findings"
rm -f "$L/15-serious-list.jsonl"
lst "$A" 2026-08-12 '.ground = 6 | .listed_reason = "通过登记的住所无法联系"
    | .removed_on = "2026-10-20" | .removed_reason = "已恢复联系并报告住所情况"' \
    > "$L/14-abnormal-list.jsonl"
out=$($NPOCTL import --province 44 "$L" 2>/dev/null)
check_eq "a removal returned: updated" "$(lcounts 14)" '[0,1,0,0,0]'
check_eq "the listing removed on application, with its event" \
    "$(sql "SELECT removed_on || ' ' || removal || ' ' || (SELECT topic FROM credit.outbox
            ORDER BY seq DESC LIMIT 1) FROM credit.listings WHERE uscc = '$A'
            AND fact_key = 'import:2026-08-12'")" "2026-10-20 application credit.abnormal_removed"
cseq=$(credit_seq)
lst "$A" 2026-08-12 '.ground = 4 | .listed_reason = "通过登记的住所无法联系"
    | .removed_on = "2026-10-21" | .removed_reason = "已恢复联系并报告住所情况"' \
    > "$L/14-abnormal-list.jsonl"
out=$($NPOCTL import --province 44 "$L" 2>/dev/null)
check_eq "another ground: not applied" "$(nu 14)" "1 ground not_stored;"
lst "$A" 2026-08-12 '.ground = 6 | .listed_reason = "通过登记的住所无法联系"
    | .removed_on = "2026-10-21" | .removed_reason = "已恢复联系并报告住所情况"' \
    > "$L/14-abnormal-list.jsonl"
out=$($NPOCTL import --province 44 "$L" 2>/dev/null)
check_eq "another removal date: not applied" "$(nu 14)" "1 removed_on not_stored;"
check_eq "nothing emitted" "$(credit_seq)" "$cseq"

# docs/import.md's examples of sections 11-15 pass every check of npoctl
X=$TMP/examples
mkdir -p "$X"
jq -c . > "$X/11-penalties.jsonl" <<'EOF'
{"decision_number": "深南民罚〔2025〕7号", "uscc": "52440305MJL193401Y",
 "name": "深圳市南山区长者服务中心", "penalty_name": "警告",
 "facts": "超出章程规定的业务范围开展收费培训活动",
 "legal_basis": "《民办非企业单位登记管理暂行条例》第二十五条",
 "result": "warning", "authority": "深圳市南山区民政局", "decided_on": "2025-06-03"}
{"decision_number": "粤民罚〔2025〕21号", "uscc": "53440000506031162B",
 "penalty_name": "罚款", "facts": "将限定用途的捐赠财产用于投资",
 "legal_basis": "《中华人民共和国慈善法》", "result": "fine",
 "fine_amount": "60000.00", "authority": "广东省民政厅", "decided_on": "2025-09-10"}
EOF
jq -c . > "$X/12-case-filings.jsonl" <<'EOF'
{"uscc": "51440106MJL060123X", "authority_code": "11440106MB2C90354U",
 "filed_on": "2026-09-01", "stage": "investigating", "authority": "广州市天河区民政局",
 "authority_division": "440106"}
{"uscc": "51440104MJL177487H", "authority_code": "11440104MB2C332100",
 "filed_on": "2025-02-10", "stage": "closed", "closed_on": "2025-05-20",
 "authority": "广州市越秀区民政局", "authority_division": "440104"}
EOF
jq -c . > "$X/13-fundraising-penalties.jsonl" <<'EOF'
{"decision_number": "粤民罚〔2026〕5号", "party_type": "organization",
 "party_uscc": "53440000506031162B", "party_name": "广东省环境保护基金会",
 "penalty_name": "警告", "facts": "公开募捐活动结束后未按规定公开募得款物情况",
 "legal_basis": "《中华人民共和国慈善法》", "result": "warning",
 "authority": "广东省民政厅", "decided_on": "2026-04-08"}
{"decision_number": "穗番民罚〔2026〕2号", "party_type": "person",
 "party_name": "郑伟", "id_type": "resident_id", "id_number": "440113198504060572",
 "contact": "13822334455", "penalty_name": "罚款",
 "facts": "不具有公开募捐资格擅自在公共场所开展公开募捐",
 "legal_basis": "《中华人民共和国慈善法》", "result": "fine", "fine_amount": "5000.00",
 "authority": "广州市番禺区民政局", "decided_on": "2026-05-19"}
EOF
jq -c . > "$X/14-abnormal-list.jsonl" <<'EOF'
{"uscc": "51440106MJL060123X", "listed_on": "2025-08-12", "ground": 6,
 "name": "广州市天河区青少年科技教育协会", "registration_authority": "广州市天河区民政局",
 "listed_reason": "通过登记的住所无法联系", "removed_on": "2025-10-20",
 "removed_reason": "已恢复联系并报告住所情况"}
{"uscc": "52440305MJL193401Y", "listed_on": "2025-06-03", "ground": 5,
 "listed_reason": "受到警告的行政处罚（深南民罚〔2025〕7号）",
 "removed_on": "2025-12-03", "removed_reason": "列入满6个月自动移出"}
EOF
jq -c . > "$X/15-serious-list.jsonl" <<'EOF'
{"uscc": "51440104MJL177487H", "listed_on": "2026-02-26", "ground": 6,
 "registration_authority": "广州市越秀区民政局",
 "listed_reason": "被人民法院依法列入失信被执行人名单"}
{"uscc": "53440000506031162B", "listed_on": "2025-09-10", "ground": 4,
 "listed_reason": "受到5万元以上罚款的行政处罚（粤民罚〔2025〕21号）"}
EOF
out=$($NPOCTL import --province 44 --dry-run "$X" 2>/dev/null)
check_eq "the documented examples: no finding, nothing refused" \
    "$(jq -c '[.findings, .refused, ([.sections[].records] | add)]' <<< "$out")" '[[],[],10]'
finish
