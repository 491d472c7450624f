#!/bin/bash
# npoctl import of sections 02 and 03 (officers, work history) into the
# registry, on hand-made records: a tenure makes its post and section 02
# describes the person in it; unchanged the second time; a changed tenure
# updated; the table's rules refuse one record alone (also on an update in a
# batch of others); a post without a start, a held post in an organization
# that is not active; findings named by a keyed hash; and kill -9 of npoctl
# and of the registry mid-import followed by the same import.
. "$(dirname "$0")/../lib.sh"
ASOF=2026-11-22T03:00:00Z
S=$TMP/s && mkdir -p "$S"
# Three organizations: A and B social groups, D deregistered
read -r A B D < <(printf '%s\n' 5144010 6MW000001 5144010 6MW000002 5144010 6MW000003 \
    | paste -d '' - - | awk -f "$ROOT/tests/lib/uscc_make.awk" | paste -sd ' ')
for u in "$A:甲" "$B:乙" "$D:丁"; do
    code=${u%:*} n=${u#*:}
    jq -cn --arg u "$code" --arg n "天河区回传任职${n}协会" --arg s \
        "$([ "$code" = "$D" ] && echo deregistered || echo active)" \
        '{uscc: $u, name: $n, type: "social_group", authority_division: "440106",
          approved_on: "2015-03-02", status: $s}'
done > "$S/01-organizations.jsonl"
check_eq "the organizations are stored" \
    "$($NPOCTL import --province 44 --as-of $ASOF "$S" | jq -c '.sections["1"].created')" 3
P1=$(resid 440106 19680315 031) P2=$(resid 440104 19751102 046)
P3=$(resid 440106 19800101 012) P4=$(resid 440106 19850505 021)
P5=$(resid 440106 19700707 035)
# post ORG ID POSITION START [END] [NAME]: a section 03 record
post() {
    jq -cn --arg o "$1" --arg i "$2" --arg p "$3" --arg s "$4" --arg e "${5:-}" \
           --arg n "${6:-任某}" '{org_uscc: $o, id_type: "resident_id", id_number: $i,
        position: $p, start_on: $s, name: $n, employer: "天河区少年宫"}
        + (if $e == "" then {} else {end_on: $e} end)'
}
{
    post "$A" "$P1" director 2019-05-20 2021-06-17          # 1 ended
    post "$A" "$P1" legal_representative 2021-06-18         # 2 held
    post "$B" "$P1" legal_representative 2022-01-01         # 3 a second social group
    post "$A" "$P3" director 2020-01-01                     # 4 held
    post "$A" "$P3" director 2022-01-01                     # 5 held twice
    post "$D" "$P2" director 2018-01-01                     # 6 held, not active
    post "$A" "$P5" supervisor 2016-01-01 2018-12-31        # 7
    post "$A" "$P5" supervisor 2019-01-01                   # 8
} > "$S/03-work-history.jsonl"
# officer ORG ID POSITION [JQ]: a section 02 record
officer() {
    jq -cn --arg o "$1" --arg i "$2" --arg p "$3" '{org_uscc: $o, id_type: "resident_id",
        id_number: $i, position: $p, name: "陈志强", gender: "male", ethnicity: "汉族",
        nationality: "中国", mobile: "13802561234", full_time: true}' | jq -c "${4:-.}"
}
{
    officer "$A" "$P1" legal_representative '.birth_date = "1968-03-15"'    # 1 takes post 2
    officer "$A" "$P4" other '.gender = "male"'                             # 2 no post, no start
    officer "$D" "$P2" director '.gender = "female" | .name = "林晓燕"'      # 3 held, not active
} > "$S/02-officers.jsonl"
rm "$S/01-organizations.jsonl"
seq0=$(sql "SELECT last FROM registry.outbox_seq")
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_eq "section 03: created, and the rules' refusals" \
    "$(jq -c '.sections["3"] | [.created, .refused]' <<< "$out")" '[6,2]'
check_eq "a second social group led, a post held twice: store_conflict on lines 3, 5" \
    "$(jq -c '[.refused[] | select(.section == 3) | [.line, .rule]]' <<< "$out")" \
    '[[3,"store_conflict"],[5,"store_conflict"]]'
