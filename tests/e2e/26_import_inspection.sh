#!/bin/bash
# npoctl import of sections 08 (audits) and 10 (evaluations) into the
# inspection service: the docs' examples checked; then stored: created, the
# oldest due audit of its category completed (not by an audit dated before it
# fell due), unchanged the second time (no row, no event), updated; each
# refusal (unknown organization, another province's, a key npoctl refuses);
# each finding of the service (copied fields against the register, a category
# for a type that has none, computed valid_to and state, a valid grade of an
# organization not active, an ineligible grade) kept in its findings table
# under a keyed ref; an older grade never supersedes a newer one, an expired
# one is not in force, and publication shows the grade in force and the
# history with each grade's state; the accountant in no finding, report,
# event or public record.
. "$(dirname "$0")/../lib.sh"
ASOF=2026-11-22T03:00:00Z
FRESH=2026-11-22T10:00:00+08:00            # 1 hour before ASOF
TODAY=$(TZ=Asia/Shanghai date +%F)
mk() { echo "$1" | awk -f "$ROOT/tests/lib/uscc_make.awk"; }
A=$(mk 51440106MH500001)      # social group, active: audits, grades
B=$(mk 52440106MH500002)      # social service, registered 2025: not eligible yet
C=$(mk 51440106MH500003)      # deregistered
D=$(mk 51440106MH500004)      # a code of 44, registered by province 45's authority
E=$(mk 51440106MH500005)      # never registered
F=$(mk 51440106MH500006)      # an old grade, expired
H=$(mk 51440106MH500007)      # A's grades, in date order
AUTH44=11440106MB2C90354U
AUTH45=$(echo 11450102MB2C0010 | awk -f "$ROOT/tests/lib/uscc_make.awk")

# --- the examples of docs/import.md section 4 pass npoctl's checks
X=$TMP/examples
rm -rf "$X" && mkdir -p "$X"
# (wrapped as the docs show them; jq -c makes each a line)
jq -c . > "$X/08-audits.jsonl" <<'EOF'
{"uscc": "53440000506031162B", "reason_category": "annual",
 "occurred_on": "2026-04-18", "firm": "广东华信会计师事务所（特殊普通合伙）",
 "accountant": "邓立群", "content": "2025年度财务收支审计", "result": "标准无保留意见"}
{"uscc": "51440106MJL060123X", "reason_category": "leaving_office",
 "occurred_on": "2021-07-30", "firm": "广州正信会计师事务所有限公司",
 "content": "原法定代表人离任经济责任审计", "result": "未发现重大问题"}
EOF
jq -c . > "$X/10-evaluations.jsonl" <<'EOF'
{"uscc": "53440000506031162B", "valid_from": "2023-12-20", "grade": "4A",
 "evaluator": "广东省社会组织评估委员会", "is_charity": true,
 "valid_to": "2028-12-19", "state": "valid"}
{"uscc": "51440106MJL060123X", "valid_from": "2024-11-15", "grade": "3A",
 "evaluator": "广州市社会组织评估委员会", "social_group_category": "academic"}
EOF
out=$($NPOCTL import --province 44 --dry-run --as-of $ASOF "$X" 2>/dev/null)
check_eq "the examples are read without a finding or a refusal" \
    "$(jq -c '[.findings, .refused, .refused_files, .sections["8"].stored,
               .sections["10"].stored]' <<< "$out")" '[[],[],[],2,2]'

# --- the register: section 01 of provinces 44 and 45
# org USCC NAME TYPE DIVISION AUTHORITY APPROVED STATUS: a section 01 record
org() {
    jq -cn --arg u "$1" --arg n "$2" --arg t "$3" --arg d "$4" --arg a "$5" --arg on "$6" \
           --arg st "$7" --arg s "$FRESH" '{
        uscc: $u, name: $n, type: $t, registration_authority_code: $a,
        registration_authority: "广州市天河区民政局", business_unit: "广州市天河区教育局",
        decoupled: false, party_work_body: "中共广州市天河区社会组织委员会", industry: "教育",
        legal_representative: "周永年", authority_division: $d, address_division: $d,
        address: "广州市天河区天河路1号", postal_code: "510620", contact_name: "何小青",
        contact_phone: "020-38620000", business_scope: "检测业务交流",
        approved_on: $on, status: $st, source_updated_at: $s}'
}
R=$TMP/register
rm -rf "$R" && mkdir -p "$R/44" "$R/45"
{
    org "$A" 广州市天河区检测甲学会 social_group 440106 $AUTH44 2010-03-01 active
    org "$B" 广州市天河区检测乙服务中心 social_service 440106 $AUTH44 2025-06-01 active
    org "$C" 广州市天河区检测丙学会 social_group 440106 $AUTH44 2012-03-01 deregistered
    org "$F" 广州市天河区检测己学会 social_group 440106 $AUTH44 2010-03-01 active
    org "$H" 广州市天河区检测庚学会 social_group 440106 $AUTH44 2010-03-01 active
} > "$R/44/01-organizations.jsonl"
org "$D" 南宁市兴宁区检测丁学会 social_group 450102 "$AUTH45" 2015-03-01 active \
    > "$R/45/01-organizations.jsonl"
