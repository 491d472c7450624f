#!/bin/bash
# A generated return (npoctl gen) through npoctl import: the injected errors
# yield exactly the findings gen lists, a clean set none; stored in the
# registry, the findings kept are section 01's, and importing twice changes
# nothing.
. "$(dirname "$0")/../lib.sh"
ASOF=2026-01-01T00:00:00Z
# key FILE: each finding as "section file line rule field outcome", sorted
key() {
    jq -r '"\(.section) \(.path | sub(".*/"; "")) \(.line) \(.rule) \(.field // "") \(.outcome)"' \
        "$1" | sort
}
for seed in 7 11; do
    D=$TMP/gen-$seed
    rm -rf "$D"
    $NPOCTL gen --orgs 400 --seed $seed --error-rate 0.1 --out "$D" > /dev/null
    $NPOCTL import --province 44 --dry-run --as-of $ASOF --findings "$TMP/found-$seed" \
        "$D" > "$TMP/report-$seed" 2>/dev/null
    key "$D/expected-findings.jsonl" > "$TMP/want"
    key "$TMP/found-$seed" > "$TMP/got"
    check_eq "seed $seed: exactly the injected findings ($(wc -l < "$TMP/want") of them)" \
        "$(diff "$TMP/want" "$TMP/got" | head -n 5)" ""
    check_eq "seed $seed: the report counts them all" \
        "$(jq '[.findings[].count] | add' "$TMP/report-$seed")" "$(wc -l < "$TMP/want")"
    check_eq "seed $seed: every refused record listed" \
        "$(jq '.refused | length' "$TMP/report-$seed")" \
        "$(jq -s '[.[] | select(.outcome == "refused")] | length' "$D/expected-findings.jsonl")"
done
C=$TMP/clean
rm -rf "$C"
$NPOCTL gen --orgs 400 --seed 7 --out "$C" > /dev/null
$NPOCTL import --province 44 --dry-run --as-of $ASOF --findings "$TMP/found-clean" "$C" \
    > "$TMP/report-clean" 2>/dev/null
check_eq "a clean set: exit 0" "$?" 0
check_eq "a clean set: no finding" "$(wc -l < "$TMP/found-clean")" 0
check_eq "a clean set: every record checked" \
    "$(jq '[.sections[].records] | add' "$TMP/report-clean")" \
    "$(cat "$C"/0*.jsonl | wc -l)"