check_eq "each with the rule's code, kept as the finding's detail" \
    "$(sql "SELECT string_agg (line || ' ' || detail, ', ' ORDER BY line)
            FROM registry.findings WHERE section = 3 AND rule = 'store_conflict'
            AND path = '$S/03-work-history.jsonl'")" \
    "3 already_legal_representative, 5 already_holds_post"
check_eq "section 02: two posts described, one made" \
    "$(jq -c '.sections["2"] | [.updated, .created, .flagged]' <<< "$out")" '[2,1,2]'
check_eq "the post made without a start: missing_related; one held in D: inconsistent_status" \
    "$(jq -c '[.findings[] | select(.section == 2) | [.rule, .count, .examples[0].line]]
              | sort' <<< "$out")" '[["inconsistent_status",1,3],["missing_related",1,2]]'
check_eq "a post held in an organization not active: inconsistent_status" \
    "$(jq -c '[.findings[] | select(.section == 3 and .rule == "inconsistent_status")
               | .examples[].line]' <<< "$out")" '[6]'
posts() {
    sql "SELECT org_uscc = '$A', position, coalesce (start_on::text, '-'),
                coalesce (end_on::text, '-'), coalesce (birth_date::text, '-'), name
         FROM registry.officer_posts WHERE org_uscc IN ('$A', '$B', '$D')
         ORDER BY id_number, position, start_on"
}
before=$(posts)
check_eq "the legal representative's post has the officer's birth date and name" \
    "$(grep '|legal_representative|2021-06-18|' <<< "$before")" \
    "t|legal_representative|2021-06-18|-|1968-03-15|陈志强"
check_eq "the officer without a post: one made without dates, birth date from the ID" \
    "$(sql "SELECT coalesce (start_on::text, '-') || ' ' || birth_date FROM
            registry.officer_posts WHERE id_number = '$P4'")" "- 1985-05-05"
check_eq "every post written emits officer_changed, without a person" \
    "$(sql "SELECT count(*) FROM registry.outbox WHERE seq > $seq0
            AND topic = 'registry.officer_changed'")" 9
check_eq "findings of these records are named by a keyed hash" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE section IN (2, 3)
            AND path LIKE '$S/%' AND record_ref ~ '^r1:[0-9a-f]{32}$'")" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE section IN (2, 3)
            AND path LIKE '$S/%'")"
check_nomatch "and hold no identity number" \
    "$(sql "SELECT string_agg (concat_ws (' ', record_ref, detail, value), ' ')
            FROM registry.findings")" "$P1|$P2|$P3|$P4"

# Twice: nothing changes
seq1=$(sql "SELECT last FROM registry.outbox_seq")
again=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_eq "imported twice: unchanged" \
    "$(jq -c '[.sections["2", "3"] | [.created, .updated, .unchanged]]' <<< "$again")" \
    '[[0,0,3],[0,0,6]]'
check_eq "imported twice: no row changed, no event" \
    "$(posts)|$(sql "SELECT last FROM registry.outbox_seq")" "$before|$seq1"

# Across records (at the end of every import): an active organization's
# held legal representative posts are exactly one, held by section 01's
# legal representative. A has none named in section 01: flagged, once
NOT01="the legal_representative post's holder is not section 01's legal_representative"
lr() {
    sql "SELECT coalesce (string_agg (detail || ' ' || (fixed_on IS NULL), ', ' ORDER BY id), '-')
         FROM registry.findings WHERE rule = 'legal_rep_mismatch' AND record_ref = '$1'"
}
check_eq "legal_rep_mismatch: A's post holder is not section 01's legal representative" \
    "$(lr "$A")" "$NOT01 true"
check_eq "not for B (no held post) nor D (not active)" "$(lr "$B") $(lr "$D")" "- -"
check_eq "the report counts the check" \
    "$(jq -c '[.cross_checks[] | [.service, .rule, .open > 0]]' <<< "$again")" \
    '[["registry","legal_rep_mismatch",true]]'