$NPOCTL import --province 44 --as-of $ASOF "$R/44" > "$TMP/r44" 2>/dev/null
check_eq "province 44's organizations are registered" \
    "$(jq -c '.sections["1"] | [.created, .updated, .unchanged, .refused]' < "$TMP/r44")" \
    '[5,0,0,0]'
NPO_ACTOR=registrar:45:nn $NPOCTL import --province 45 --as-of $ASOF "$R/45" \
    > "$TMP/r45" 2>/dev/null
check_eq "and province 45's" "$(jq -c '.sections["1"].created' < "$TMP/r45")" 1
# A change of legal representative makes a leaving-office audit due
$NPOCTL change --uscc "$A" --set legal_representative=郑新 --approve > /dev/null
check "a leaving-office audit falls due" wait_until 20 \
    '[ "$(sql "SELECT count(*) FROM inspection.org_audits WHERE uscc = '"'$A'"'
                AND status = '"'due'"'")" = 1 ]'

# --- the return
S=$TMP/return
rm -rf "$S" && mkdir -p "$S"
# audit USCC CATEGORY DATE [JQ FILTER]: a section 08 record
audit() {
    jq -cn --arg u "$1" --arg c "$2" --arg on "$3" --arg s "$FRESH" '{
        uscc: $u, reason_category: $c, occurred_on: $on, firm: "广州检测会计师事务所",
        accountant: "邓立群", content: "财务收支审计", result: "标准无保留意见",
        source_updated_at: $s}' | jq -c "${4:-.}"
}
{
    audit "$A" annual 2026-04-18                                             # 1
    audit "$A" leaving_office 2021-07-30 'del(.accountant)'                  # 2
    audit "$A" leaving_office "$TODAY" '.accountant = "冼会计"'              # 3
    audit "$A" special 2025-01-01 'del(.firm)'                               # 4
    audit "$A" other 2025-02-02 '.name = "广州市天河区别的名字学会"'         # 5
    audit "$E" annual 2026-04-18                                             # 6
    audit "$D" annual 2026-04-18                                             # 7
    audit "$A" 年度审计 2026-04-18                                           # 8
    audit "$A" annual 2026-04-19 '.name = "广州市天河区检测甲学会"'          # 9
} > "$S/08-audits.jsonl"
# grade USCC FROM GRADE [JQ FILTER]: a section 10 record
grade() {
    jq -cn --arg u "$1" --arg f "$2" --arg g "$3" --arg s "$FRESH" '{
        uscc: $u, valid_from: $f, grade: $g, evaluator: "广州市社会组织评估委员会",
        source_updated_at: $s}' | jq -c "${4:-.}"
}
{
    grade "$A" 2024-11-15 4A '.social_group_category = "academic" | .state = "valid"
                              | .valid_to = "2029-11-14"'                    # 1
    grade "$A" 2016-05-10 3A '.state = "valid"'                              # 2
    grade "$A" 2022-01-01 2A '.valid_to = "2027-01-01"'                      # 3
    grade "$B" 2026-01-10 3A '.social_group_category = "academic"
                              | .type = "social_group"'                      # 4
    grade "$C" 2024-03-01 2A                                                 # 5
    grade "$C" 2020-01-01 1A '.valid_to = "2019-01-01"'                      # 6
    grade "$F" 2015-03-01 3A '.is_charity = true'                            # 7
    grade "$E" 2024-03-01 2A                                                 # 8
    grade "$D" 2024-03-01 2A                                                 # 9
    grade "$A" 2023-03-01 6A                                                 # 10
} > "$S/10-evaluations.jsonl"
# A CSV part of section 10: a boolean and a copy equal to the register's
printf 'uscc,valid_from,grade,evaluator,is_charity,name\n%s,2016-01-01,2A,评估委员会,true,%s\n' \
    "$F" 广州市天河区检测己学会 > "$S/10-evaluations.2.csv"

