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
finish
