#!/bin/bash
# npoctl import of sections 05 (party organizations) and 06 (party members)
# into the party service: created, unchanged the second time (no row, event
# or finding written), updated; a member moved within the province (the old
# row kept as history), refused on another province's register
# (member_elsewhere) and without a party organization (no_party_org); the
# rules across fields (inconsistent_fields, missing_required, date_order,
# derived_value_mismatch of the age); findings kept by the party service
# under a keyed hash; no person in a finding, the report, an event, the
# audit trail or anything public.
. "$(dirname "$0")/../lib.sh"
ASOF=2026-11-22T03:00:00Z
FRESH=2026-11-22T10:00:00+08:00            # 1 hour before ASOF
code() { echo "$1" | awk -f "$ROOT/tests/lib/uscc_make.awk"; }
A=$(code 51440106YQ240001)                  # a branch, members
B=$(code 51440106YQ240002)                  # a joint branch: a member moves here
C=$(code 51440106YQ240003)                  # no party organization
D=$(code 51440106YQ240004)                  # deregistered
E=$(code 51440106YQ240005)                  # not in the register
G=$(code 51440106YQ240007)                  # an election before the founding
H=$(code 51440106YQ240008)                  # not in the register either
F=$(code 51110101YQ240006)                  # province 11's
# org USCC NAME DIVISION [STATUS]: a section 01 record
org() {
    jq -cn --arg u "$1" --arg n "$2" --arg d "$3" --arg s "${4:-active}" --arg t "$FRESH" \
        '{uscc: $u, name: $n, type: "social_group", authority_division: $d,
          approved_on: "2019-05-20", status: $s, source_updated_at: $t}'
}
R=$TMP/return
rm -rf "$R" "$TMP/p11" && mkdir -p "$R" "$TMP/p11"
{
    org "$A" 广州市天河区党建测试甲协会 440106
    org "$B" 广州市天河区党建测试乙协会 440106
    org "$C" 广州市天河区党建测试丙协会 440106
    org "$D" 广州市天河区党建测试丁协会 440106 deregistered
    org "$G" 广州市天河区党建测试戊协会 440106
} > "$R/01-organizations.jsonl"
# porg USCC NAME TYPE [JQ FILTER]: a section 05 record
porg() {
    jq -cn --arg u "$1" --arg n "$2" --arg y "$3" --arg t "$FRESH" \
        '{uscc: $u, party_org_name: $n, party_org_type: $y, founded_on: "2020-07-01",
          parent_party_org: "中共广州市天河区社会组织委员会", last_election_on: "2023-07-05",
          secretary_name: "书记陈党建", secretary_position_in_org: "会长", member_count: 5,
          contact_name: "联络吴党建", contact_phone: "13660099887", source_updated_at: $t}' \
    | jq -c "${4:-.}"
}
{
    porg "$A" 中共甲协会支部委员会 branch                                          # 1
    porg "$B" 中共乙协会联合支部委员会 joint_branch \
        '{uscc, party_org_name, party_org_type, founded_on, parent_party_org,
          secretary_name, member_count: 3}'                                      # 2
    porg "$D" 中共丁协会支部委员会 branch                                          # 3
    porg "$E" 中共某协会支部委员会 branch                                          # 4
    porg "$G" 中共戊协会支部委员会 branch '.last_election_on = "2019-01-01"'       # 5
    porg "$C" 中共丙协会支部委员会 cell                                            # 6
    porg "$H" 中共某协会支部委员会 branch '.member_count = "five"'                # 7
} > "$R/05-party-organizations.jsonl"
# Persons: resident IDs (the birth date inside), one passport
P1=$(resid 440106 19900117 751); P2=$(resid 440106 19950830 762)
P3=$(resid 440106 19881203 773); P4=$(resid 440106 19851201 783)
P5=$(resid 440106 19790405 796); P6=$(resid 440106 19820610 716)
P7=$(resid 110101 19800303 727); P9=$(resid 440106 19920229 748)
P8=${P1:0:17}$([ "${P1:17}" = 1 ] && echo 2 || echo 1)         # a wrong check character
PP=E24680135
# member USCC ID NAME BIRTH GENDER [JQ FILTER]: a full member, every field
member() {
    jq -cn --arg u "$1" --arg i "$2" --arg n "$3" --arg b "$4" --arg g "$5" --arg t "$FRESH" \
        '{uscc: $u, id_type: "resident_id", id_number: $i, name: $n, gender: $g,
          birth_date: $b, ethnicity: "汉族", education: "大学本科",
          home_address: "广州市天河区石牌东路88号", mobile: "13760001234",
          is_party_lead: false, is_party_contact: true, joined_branch_on: "2020-07-01",
          party_position: "组织委员", org_position: "秘书长", joined_party_on: "2013-06-20",
          full_member_on: "2014-06-20", membership_status: "full", source_updated_at: $t}' \
    | jq -c "${6:-.}"
}
{
    member "$A" "$P1" 党员吴甲 1990-01-17 male '.age = 36'                          # 1
    member "$A" "$P2" 党员何乙 1995-08-30 female \
        '.membership_status = "probationary" | .joined_party_on = "2026-06-28"
         | .full_member_on = "2026-07-01"'                                           # 2
    member "$A" "$P3" 党员林丙 1988-12-03 male \
        '.lost_contact_on = "2025-01-10" | .outflow_destination = "深圳市"'       # 3
    member "$A" "$P4" 党员黄丁 1985-12-01 male '.age = 41'                         # 4
    member "$A" "$P5" 党员周戊 1979-04-05 female 'del(.full_member_on)'           # 5
    member "$C" "$P6" 党员郑己 1982-06-10 female                                   # 6
    member "$A" "$P7" 党员赵庚 1980-03-03 male                                     # 7
    member "$A" "$P8" 党员钱辛 1990-01-17 male                                     # 8
    member "$A" "$P9" 党员孙壬 1992-03-01 male                                     # 9
    member "$B" "$PP" 'Jane Roe' 1987-09-09 female \
        '.id_type = "passport" | .age = 39 | .full_member_on = "2013-01-01"'      # 10
} > "$R/06-party-members.jsonl"
SECRETS=("$P1" "$P2" "$P3" "$P4" "$P5" "$P6" "$P7" "$P8" "$P9" "$PP" 党员吴甲 党员何乙 党员林丙
         党员黄丁 党员周戊 党员郑己 党员赵庚 党员孙壬 'Jane Roe' 13760001234 石牌东路
         书记陈党建 联络吴党建 13660099887 1990-01-17 19900117 19851201)