events() { sql "SELECT last FROM inspection.outbox_seq"; }
seq0=$(events)
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2> "$TMP/err")
check_eq "a return with refusals exits 1" "$?" 1
echo "$out" > "$TMP/report1"
counts() { jq -c --arg s "$1" '.sections[$s] | [.created, .updated, .unchanged, .refused]'; }
check_eq "audits: created, refused" "$(counts 8 <<< "$out")" '[6,0,0,3]'
check_eq "grades: created, refused" "$(counts 10 <<< "$out")" '[8,0,0,3]'
# refused SECTION: "line rule" of each refused record, by line
refused() {
    jq -r --argjson s "$1" '[.refused[] | select(.section == $s) | "\(.line) \(.rule)"]
                            | sort_by(split(" ")[0] | tonumber) | join(", ")' <<< "$out"
}
check_eq "audits refused: unknown organization, another province's, a key not a code" \
    "$(refused 8)" "6 unknown_org_reference, 7 out_of_province, 8 unknown_enum"
check_eq "grades refused: the same, and a grade not a grade" \
    "$(refused 10)" "8 unknown_org_reference, 9 out_of_province, 10 unknown_enum"
# found SECTION RULE: "line field" of each example of the rule
found() {
    jq -r --argjson s "$1" --arg r "$2" '[.findings[] | select(.section == $s and .rule == $r)
        | .examples[] | "\(.line) \(.field // "")"] | sort | join(", ")' <<< "$out"
}
check_eq "an audit without its firm is stored, flagged" \
    "$(found 8 missing_required)" "4 firm"
check_eq "an audit's organization name against the register" \
    "$(found 8 org_field_mismatch)" "5 name"
check_eq "a category for a social service, a type not the register's" \
    "$(found 10 inconsistent_fields) / $(found 10 org_field_mismatch)" \
    "4 social_group_category / 4 type"
check_eq "valid_to and state computed and compared" \
    "$(found 10 derived_value_mismatch)" "2 state, 3 valid_to"
check_eq "and what the service computed" \
    "$(jq -r '[.findings[] | select(.rule == "derived_value_mismatch") | .examples[].detail]
              | sort | join(", ")' <<< "$out")" "computed: 2026-12-31, computed: expired"
check_eq "a valid_to before valid_from: out of order, not compared again" \
    "$(found 10 date_order)" "6 valid_to"
check_eq "a valid grade of a deregistered organization" \
    "$(found 10 inconsistent_status)" "5 "
check_eq "a grade the service would have refused is stored, flagged with its ground" \
    "$(jq -r '.findings[] | select(.rule == "evaluation_not_eligible") | .examples[]
              | "\(.line) \(.detail)"' <<< "$out")" \
    "4 registered_under_two_years: not eligible: registered on 2025-06-01, less than 2 years$(
    ) before the evaluation"

# --- what the service holds
check_eq "the due audit completed by the one dated after it fell due, not before" \
    "$(sql "SELECT string_agg (reason_category || ' ' || status || ' ' || occurred_on
                               || ' ' || coalesce (accountant, '-'), ', ' ORDER BY occurred_on)
            FROM inspection.org_audits WHERE uscc = '$A' AND reason_category = 'leaving_office'")" \
    "leaving_office done 2021-07-30 -, leaving_office done $TODAY 冼会计"
check_eq "and the due one is that one" \
    "$(sql "SELECT due_since IS NOT NULL FROM inspection.org_audits WHERE uscc = '$A'
            AND occurred_on = '$TODAY'")" t
check_eq "an audit without a firm is kept without one" \
    "$(sql "SELECT firm IS NULL FROM inspection.org_audits WHERE uscc = '$A'
            AND reason_category = 'special'")" t
check_eq "the grades of A: the newest in force, older ones superseded or expired" \
    "$(sql "SELECT string_agg (valid_from || ' ' || grade || ' ' || valid_to || ' ' || state
                               || ' ' || coalesce (social_group_category, '-'), ', '
                               ORDER BY valid_from)
            FROM inspection.evaluations WHERE uscc = '$A'")" \
    "2016-05-10 3A 2021-05-09 expired -, 2022-01-01 2A 2026-12-31 superseded -, $(
    )2024-11-15 4A 2029-11-14 valid academic"
