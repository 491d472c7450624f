#!/bin/bash
# Concurrent approvals: four clients approve at once, two of them into the
# same authority; every code is valid and unique, sequences have no holes.
. "$(dirname "$0")/../lib.sh"

make_apps 60 t02a 310115 social_service > "$TMP/a.jsonl"
make_apps 60 t02b 310115 foundation > "$TMP/b.jsonl"
make_apps 60 t02c 510104 > "$TMP/c.jsonl"
make_apps 60 t02d 100000 > "$TMP/d.jsonl"
pids=""
for f in a b c d; do
    $NPOCTL register --file "$TMP/$f.jsonl" --approve > "$TMP/$f.out" 2> "$TMP/$f.err" &
    pids="$pids $!"
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
check_eq "four concurrent clients all succeed" "$rc" 0
cat "$TMP"/?.out | sed -n 's/.*"uscc":"\([0-9A-Z]*\)".*/\1/p' > "$TMP/codes"
check_eq "240 codes assigned" "$(wc -l < "$TMP/codes")" 240
check_eq "all 240 distinct" "$(sort -u "$TMP/codes" | wc -l)" 240
check_eq "all pass both check algorithms (independent check)" \
    "$(uscc_check < "$TMP/codes" | grep -c ' ok$')" 240
check_eq "organization codes distinct in the registry" \
    "$(sql "SELECT count(DISTINCT org_code) FROM registry.organizations WHERE authority_division IN ('310115','510104','100000')")" \
    "$(sql "SELECT count(*) FROM registry.organizations WHERE authority_division IN ('310115','510104','100000')")"
check_eq "authority 310115 used sequence numbers 1..120 exactly" \
    "$(sql "SELECT last FROM registry.code_sequences WHERE authority_division = '310115'")" 120
check_eq "the type is in each code" "$(grep -c '^52310115' "$TMP/codes")/$(grep -c '^53310115' "$TMP/codes")" "60/60"
check_eq "national registrations carry division 100000" "$(grep -c '^51100000' "$TMP/codes")" 60
# Every one reaches the public side
pub_count() { sql "SELECT count(*) FROM publication.orgs WHERE uscc IN ($(sed "s/.*/'&'/" "$TMP/codes" | paste -sd,))"; }
check "publication has all of them" wait_until 15 '[ "$(pub_count)" -eq 240 ]'
bad=0
for c in $(shuf -n 20 "$TMP/codes"); do [ "$(http_code /v1/orgs/$c)" = 200 ] || bad=$((bad + 1)); done
check_eq "20 random codes are served by the gateway" "$bad" 0
finish