# -- Province 11: an organization whose party organization has P7 on its
# register (CSV, member_count as digits)
org "$F" 北京市东城区党建测试协会 110101 > "$TMP/p11/01-organizations.jsonl"
{
    echo 'uscc,party_org_name,party_org_type,founded_on,member_count,source_updated_at'
    echo "$F,中共北京测试协会支部委员会,branch,2021-05-12,1,$FRESH"
} > "$TMP/p11/05-party-organizations.csv"
member "$F" "$P7" 党员赵庚 1980-03-03 male > "$TMP/p11/06-party-members.jsonl"
out=$($NPOCTL import --province 11 --as-of $ASOF "$TMP/p11" 2>/dev/null)
check_eq "province 11: the party organization (CSV) and its member created" \
    "$(jq -c '[.sections["5"].created, .sections["6"].created]' <<< "$out")" '[1,1]'

# -- A dry run first: npoctl's own findings on sections 05 and 06
rep=$($NPOCTL import --province 44 --dry-run --as-of $ASOF "$R" 2>/dev/null)
lines() {
    jq -r --argjson s "$1" --arg r "$2" \
        '[.findings[] | select(.section == $s and .rule == $r) | .examples[]
          | "\(.line):\(.field // "")"] | sort | join(" ")' <<< "$rep"
}
check_eq "05: an election before the founding: date_order" "$(lines 5 date_order)" \
    "5:last_election_on"