check_eq "a category of a social service is dropped" \
    "$(sql "SELECT coalesce (social_group_category, '-') || ' ' || state
            FROM inspection.evaluations WHERE uscc = '$B'")" "- valid"
check_eq "the latest grade past its valid_to: expired; one before it: superseded" \
    "$(sql "SELECT string_agg (valid_from || ' ' || state || ' ' || is_charity, ', '
                               ORDER BY valid_from) FROM inspection.evaluations
            WHERE uscc = '$F'")" "2015-03-01 superseded true, 2016-01-01 expired true"
check_eq "one event a record stored" "$(( $(events) - seq0 ))" 14
check_eq "audits' events, grades' events" \
    "$(sql "SELECT string_agg (topic || ' ' || n, ', ' ORDER BY topic) FROM (SELECT topic,
            count(*) n FROM inspection.outbox WHERE seq > $seq0 GROUP BY topic) t")" \
    "inspection.audit_recorded 6, inspection.evaluation_recorded 8"

# --- findings kept by the inspection service
kept() {
    sql "SELECT string_agg (section || ' ' || rule || ' ' || field, ', '
                            ORDER BY section, rule, field)
         FROM inspection.findings WHERE province = '44' AND fixed_on IS NULL
         AND uscc IN ('$A', '$B', '$C', '$D', '$E', '$F')"
}
# (a key npoctl refuses is in the report only; a record refused for another field
# is kept with its key: docs/import.md 6.3)
check_eq "findings kept with the records (refused ones too), one each" "$(kept)" \
    "$(printf '%s, ' '8 missing_required firm' '8 org_field_mismatch name' \
        '8 out_of_province ' '8 unknown_org_reference ' '10 date_order valid_to' \
        '10 derived_value_mismatch state' '10 derived_value_mismatch valid_to' \
        '10 evaluation_not_eligible ' '10 inconsistent_fields social_group_category' \
        '10 inconsistent_status ' '10 org_field_mismatch type' '10 out_of_province ' \
        '10 unknown_enum grade' '10 unknown_org_reference ' | sed 's/, $//')"
check_eq "named by a keyed ref" \
    "$(sql "SELECT count(*) FILTER (WHERE record_ref ~ '^r1:[0-9a-f]{32}$') || ' '
            || count(*) FROM inspection.findings WHERE section IN (8, 10)")" "14 14"
check_eq "with where they were read" \
    "$(sql "SELECT path || ':' || line FROM inspection.findings WHERE section = 8
            AND rule = 'missing_required'")" "$S/08-audits.jsonl:4"
check_eq "the registry keeps none of them" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE section IN (8, 10)")" 0
noaccountant() {
    for secret in 邓立群 冼会计; do
        check_eq "$1: no accountant ($secret)" "$2" \
            "$(printf '%s' "$2" | grep -v -- "$secret")"
    done
}
noaccountant "the report" "$out$(cat "$TMP/err")"
check_eq "no accountant in the findings kept" \
    "$(sql "SELECT count(*) FROM inspection.findings WHERE detail || value LIKE '%会计'")" 0
check_eq "nor in an event" \
    "$(sql "SELECT count(*) FROM inspection.outbox WHERE position (convert_to ('邓立群', 'UTF8')
            IN envelope) > 0 OR position (convert_to ('冼会计', 'UTF8') IN envelope) > 0")" 0

# --- publication: the grade in force and the history
in_force() { http_get "/v1/orgs/$1" | jq -c '.evaluation'; }
want='{"grade":"4A","valid_from":"2024-11-15","valid_to":"2029-11-14"}'
check "the grade in force is public" wait_until 20 '[ "$(in_force $A)" = "$want" ]'
check_eq "the history: every grade with its state" \
    "$(http_get "/v1/orgs/$A/evaluations" | jq -r '[.[] | "\(.valid_from) \(.grade) \(.state)"]
                                                   | join(", ")')" \
    "2024-11-15 4A valid, 2022-01-01 2A superseded, 2016-05-10 3A expired"
check_eq "an expired latest grade is not in force" \
    "$(http_get "/v1/orgs/$F" | jq -c '.evaluation')" null
check_eq "and its history says so" \
    "$(http_get "/v1/orgs/$F/evaluations" | jq -r '[.[] | .state] | join(" ")')" \
    "expired superseded"
check_nomatch "no accountant or audit in the public record" \
    "$(http_get "/v1/orgs/$A")$(sql "SELECT string_agg (doc, '') FROM publication.public_events
                                     WHERE uscc = '$A'")" '邓立群|冼会计|会计师事务所'