L=$TMP/l && mkdir -p "$L"
jq -cn --arg u "$A" '{uscc: $u, name: "天河区回传任职甲协会", type: "social_group",
    authority_division: "440106", approved_on: "2015-03-02", status: "active",
    legal_representative: "陈志强"}' > "$L/01-organizations.jsonl"
fixed=$($NPOCTL import --province 44 --as-of $ASOF "$L" 2>/dev/null)
check_eq "section 01 naming the holder closes it" "$(lr "$A")" \
    "$NOT01 false"
check_eq "and the report says one closed" \
    "$(jq '[.cross_checks[] | .closed] | add >= 1' <<< "$fixed")" true
post "$A" "$P3" legal_representative 2023-01-01 > "$L/03-work-history.jsonl"
rm "$L/01-organizations.jsonl"
$NPOCTL import --province 44 --as-of $ASOF "$L" > /dev/null 2>&1
check_eq "a second held legal representative post: flagged again, a new finding" \
    "$(lr "$A")" "$NOT01 false, 2 held legal_representative posts true"

# A changed tenure is updated; one whose change the rules refuse (ending no
# more while a later one is held) is refused alone, the rest of its batch kept
{
    post "$A" "$P1" director 2019-05-20 2021-06-30          # end moved
    post "$A" "$P5" supervisor 2016-01-01                   # held again: refused
    post "$A" "$P1" legal_representative 2021-06-18 "" 陈志强
} > "$S/03-work-history.jsonl"
rm "$S/02-officers.jsonl"
out=$($NPOCTL import --province 44 --as-of $ASOF "$S" 2>/dev/null)
check_eq "the changed tenure updated, the refused one alone refused" \
    "$(jq -c '.sections["3"] | [.updated, .unchanged, .refused]' <<< "$out")" '[1,1,1]'
check_eq "the refusal: store_conflict on line 2" \
    "$(jq -c '[.refused[] | [.line, .rule]]' <<< "$out")" '[[2,"store_conflict"]]'
check_eq "stored: the new end, the refused tenure as it was" \
    "$(sql "SELECT string_agg (coalesce (end_on::text, '-'), ' ' ORDER BY start_on)
            FROM registry.officer_posts WHERE org_uscc = '$A'
            AND id_number IN ('$P1', '$P5') AND position IN ('director', 'supervisor')")" \
    "2018-12-31 - 2021-06-30"

# kill -9 of npoctl, then of the registry, in the middle of a large section
# 03; the same import afterwards ends as one clean import
K=$TMP/k && mkdir -p "$K"
for i in $(seq 1 20000); do
    printf '{"org_uscc":"%s","id_type":"passport","id_number":"K%07d","position":"director",' \
        "$A" "$i"
    printf '"start_on":"2020-01-02","name":"测试%d"}\n' "$i"
done > "$K/03-work-history.jsonl"
count() {
    sql "SELECT count(*) FROM registry.officer_posts WHERE org_uscc = '$A'
         AND id_number LIKE 'K%'"
}
seq2=$(sql "SELECT last FROM registry.outbox_seq")
( exec $NPOCTL import --province 44 --as-of $ASOF "$K" > /dev/null 2>&1 ) &
pid=$!
wait_until 30 '[ "$(count)" -gt 0 ]'
kill -9 $pid
wait $pid 2>/dev/null
first=$(count)
( exec $NPOCTL --timeout 3000 import --province 44 --as-of $ASOF "$K" > /dev/null 2>&1 ) &
pid=$!
wait_until 30 "[ \"\$(count)\" -gt $first ]"
kill -9 "$(cat "$NPO_VAR/run/registry.pid")"
wait $pid
check_eq "npoctl says the registry did not answer (3)" "$?" 3
check "the registry restarts" service_restart registry
out=$($NPOCTL import --province 44 --as-of $ASOF "$K" 2>/dev/null)
check_eq "the same import completes it" \
    "$(jq -c '.sections["3"] | [.created + .unchanged, .refused, .unsent]' <<< "$out")" \
    '[20000,0,0]'
check_eq "every post once, one event each" \
    "$(count) $(sql "SELECT count(*) FROM registry.outbox WHERE seq > $seq2
                     AND topic = 'registry.officer_changed' AND org_uscc = '$A'")" \
    "20000 20000"
finish