check_eq "05: a type not in the list: refused" "$(lines 5 unknown_enum)" "6:party_org_type"
check_eq "05: member_count not an integer: refused" "$(lines 5 invalid_format)" \
    "7:member_count"
check_eq "06: full_member_on on a probationary member, lost_contact_on without lost_contact,
outflow_destination without mobile_member: dropped" \
    "$(lines 6 inconsistent_fields)" \
    "2:full_member_on 3:lost_contact_on 3:outflow_destination 9:gender"
check_eq "06: the age against the birth date (not yet 41 on 2026-11-22)" \
    "$(lines 6 derived_value_mismatch)" "4:age"
check_eq "06: a full member without full_member_on" "$(lines 6 missing_required)" \
    "5:full_member_on"
check_eq "06: a birth date that is not the ID's" "$(lines 6 birth_date_mismatch)" \
    "9:birth_date"
check_eq "06: a wrong check character refuses" "$(lines 6 invalid_id_check)" "8:id_number"
check_eq "06: a passport holder's full_member_on before joining: date_order" \
    "$(lines 6 date_order)" "10:full_member_on"
check_eq "dry-run counts of 06" "$(jq -c '.sections["6"]' <<< "$rep")" \
    '{"records":10,"stored":9,"refused":1,"not_stored":0,"flagged":6}'
check_eq "no value shown of section 06" \
    "$(jq '[.findings[] | select(.section == 6) | .examples[] | select(has("value"))]
           | length' <<< "$rep")" 0