# --- the same return again: nothing written, nothing emitted
seq1=$(events)
rows=$(sql "SELECT count(*) FROM inspection.findings")
audits=$(sql "SELECT string_agg (id || ' ' || recorded_at::text, ',' ORDER BY id)
              FROM inspection.org_audits WHERE uscc = '$A'")
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_eq "imported again: unchanged" \
    "$(counts 8 <<< "$out") $(counts 10 <<< "$out")" "[0,0,6,3] [0,0,8,3]"
check_eq "no event" "$(events)" "$seq1"
check_eq "no finding added" "$(sql "SELECT count(*) FROM inspection.findings")" "$rows"
check_eq "no audit rewritten" \
    "$(sql "SELECT string_agg (id || ' ' || recorded_at::text, ',' ORDER BY id)
            FROM inspection.org_audits WHERE uscc = '$A'")" "$audits"
check_match "(A's audits: 6, each recorded once)" "$audits" '^([0-9]+ [-0-9: .+]+,){5}[0-9]+ '
check_eq "the findings still open" "$(kept | tr ',' '\n' | wc -l)" 14

# --- corrected and changed records: updated, created, findings closed
jq -c 'if .reason_category == "annual" and .occurred_on == "2026-04-18" and .uscc == "'$A'"
       then .firm = "广州另一会计师事务所" elif .reason_category == "special"
       then .firm = "广州检测会计师事务所" else . end' "$S/08-audits.jsonl" > "$TMP/08"
mv "$TMP/08" "$S/08-audits.jsonl"
{
    grep -v '"valid_from":"2024-11-15"' "$S/10-evaluations.jsonl"
    grade "$A" 2024-11-15 5A '.social_group_category = "academic"'
    grade "$A" 2026-03-01 4A
    grade "$A" 2020-01-01 1A                   # between 2016 (now ending after it) and 2022
    for on in 2016-05-10 2020-01-01 2022-01-01 2024-11-15 2026-03-01; do
        grade "$H" $on 3A
    done
} > "$TMP/10" && mv "$TMP/10" "$S/10-evaluations.jsonl"
seq2=$(events)
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_eq "audits: two updated" "$(counts 8 <<< "$out")" "[0,2,4,3]"
check_eq "grades: one updated, two created for A, five for H" \
    "$(counts 10 <<< "$out")" "[7,1,7,3]"
# (A's 2016 grade restated; H's 2016 and 2020 grades, each the latest and
# expired when it came, restated superseded by the next)
check_eq "an event each, and one a grade restated" "$(( $(events) - seq2 ))" 13
check_eq "the grade before one returned between two is restated: superseded, not expired" \
    "$(sql "SELECT state FROM inspection.evaluations WHERE uscc = '$A'
            AND valid_from = '2016-05-10'")" superseded
states() {
    sql "SELECT string_agg (valid_from || ' ' || state, ', ' ORDER BY valid_from)
         FROM inspection.evaluations WHERE uscc = '$1'"
}
check_eq "the states do not depend on the order the grades came in" "$(states $A)" \
    "$(states $H)"
check_eq "the firm added closes its finding" \
    "$(sql "SELECT fixed_on IS NOT NULL FROM inspection.findings WHERE section = 8
            AND rule = 'missing_required'")" t
check_eq "the newer grade supersedes the one in force" \
    "$(sql "SELECT string_agg (valid_from || ' ' || grade || ' ' || state, ', '
                               ORDER BY valid_from) FROM inspection.evaluations
            WHERE uscc = '$A' AND valid_from >= '2024-01-01'")" \
    "2024-11-15 5A superseded, 2026-03-01 4A valid"
grades_of() {
    http_get "/v1/orgs/$1/evaluations" | jq -r '[.[] | "\(.grade) \(.state)"] | join(",")'
}
check "publication follows" wait_until 20 \
    '[ "$(grades_of $A)" = "4A valid,5A superseded,2A superseded,1A superseded,3A superseded" ]'
check_eq "the public record shows the newer grade" \
    "$(http_get "/v1/orgs/$A" | jq -c '.evaluation')" \
    '{"grade":"4A","valid_from":"2026-03-01","valid_to":"2031-02-28"}'

# --- the writer: another province's registrar is refused
err=$(NPO_ACTOR=registrar:45:nn $NPOCTL import --province 44 --as-of $ASOF "$S" 2>&1)
check_match "another province's registrar may not import 44's return" "$err" 'out_of_division'
finish