# Stored: section 01 of the injected set of seed 11 (seed 7's names are the
# clean set's, and one register holds one of them)
D=$TMP/gen-11
mkdir -p "$TMP/store"
cp "$D/01-organizations.jsonl" "$TMP/store/"
$NPOCTL import --province 44 --as-of $ASOF "$TMP/store" > "$TMP/stored" 2>/dev/null
want=$(jq -r 'select(.section == 1 and .outcome == "flagged" and .rule != "stale_source")
              | "\(.line) \(.rule) \(.field // "")"' "$D/expected-findings.jsonl" | sort)
stored_open() {
    sql "SELECT line || ' ' || rule || ' ' || field FROM registry.findings
         WHERE province = '44' AND section = 1 AND fixed_on IS NULL AND outcome = 'flagged'
         AND path LIKE '$TMP/store/%'" | sort
}
check_eq "the flagged findings of section 01 are kept open ($(wc -l <<< "$want"))" \
    "$(stored_open)" "$want"
check_eq "every record the registry was sent is stored or refused for a reason" \
    "$(jq '.sections["1"] | .created + .refused + .not_stored' "$TMP/stored")" \
    "$(jq '.sections["1"].records' "$TMP/stored")"
count() { sql "SELECT count(*) || '/' || sum(version) FROM registry.organizations"; }
before=$(count)
findings_before=$(sql "SELECT count(*) FROM registry.findings")
$NPOCTL import --province 44 --as-of $ASOF "$TMP/store" > "$TMP/again" 2>/dev/null
check_eq "imported twice: answered (exit 1: the refused records again)" "$?" 1
check_eq "imported twice: nothing created or updated, every stored record unchanged" \
    "$(jq -c '.sections["1"] | [.created, .updated, .unchanged == .stored, .unsent]' \
       "$TMP/again")" '[0,0,true,0]'
check_eq "the register unchanged" "$(count)" "$before"
check_eq "no finding added" "$(sql "SELECT count(*) FROM registry.findings")" "$findings_before"
check_eq "the same findings open" "$(stored_open)" "$want"

# Sections 02 and 03 of the same set: officers and their posts
cp "$D/02-officers.jsonl" "$D/03-work-history.jsonl" "$TMP/store/"
$NPOCTL import --province 44 --as-of $ASOF "$TMP/store" > "$TMP/posts" 2>/dev/null
for n in 2 3; do
    check_eq "section $n: every record stored or refused for a reason" \
        "$(jq ".sections[\"$n\"] | .created + .updated + .refused + .not_stored + .unsent" \
           "$TMP/posts")" "$(jq ".sections[\"$n\"].records" "$TMP/posts")"
done
# The organizations stored, and the lines of each file whose organization is one
sql "SELECT uscc FROM registry.organizations" | sort > "$TMP/orgs"
lines_of() {
    jq -rn 'inputs | "\(.org_uscc // .uscc) \(input_line_number)"' "$D/$1" 2>/dev/null \
        | sort | join - "$TMP/orgs" | awk '{ print $2 }' | sort -n
}
# flags_kept N FILE SCHEMA: the injected flags of section N on records of
# stored organizations are the open findings SCHEMA keeps of the section
flags_kept() {
    lines_of "$2" > "$TMP/lines-$1"
    want_n=$(jq -r "select(.section == $1 and .outcome == \"flagged\" and .rule != \"stale_source\")
                    | \"\(.line) \(.rule) \(.field // \"\")\"" "$D/expected-findings.jsonl" \
             | sort -k1,1 | join - <(sort "$TMP/lines-$1") | sort)
    got_n=$(sql "SELECT line || ' ' || rule || ' ' || field FROM $3.findings
                 WHERE province = '44' AND section = $1 AND fixed_on IS NULL
                 AND outcome = 'flagged'" | sort)
    check_eq "section $1: the injected flags on records of stored organizations are kept" \
        "$(diff <(echo "$want_n") <(echo "$got_n") | head -n 5)" ""
}
flags_kept 2 02-officers.jsonl registry
flags_kept 3 03-work-history.jsonl registry
# An officer of an organization the register does not hold (one section 01
# refused): refused by the registry, its finding kept
mkdir -p "$TMP/stray"
stray=$(jq -r '.refused[] | select(.section == 1) | .uscc' "$TMP/stored" | head -n 1)
head -n 1 "$D/02-officers.jsonl" | jq -c --arg u "$stray" '.org_uscc = $u' \
    > "$TMP/stray/02-officers.jsonl"
$NPOCTL import --province 44 --as-of $ASOF "$TMP/stray" > "$TMP/stray.json" 2>/dev/null
check_eq "an officer of an organization not in the register: refused" \
    "$(jq -c '[.refused[] | [.section, .line, .rule]]' "$TMP/stray.json")" \
    '[[2,1,"unknown_org_reference"]]'
check_eq "and its finding kept" \
    "$(sql "SELECT outcome FROM registry.findings WHERE section = 2 AND fixed_on IS NULL
            AND rule = 'unknown_org_reference' AND path = '$TMP/stray/02-officers.jsonl'")" \
    refused
check_eq "findings name a person's record by a keyed hash, never the key" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE section IN (2, 3)
            AND record_ref !~ '^r1:[0-9a-f]{32}$'")" 0
ids=$(jq -r '.id_number // empty' "$D/02-officers.jsonl" | head -n 200 | paste -sd '|')
check_eq "no identity number in a finding" \
    "$(sql "SELECT count(*) FROM registry.findings WHERE concat_ws(' ', record_ref, detail,
            value, path) ~ '($ids)'")" 0
posts() { sql "SELECT count(*) || '/' || count(birth_date) || '/' || count(end_on)
               FROM registry.officer_posts"; }
check_match "posts stored, with the officers' birth dates and the tenures' ends" "$(posts)" \
    '^[1-9][0-9]*/[1-9][0-9]*/[1-9][0-9]*$'
gen_orgs=$(jq -r .uscc "$D/01-organizations.jsonl" | sort -u | paste -sd ,)
check_eq "every officer of section 02 stored is in a post" \
    "$(sql "SELECT count(*) FROM registry.officer_posts WHERE birth_date IS NOT NULL
            AND org_uscc = ANY ('{$gen_orgs}')")" \
    "$(jq '.sections["2"] | .created + .updated' "$TMP/posts")"

# The other sections stored: every record stored or refused for a reason, the
# injected flags kept and no other finding
cp "$D/04-certificates.jsonl" "$D/07-deregistrations.jsonl" "$D/09-changes.jsonl" \
    "$TMP/store/"
$NPOCTL import --province 44 --as-of $ASOF "$TMP/store" > "$TMP/more" 2>/dev/null
for n in 4 7 9; do
    check_eq "section $n: every record stored or refused for a reason" \
        "$(jq ".sections[\"$n\"] | .created + .updated + .refused + .not_stored + .unsent" \
           "$TMP/more")" "$(jq ".sections[\"$n\"].records" "$TMP/more")"
done
flags_kept 4 04-certificates.jsonl registry
flags_kept 7 07-deregistrations.jsonl registry
flags_kept 9 09-changes.jsonl registry
check_eq "a certificate for every stored organization" \
    "$(sql "SELECT count(DISTINCT uscc) FROM registry.certificates
            WHERE uscc = ANY ('{$gen_orgs}')")" \
    "$(sql "SELECT count(*) FROM registry.organizations WHERE uscc = ANY ('{$gen_orgs}')")"

before=$(posts)
events=$(sql "SELECT last FROM registry.outbox_seq")
findings_before=$(sql "SELECT count(*) FROM registry.findings")
$NPOCTL import --province 44 --as-of $ASOF "$TMP/store" > "$TMP/posts-again" 2>/dev/null
for n in 1 2 3 4 7 9; do
    check_eq "sections 01-10 imported twice: section $n unchanged" \
        "$(jq -c ".sections[\"$n\"] | [.created, .updated, .unchanged == .stored]" \
           "$TMP/posts-again")" '[0,0,true]'
done
check_eq "the posts unchanged" "$(posts)" "$before"
check_eq "no event emitted" "$(sql "SELECT last FROM registry.outbox_seq")" "$events"
check_eq "no finding added" "$(sql "SELECT count(*) FROM registry.findings")" "$findings_before"
finish