# -- Stored
pevents() { sql "SELECT last FROM party.outbox_seq"; }
porgs() { sql "SELECT uscc || ' ' || party_org_type || ' ' || member_count || ' ' || status
               FROM party.party_orgs WHERE uscc IN ('$A', '$B', '$C', '$D', '$E', '$G')
               ORDER BY uscc"; }
members() { sql "SELECT m.uscc || ' ' || m.status || ' ' || md5(m.doc::text)
                 FROM party.members m WHERE m.uscc IN ('$A', '$B', '$C') ORDER BY m.id"; }
seq0=$(pevents)
out=$($NPOCTL import --province 44 --as-of $ASOF "$R" 2> "$TMP/summary")
check_eq "stored: exit 1 (records refused)" "$?" 1
check_eq "05: created, refused" \
    "$(jq -c '.sections["5"] | [.created, .updated, .unchanged, .refused, .flagged]' <<< "$out")" \
    '[4,0,0,3,2]'
check_eq "06: created, refused" \
    "$(jq -c '.sections["6"] | [.created, .updated, .unchanged, .refused]' <<< "$out")" \
    '[7,0,0,3]'
check_eq "the refusals, with their rules" \
    "$(jq -r '.refused[] | select(.section >= 5) | "\(.section):\(.line):\(.rule)"' <<< "$out" \
       | LC_ALL=C sort | paste -sd ' ')" \
    "$(echo 5:4:unknown_org_reference 5:6:unknown_enum 5:7:invalid_format \
            6:6:store_conflict 6:7:store_conflict 6:8:invalid_id_check)"
check_eq "store_conflict says the party service's code" \
    "$(jq -r '[.findings[] | select(.rule == "store_conflict") | .examples[]
               | "\(.line):\(.detail)"] | sort | join(" ")' <<< "$out")" \
    "6:no_party_org 7:member_elsewhere"
check_eq "a party organization of an organization no longer active: flagged" \
    "$(jq -r '.findings[] | select(.rule == "inconsistent_status") | .examples[]
              | "\(.line) \(.uscc)"' <<< "$out")" "3 $D"
check_eq "the party organizations" "$(porgs)" \
    "$A branch 5 active
$B joint_branch 3 active
$D branch 5 active
$G branch 5 active"
check_eq "seven members on the registers" \
    "$(sql "SELECT count(*) FROM party.members WHERE uscc IN ('$A', '$B') AND status = 'in'")" 7
check_eq "P7 stays on province 11's register" \
    "$(sql "SELECT uscc || ' ' || status FROM party.members WHERE id_number = '$P7'")" "$F in"
check_eq "dropped fields are not stored" \
    "$(sql "SELECT doc ->> 'full_member_on' || '|' || (SELECT doc ->> 'lost_contact_on'
            FROM party.members WHERE id_number = '$P3') || '|' || (SELECT doc ->> 'gender'
            FROM party.members WHERE id_number = '$P9') FROM party.members
            WHERE id_number = '$P2'")" "||"
check_eq "events: four party organizations established, members_changed for A and B" \
    "$(sql "SELECT topic || ' ' || count(*) FROM party.outbox WHERE seq > $seq0
            GROUP BY topic ORDER BY topic" | tr '\n' ' ')" \
    "party.members_changed 7 party.org_established 4 "
check_eq "one party.members_changed of A for each of its six members admitted" \
    "$(sql "SELECT count(*) FROM party.outbox WHERE seq > $seq0 AND org_uscc = '$A'
            AND topic = 'party.members_changed'")" 6
check "the public record says A has a party organization" wait_until 10 \
    '[[ "$(http_get /v1/orgs/$A)" == *"\"party_organization\":true"* ]]'
check_match "and C has none" "$(http_get "/v1/orgs/$C")" '"party_organization":false'

# -- Findings kept by the party service
kept() {
    sql "SELECT section || ':' || line || ':' || rule || ':' || field || ':' || outcome
         FROM party.findings WHERE province = '44' AND fixed_on IS NULL
         AND path LIKE '$R/%' ORDER BY section, line, rule, field" | paste -sd ' '
}
check_eq "the findings kept (not the records refused for their key)" "$(kept)" \
    "$(echo 5:3:inconsistent_status::flagged 5:4:unknown_org_reference::refused \
            5:5:date_order:last_election_on:flagged 5:6:unknown_enum:party_org_type:refused \
            5:7:invalid_format:member_count:refused \
            6:2:inconsistent_fields:full_member_on:flagged \
            6:3:inconsistent_fields:lost_contact_on:flagged \
            6:3:inconsistent_fields:outflow_destination:flagged \
            6:4:derived_value_mismatch:age:flagged 6:5:missing_required:full_member_on:flagged \
            6:6:store_conflict::refused 6:7:store_conflict::refused \
            6:9:birth_date_mismatch:birth_date:flagged 6:9:inconsistent_fields:gender:flagged \
            6:10:date_order:full_member_on:flagged)"
check_eq "each named by a keyed hash r1:, with its organization's code" \
    "$(sql "SELECT count(*) FROM party.findings WHERE section IN (5, 6)
            AND (record_ref !~ '^r1:[0-9a-f]{32}$' OR uscc !~ '^5[0-9A-Z]{17}$')")" 0
check_eq "the register's findings table holds none of them" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE section IN (5, 6)")" 0
check_eq "npoctl quality report lists them with the registry's (ListFindings of each service)" \
    "$($NPOCTL quality report --province 44 2>/dev/null \
       | jq '[.findings[] | select(.section == 5 or .section == 6)] | length')" \
    "$(sql "SELECT count(*) FROM party.findings WHERE province = '44' AND fixed_on IS NULL")"
check_eq "a person's two findings share their record's ref" \
    "$(sql "SELECT count(DISTINCT record_ref) FROM party.findings WHERE section = 6
            AND line = 3 AND path LIKE '$R/%'")" 1

# -- Nothing personal anywhere
for secret in "${SECRETS[@]}"; do
    hits=$(sql "SELECT (SELECT count(*) FROM party.findings WHERE concat_ws(' ', record_ref,
                detail, value, path, uscc) LIKE '%$secret%')
              + (SELECT count(*) FROM party.outbox WHERE position(convert_to('$secret', 'UTF8')
                 IN envelope) > 0)
              + (SELECT count(*) FROM party.audit WHERE target || error_code LIKE '%$secret%')
              + (SELECT count(*) FROM publication.public_events WHERE doc LIKE '%$secret%')")
    check_eq "no person in findings, events, the audit trail, public events: $secret" "$hits" 0
    check_nomatch "nor in the report or summary: $secret" "$out$(cat "$TMP/summary")" "$secret"
done
check_eq "the import is audited under the province, never a person" \
    "$(sql "SELECT DISTINCT target FROM party.audit WHERE command = 'import_records'
            AND target LIKE 'import:%' ORDER BY 1" | tr '\n' ' ')" "import:11 import:44 "

# -- The same return again: nothing written
before_orgs=$(porgs) before_members=$(members) seq1=$(pevents) open1=$(kept)
findings1=$(sql "SELECT count(*) FROM party.findings")
out=$($NPOCTL import --province 44 --as-of $ASOF "$R" 2>/dev/null)
for n in 5 6; do
    check_eq "imported twice: section $n unchanged" \
        "$(jq -c ".sections[\"$n\"] | [.created, .updated, .unchanged == .stored]" <<< "$out")" \
        '[0,0,true]'
done
check_eq "no party organization or member changed" "$(porgs)$(members)" \
    "$before_orgs$before_members"
check_eq "no event" "$(pevents)" "$seq1"
check_eq "no finding added" "$(sql "SELECT count(*) FROM party.findings")" "$findings1"
check_eq "the same findings open" "$(kept)" "$open1"

# -- Changes: a party organization updated, a member updated, a member moved
# within the province, a finding fixed
U=$TMP/update
rm -rf "$U" && mkdir -p "$U"
porg "$A" 中共甲协会支部委员会 branch '.member_count = 4' > "$U/05-party-organizations.jsonl"
{
    member "$A" "$P2" 党员何乙 1995-08-30 female \
        '.membership_status = "probationary" | .joined_party_on = "2026-06-28"
         | del(.full_member_on) | .mobile = "13760009999"'                       # 1
    member "$B" "$P1" 党员吴甲 1990-01-17 male '.joined_branch_on = "2026-03-01"'  # 2
    member "$A" "$P4" 党员黄丁 1985-12-01 male '.age = 40'                         # 3
} > "$U/06-party-members.jsonl"
seq2=$(pevents)
out=$($NPOCTL import --province 44 --as-of $ASOF "$U" 2>/dev/null)
check_eq "updated: exit 0" "$?" 0
check_eq "05 updated" "$(jq -c '.sections["5"] | [.created, .updated]' <<< "$out")" '[0,1]'
check_eq "06: one updated, one moved (updated), one unchanged" \
    "$(jq -c '.sections["6"] | [.created, .updated, .unchanged]' <<< "$out")" '[0,2,1]'
check_eq "party.org_updated, and the counts of A and B" \
    "$(sql "SELECT topic || ' ' || org_uscc FROM party.outbox WHERE seq > $seq2 ORDER BY seq" \
       | LC_ALL=C sort | tr '\n' ' ')" \
    "party.members_changed $A party.members_changed $B party.org_updated $A "
check_eq "the move: off A's register, kept as history, to B's party organization" \
    "$(sql "SELECT uscc || ' ' || status || ' ' || coalesce(transferred_out_to, '-') || ' '
            || coalesce(transferred_out_on::text, '-') FROM party.members
            WHERE id_number = '$P1' ORDER BY id")" \
    "$A transferred_out 中共乙协会联合支部委员会 2026-03-01
$B in - -"
check_eq "the member updated in place" \
    "$(sql "SELECT count(*) || ' ' || max(doc ->> 'mobile') FROM party.members
            WHERE id_number = '$P2'")" "1 13760009999"
check_eq "the corrected age closes its finding, the others stay open" \
    "$(sql "SELECT rule || ' ' || (fixed_on IS NOT NULL)::text FROM party.findings
            WHERE section = 6 AND path LIKE '$TMP/%' AND rule IN ('derived_value_mismatch',
            'inconsistent_fields') AND uscc = '$A' ORDER BY rule, line" | paste -sd ' ')" \
    "$(echo derived_value_mismatch true inconsistent_fields true \
            inconsistent_fields false inconsistent_fields false inconsistent_fields false)"
out=$($NPOCTL import --province 44 --as-of $ASOF "$U" 2>/dev/null)
check_eq "the changes again: unchanged" \
    "$(jq -c '[.sections["5"].unchanged, .sections["6"].unchanged]' <<< "$out")" '[1,3]'

# -- Another province's registrar may not import province 44's return
out=$(NPO_ACTOR=registrar:11:bj $NPOCTL import --province 44 --as-of $ASOF "$U" 2>&1)
check_match "another province's registrar: refused" "$out" 'out_of_division|forbidden'

# -- The examples of docs/import.md section 4 (05 and 06)
X=$TMP/examples
rm -rf "$X" && mkdir -p "$X"
{
    org 51440106MJL060123X 广州市天河区青少年科技教育协会 440106
    jq -cn '{uscc: "52440305MJL193401Y", name: "深圳市南山区长者服务中心",
             type: "social_service", authority_division: "440305",
             approved_on: "2018-03-01", status: "active"}'
} > "$X/01-organizations.jsonl"
# (as printed there, wrapped; one line each in the file)
jq -c . > "$X/05-party-organizations.jsonl" <<'EOF'
{"uscc": "51440106MJL060123X",
 "party_org_name": "中共广州市天河区青少年科技教育协会支部委员会",
 "party_org_type": "branch", "founded_on": "2020-07-01",
 "parent_party_org": "中共广州市天河区社会组织委员会", "last_election_on": "2023-07-05",
 "secretary_name": "陈志强", "secretary_position_in_org": "会长", "member_count": 5,
 "contact_name": "吴俊杰", "contact_phone": "13660012345"}
{"uscc": "52440305MJL193401Y",
 "party_org_name": "中共深圳市南山区长者服务联合支部委员会",
 "party_org_type": "joint_branch", "founded_on": "2021-05-12",
 "parent_party_org": "中共深圳市南山区社会组织委员会", "secretary_name": "周婷",
 "member_count": 3}
EOF
jq -c . > "$X/06-party-members.jsonl" <<'EOF'
{"uscc": "51440106MJL060123X", "id_type": "resident_id",
 "id_number": "440106199001170252", "name": "吴俊杰", "gender": "male",
 "birth_date": "1990-01-17", "ethnicity": "汉族", "education": "大学本科",
 "home_address": "广州市天河区石牌东路88号", "mobile": "13660012345",
 "is_party_lead": false, "is_party_contact": true, "joined_branch_on": "2020-07-01",
 "party_position": "组织委员", "org_position": "秘书长",
 "joined_party_on": "2013-06-20", "full_member_on": "2014-06-20",
 "membership_status": "full"}
{"uscc": "51440106MJL060123X", "id_type": "resident_id",
 "id_number": "440303199508300644", "name": "何丽", "gender": "female",
 "ethnicity": "汉族", "education": "硕士研究生", "mobile": "13510098765",
 "joined_branch_on": "2026-06-28", "joined_party_on": "2026-06-28",
 "membership_status": "probationary"}
EOF
out=$($NPOCTL import --province 44 --as-of $ASOF "$X" 2>/dev/null)
check_eq "the examples: both party organizations and both members stored, no finding" \
    "$(jq -c '[.sections["5"].stored, .sections["5"].refused, .sections["5"].flagged,
               .sections["6"].stored, .sections["6"].refused, .sections["6"].flagged,
               .sections["5"].unsent + .sections["6"].unsent]' <<< "$out")" '[2,0,0,2,0,0,0]'
check_eq "the two example members on the register" \
    "$(sql "SELECT count(*) FROM party.members WHERE uscc = '51440106MJL060123X'
            AND status = 'in' AND id_number IN ('440106199001170252', '440303199508300644')")" 2
finish
