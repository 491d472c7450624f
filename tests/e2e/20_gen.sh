#!/bin/bash
# npoctl gen: a synthetic return of sections 01-10, the same bytes from the
# same seed; every code valid by checkers of its own (tests/lib/uscc.awk, a
# GB 11643 check below); one legal representative per organization, named
# as in section 01; the national type mix; names unique per authority; each
# injected error where expected-findings.jsonl says, of the kind it says,
# and nowhere else; nothing personal in the findings or the manifest; the
# data the same with and without errors; usage errors.
. "$(dirname "$0")/../lib.sh"

G=$TMP/gen
rm -rf "$G"
ASOF=2026-01-01T00:00:00Z
ASOF_S=$(date -u -d "$ASOF" +%s)
# gen ARGS: npoctl gen, which must succeed and say nothing on standard error
gen() {
    $NPOCTL gen "$@" > /dev/null 2> "$TMP/gen.err"
    local rc=$?
    [ "$rc" -eq 0 ] && [ ! -s "$TMP/gen.err" ] \
        || not_ok "npoctl gen $*" "exit $rc: $(head -c 300 "$TMP/gen.err")"
}
# The division codes of common/division_data.c, one a line
DIVS=$G/divisions
mkdir -p "$G"
sed -n 's/^ *{ "\([0-9]*\)", ".*/\1/p' "$ROOT/common/division_data.c" > "$DIVS"

# resid_bad: reads "ID BIRTH_DATE GENDER" lines (BIRTH_DATE, GENDER may be
# -) of resident IDs; prints those that fail GB 11643 (check character, a
# real birth date), disagree with the birth date or gender, or whose area
# is not a county of province $1 (in the division table)
resid_bad() {
    awk -v prov="$1" 'NR == FNR { div[$1] = 1; next } {
        id = $1; ok = length(id) == 18 && substr(id, 1, 17) ~ /^[0-9]+$/
        split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
        s = 0; for (i = 1; ok && i <= 17; i++) s += substr(id, i, 1) * w[i]
        ok = ok && substr("10X98765432", s % 11 + 1, 1) == substr(id, 18, 1)
        y = substr(id, 7, 4) + 0; m = substr(id, 11, 2) + 0; d = substr(id, 13, 2) + 0
        split("31 28 31 30 31 30 31 31 30 31 30 31", days, " ")
        leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        ok = ok && m >= 1 && m <= 12 && d >= 1 && d <= days[m] + (m == 2 && leap)
        ok = ok && y >= 1900 && substr(id, 7, 8) <= "20251231"
        area = substr(id, 1, 6)
        ok = ok && (area in div) && area !~ /00$/ && (prov == "" || substr(area, 1, 2) == prov)
        born = substr(id, 7, 4) "-" substr(id, 11, 2) "-" substr(id, 13, 2)
        ok = ok && ($2 == "-" || $2 == born)
        male = substr(id, 17, 1) % 2 == 1
        ok = ok && ($3 == "-" || $3 == (male ? "male" : "female"))
        if (!ok) print
    }' "$DIVS" -
}
residents() {   # FILE: "ID BIRTH_DATE GENDER" of its resident IDs
    jq -r 'select(.id_type == "resident_id")
           | "\(.id_number) \(.birth_date // "-") \(.gender // "-")"' "$1"
}

# The section files gen writes, without .jsonl
SECTIONS="01-organizations 02-officers 03-work-history 04-certificates 07-deregistrations
          09-changes"

# --- A clean set: the same bytes from the same seed
gen --orgs 10000 --seed 7 --out "$G/a"
gen --orgs 10000 --seed 7 --out "$G/b"
gen --orgs 10000 --seed 8 --out "$G/c"
A=$G/a
check "the same arguments give the same bytes" diff -r "$A" "$G/b"
check_eq "another seed gives another set" \
    "$(cmp -s "$A/01-organizations.jsonl" "$G/c/01-organizations.jsonl"; echo $?)" 1
check_eq "the section files, the findings and the manifest" "$(ls "$A" | tr '\n' ' ')" \
    "$(printf '%s.jsonl ' $SECTIONS)expected-findings.jsonl manifest.json "
check_eq "no error asked, none listed" "$(wc -c < "$A/expected-findings.jsonl")" 0
check_eq "nor counted" "$(jq -c .injected "$A/manifest.json")" "{}"
check_eq "the manifest's arguments" "$(jq -c '[.seed, .orgs, .province, .error_rate, .as_of]' \
    "$A/manifest.json")" "[7,10000,\"44\",0,\"$ASOF\"]"
for f in $SECTIONS; do
    check_eq "manifest: $f records and bytes" \
        "$(jq -r --arg f "$f.jsonl" '.files[$f] | "\(.records) \(.bytes)"' "$A/manifest.json")" \
        "$(wc -l < "$A/$f.jsonl") $(wc -c < "$A/$f.jsonl")"
done
O=$A/01-organizations.jsonl
P=$A/02-officers.jsonl
W=$A/03-work-history.jsonl
check_eq "10,000 organizations" "$(wc -l < "$O")" 10000
check_eq "each code once" "$(jq -r .uscc "$O" | sort -u | wc -l)" 10000

# --- Codes, by uscc.awk and by their parts
check_eq "every uscc, authority and business unit code valid (uscc.awk)" \
    "$(jq -r '.uscc, .registration_authority_code, (.business_unit_code // empty)' "$O" \
       | uscc_check | grep -vc ' ok$')" 0
check_eq "codes: 5, the type's digit, the authority's division, the province's" \
    "$(jq -r '[.uscc, .type, .authority_division, .registration_authority_code,
               .address_division] | @tsv' "$O" | awk -F'\t' 'NR == FNR { div[$1] = 1; next } {
        t = $2 == "social_group" ? 1 : $2 == "social_service" ? 2 : $2 == "foundation" ? 3 : 0
        if (substr($1, 1, 1) != "5" || substr($1, 2, 1) != t || substr($1, 3, 6) != $3 \
            || substr($4, 3, 6) != $3 || !($3 in div) || !($5 in div) \
            || substr($3, 1, 2) != "44" || substr($5, 1, 2) != "44") bad++
      } END { print bad + 0 }' "$DIVS" -)" 0
# The registry's own codes begin with 0-9 or A-Q (docs/codes.md): never these
check_eq "organization codes begin where the registry's never do (R T U W X Y)" \
    "$(jq -r '.uscc[8:9]' "$O" | grep -vc '^[RTUWXY]$')" 0
check_eq "organization codes unique" "$(jq -r '.uscc[8:17]' "$O" | sort -u | wc -l)" 10000
check_eq "old organization codes valid GB 11714, unique" "$(jq -r '.old_org_code // empty' "$O" \
    | awk -F- '{ az = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"; split("3 7 9 10 5 8 4 2", w, " ")
        s = 0; for (i = 1; i <= 8; i++) s += (index(az, substr($1, i, 1)) - 1) * w[i]
        c = 11 - s % 11; c = c == 10 ? "X" : c == 11 ? "0" : c ""
        if (length($1) != 8 || c != $2 || seen[$1]++) bad++ } END { print bad + 0 }')" 0

# --- The mix: types as the national statistics, authorities, status
# mix JQ VALUE: the share in percent of organizations whose JQ is VALUE
mix() { jq -r "$1" "$O" | sort | uniq -c | awk -v k="$2" '$2 == k { print $1 / 100 }'; }
share_in() { awk -v x="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(x >= lo && x <= hi) }' \
             && ok "$1 ($2%)" || not_ok "$1" "$2% not in $3..$4"; }
share_in "41% social groups, within 3 points" "$(mix .type social_group)" 38 44
share_in "58% social service institutions" "$(mix .type social_service)" 55 61
share_in "1% foundations" "$(mix .type foundation)" 0.3 4
share_in "70% registered by counties" \
    "$(mix '.authority_division | if test("00$") then "up" else "county" end' county)" 65 75
share_in "90% active" "$(mix .status active)" 87 93
check_eq "names unique per authority" \
    "$(jq -r '"\(.authority_division) \(.name)"' "$O" | sort | uniq -d | wc -l)" 0
check_eq "each name begins with its place and ends with a kind of its type" \
    "$(jq -r '[.type, .name, .registration_authority] | @tsv' "$O" | awk -F'\t' '{
        place = $3; sub(/民政(局|厅)$/, "", place)
        if (index($2, place) != 1) bad++
        else if ($1 == "social_group" && $2 !~ /(协会|学会|研究会|商会|联合会|促进会)$/) bad++
        else if ($1 == "social_service" && $2 !~ /(中心|研究院|养老院|幼儿园)$/) bad++
        else if ($1 == "foundation" && $2 !~ /基金会$/) bad++
      } END { print bad + 0 }')" 0

# --- Dates: approved from 1990, nothing after as-of, fresh within 24 hours
check_eq "approved_on from 1990 to the day before as-of" \
    "$(jq -r '.approved_on' "$O" | awk '$1 < "1990-01-01" || $1 > "2025-12-31"' | wc -l)" 0
check_eq "source_updated_at within the 24 hours before as-of, in every section" \
    "$(cat "$A"/0*.jsonl | jq -r --argjson asof "$ASOF_S" '.source_updated_at
        | sub("\\+08:00$"; "Z") | fromdateiso8601 - 28800
        | select(. > $asof or . < $asof - 86400)' | wc -l)" 0

# --- Officers: valid documents, one legal representative named as in 01
check_eq "every resident ID valid, a county of 44, with its birth date and gender" \
    "$(residents "$P" | resid_bad 44 | wc -l)" 0
check_eq "in the work history too" "$(residents "$W" | resid_bad 44 | wc -l)" 0
check "some passports" test "$(jq -r 'select(.id_type == "passport") | .id_number' "$P" \
    | grep -c '^[A-Z0-9]\+$')" -gt 0
check "some Hong Kong and Macao permits" test "$(jq -r 'select(.id_type == "hk_macao_permit")
    | .id_number' "$P" | grep -c '^[HM][0-9]\{8\}$')" -gt 0
check_eq "each person once in the set" "$(jq -r '"\(.id_type) \(.id_number)"' "$P" | sort -u \
    | wc -l)" "$(wc -l < "$P")"
check_eq "3 to 9 officers, one legal representative, named as in section 01" \
    "$( { jq -r '[.uscc, .legal_representative] | @tsv' "$O"; echo "--"
          jq -r '[.org_uscc, .position, .name] | @tsv' "$P"; } | awk -F'\t' '
        $1 == "--" { part = 2; next }
        part != 2 { name[$1] = $2; next }
        { n[$1]++; if ($2 == "legal_representative") { lr[$1]++; if ($3 != name[$1]) bad++ } }
        END { for (u in name) if (n[u] < 3 || n[u] > 9 || lr[u] != 1) bad++; print bad + 0 }')" 0
check_eq "positions from the list" "$(jq -r .position "$P" "$W" | sort -u | tr '\n' ' ')" \
    "director legal_representative other responsible_person supervisor "
# Posts: start on or after approval, end after start; in an organization
# that ended, every post ends; else each officer's post is held
check_eq "every officer's post in the work history, held unless the organization ended" \
    "$( { jq -r '[.uscc, .approved_on, .status] | @tsv' "$O"; echo "--"
          jq -r '["W", .org_uscc, .id_number, .position, .start_on, .end_on // "-"] | @tsv' "$W"
          jq -r '["P", .org_uscc, .id_number, .position, .start_on] | @tsv' "$P"; } | awk -F'\t' '
        $1 == "--" { part = 2; next }
        part != 2 { approved[$1] = $2; status[$1] = $3; next }
        $1 == "W" { if ($5 < approved[$2] || ($6 != "-" && $6 < $5)) bad++
                    if (status[$2] != "active" && $6 == "-") bad++
                    if ($6 == "-" || status[$2] != "active") post[$2 " " $3 " " $4 " " $5] = 1
                    next }
        { if (!(($2 " " $3 " " $4 " " $5) in post)) bad++ }
        END { print bad + 0 }')" 0

# --- Section 04: a certificate for every organization, of its current term
C4=$A/04-certificates.jsonl
check_eq "a certificate for every organization" "$(jq -r .uscc "$C4" | sort | paste -sd ' ' \
    | md5sum)" "$(jq -r .uscc "$O" | sort | paste -sd ' ' | md5sum)"
check_eq "certificates: valid from approval on, 5 years less a day, issued before; copies \
as section 01's; capital at least 30,000" \
    "$( { jq -c . "$O"; echo '"--"'; jq -c . "$C4"; } | jq -rn '
        def plus5: (.[0:4] | tonumber + 5 | tostring) + (.[4:] | sub("02-29"; "02-28"))
                   | strptime("%Y-%m-%d") | mktime - 86400 | strftime("%Y-%m-%d");
        reduce inputs as $r ({o: {}, part: 1, bad: 0};
            if $r == "--" then .part = 2
            elif .part == 1 then .o[$r.uscc] = $r
            else .o[$r.uscc] as $o | .bad += (
                if $r.valid_from < $o.approved_on or $r.valid_from > "2025-12-31"
                   or $r.valid_to != ($r.valid_from | plus5)
                   or $r.issued_on > $r.valid_from or $r.issued_on < $o.approved_on
                   or ($r.name // $o.name) != $o.name
                   or ($r.legal_representative // $o.legal_representative)
                      != $o.legal_representative
                   or ($r.business_unit // $o.business_unit) != $o.business_unit
                   or ($r.registered_capital | tonumber) < 30000
                then 1 else 0 end) end) | .bad')" 0
check "a certificate naming the organization, another not" test "$(grep -c '"name"' "$C4")" \
    -gt 5000 -a "$(grep -c '"name"' "$C4")" -lt 9000

# --- Section 07: the deregistration of every deregistered organization, on
# the day its posts ended; 09: none to three changes of distinct items
check_eq "a deregistration for each deregistered organization, and no other" \
    "$(jq -r .uscc "$A/07-deregistrations.jsonl" | sort | md5sum)" \
    "$(jq -r 'select(.status == "deregistered") | .uscc' "$O" | sort | md5sum)"
check_eq "deregistered from approval to the day before as-of, when the posts ended" \
    "$( { jq -r '["O", .uscc, .approved_on] | @tsv' "$O"
          jq -r 'select(.end_on) | ["W", .org_uscc, .end_on] | @tsv' "$W"
          jq -r '["D", .uscc, .deregistered_on] | @tsv' "$A/07-deregistrations.jsonl"; } \
        | awk -F'\t' '$1 == "O" { approved[$2] = $3; next }
                      $1 == "W" { if ($3 > end[$2]) end[$2] = $3; next }
                      { if ($3 < approved[$2] || $3 > "2025-12-31" || $3 != end[$2]) bad++ }
                      END { print bad + 0 }')" 0
check_eq "0 to 3 changes an organization, of distinct items, after approval, before as-of" \
    "$( { jq -c . "$O"; echo '"--"'; jq -c . "$A/09-changes.jsonl"; } | jq -rn '
        reduce inputs as $r ({o: {}, n: {}, part: 1, bad: 0};
            if $r == "--" then .part = 2
            elif .part == 1 then .o[$r.uscc] = $r
            else .n["\($r.uscc) \($r.item)"] += 1 | .n[$r.uscc] += 1
                 | .o[$r.uscc] as $o | .bad += (
                if $r.approved_on <= $o.approved_on or $r.approved_on > "2025-12-31"
                   or .n[$r.uscc] > 3 or .n["\($r.uscc) \($r.item)"] > 1
                then 1 else 0 end) end) | .bad')" 0
check_eq "each change's after is the value section 01 holds" \
    "$( { jq -c . "$O"; echo '"--"'; jq -c . "$A/09-changes.jsonl"; } | jq -rn '
        {"名称": "name", "住所": "address", "法定代表人": "legal_representative",
         "业务范围": "business_scope", "联系人": "contact_name",
         "联系电话": "contact_phone",
         "邮政编码": "postal_code"} as $labels
        | reduce inputs as $r ({o: {}, part: 1, bad: 0};
            if $r == "--" then .part = 2
            elif .part == 1 then .o[$r.uscc] = $r
            else ($labels[$r.item] // $r.item) as $item | .o[$r.uscc] as $o
                 | .bad += (if ($o | has($item)) and $o[$item] != $r.after
                               or $r.before == $r.after then 1 else 0 end) end) | .bad')" 0
share_in "changes, about 1.5 an organization" \
    "$(( $(wc -l < "$A/09-changes.jsonl") / 100 ))" 130 160

# Sections 01-03 and their findings as they were before the other sections
# came (commit 302bdac): each section draws from streams of its own
gen --orgs 300 --seed 5 --error-rate 0.3 --out "$G/pin"
check_eq "sections 01-03 the same bytes as before sections 04-10 were added" \
    "$(cat "$G"/pin/0[123]-*.jsonl | md5sum) $(grep -E '"section":[123],' \
       "$G/pin/expected-findings.jsonl" | md5sum)" \
    "1d462d2286a408d9022efd968b021f9f  - 4980583a6f050e95d81a56d71c6a0e49  -"

# --- Other provinces, the country, the ministry
gen --orgs 2000 --seed 3 --province all --out "$G/all"
check "--province all: organizations in 20 provinces or more" test "$(jq -r '.uscc[2:4]' \
    "$G/all/01-organizations.jsonl" | sort -u | wc -l)" -ge 20
check_eq "all their codes valid" "$(jq -r '.uscc, .registration_authority_code' \
    "$G/all/01-organizations.jsonl" | uscc_check | grep -vc ' ok$')" 0
check_eq "their officers' IDs valid" "$(residents "$G/all/02-officers.jsonl" | resid_bad "" \
    | wc -l)" 0
gen --orgs 200 --seed 3 --province 10 --out "$G/ministry"
check_eq "--province 10: registered by the ministry, at 100000" \
    "$(jq -r '"\(.authority_division) \(.registration_authority)"' \
       "$G/ministry/01-organizations.jsonl" | sort -u)" "100000 中华人民共和国民政部"
gen --orgs 200 --seed 3 --province 54 --as-of 2030-06-30T12:00:00Z --out "$G/xz"
check_eq "--as-of moves the times: the 24 hours before it, dates up to the day before" \
    "$(jq -r --argjson asof "$(date -u -d 2030-06-30T12:00:00Z +%s)" '(.source_updated_at
        | sub("\\+08:00$"; "Z") | fromdateiso8601 - 28800
        | select(. > $asof or . < $asof - 86400)), (.approved_on | select(. > "2030-06-29"))' \
       "$G/xz/01-organizations.jsonl" | wc -l) $(jq -r .approved_on \
       "$G/xz/01-organizations.jsonl" | sort | tail -n 1 | cut -c 1-4 \
       | sed 's/^20\(29\|30\)$/late/')" "0 late"

# --- Errors: 10% of the records, each where the list says and of its kind
gen --orgs 3000 --seed 11 --out "$G/clean"
gen --orgs 3000 --seed 11 --error-rate 0.1 --out "$G/e"
E=$G/e
F=$E/expected-findings.jsonl
nf=$(wc -l < "$F")
dups=$(for f in $SECTIONS; do uniq -d "$E/$f.jsonl"; done | wc -l)
records=$(( $(cat "$E"/0*.jsonl | wc -l) - dups ))
check "about 10% of $records records have an error ($nf)" \
    test $((nf * 100)) -ge $((records * 9)) -a $((nf * 100)) -le $((records * 11))
check_eq "the manifest counts them" "$(jq '[.injected[]] | add' "$E/manifest.json")" "$nf"
check_eq "and each rule" "$(jq -c '.injected' "$E/manifest.json")" \
    "$(jq -s -c 'group_by(.rule) | map({(.[0].rule): length}) | add' "$F")"
check_eq "every rule of every section drawn" "$(jq -r '"\(.section) \(.rule)"' "$F" \
    | sort -V -u | tr '\n' ',')" "$(printf '%s,' '1 date_in_future' \
    '1 division_authority_mismatch' '1 duplicate_key_in_file' '1 invalid_format' \
    '1 invalid_uscc_check' '1 missing_required' '1 stale_source' '1 unknown_division' \
    '1 unknown_enum' '2 birth_date_mismatch' '2 date_in_future' '2 duplicate_key_in_file' \
    '2 inconsistent_fields' '2 invalid_format' '2 invalid_id_check' '2 missing_required' \
    '2 stale_source' '2 unknown_enum' '3 date_in_future' '3 date_order' \
    '3 duplicate_key_in_file' '3 invalid_format' '3 invalid_id_check' '3 missing_required' \
    '3 stale_source' '3 unknown_enum' '4 date_in_future' '4 date_order' \
    '4 duplicate_key_in_file' '4 invalid_format' '4 missing_required' '4 stale_source' \
    '7 date_in_future' '7 duplicate_key_in_file' '7 invalid_format' '7 missing_required' \
    '7 stale_source' '9 date_in_future' '9 duplicate_key_in_file' '9 invalid_format' \
    '9 missing_required' '9 stale_source')"
check_eq "a finding holds section, path, line, rule, field, uscc, outcome and nothing else" \
    "$(jq -c 'keys' "$F" | sort -u)" '["field","line","outcome","path","rule","section","uscc"]'
check_eq "the outcome docs/import.md gives each (refused, flagged, not stored)" "$(jq -r '
    (if .rule == "duplicate_key_in_file" then "not_stored"
     elif .rule == "invalid_id_check" or (.rule == "unknown_enum" and .section <= 3
                                          and .section != 2)
          or ("\(.section) \(.field)" | IN("7 deregistered_on", "9 approved_on"))
     then "refused" else "flagged" end) as $o | select(.outcome != $o)' "$F" | wc -l)" 0
check_eq "no uscc of a finding but the record's" "$(jq -r '.uscc' "$F" | uscc_check \
    | grep -vc ' ok$')" 0

# Each finding beside its record (and the line after it): FINDING\tRECORD\tNEXT
awk 'NR == FNR { match($0, /"path":"[^"]*"/); p = substr($0, RSTART + 8, RLENGTH - 9)
                 match($0, /"line":[0-9]+/); l = substr($0, RSTART + 7, RLENGTH - 7)
                 want[p ":" l] = $0; next }
     { f = FILENAME; sub(/.*\//, "", f); text[f ":" FNR] = $0 }
     END { for (k in want) { split(k, kl, ":"); print want[k] "\t" text[k] "\t" \
                             text[kl[1] ":" (kl[2] + 1)] } }' \
    "$F" $(printf "$E/%s.jsonl " $SECTIONS) > "$G/pairs"
check_eq "each finding names a line that holds a record" \
    "$(awk -F'\t' '$2 ~ /^\{/' "$G/pairs" | wc -l)" "$nf"
# The defect each rule says, checked on the record itself
check_eq "each record has the defect its finding names" "$(jq -R -r --argjson asof "$ASOF_S" \
    --slurpfile divs <(jq -R -s 'split("\n") | map(select(. != "") | {(.): true}) | add' \
                       "$DIVS") '
    def secs: sub("\\+08:00$"; "Z") | fromdateiso8601 - 28800;
    def shaped($f): if $f == "postal_code" or $f == "address_division" then test("^[0-9]+$")
                    and length == 6
                    elif $f == "decoupled" or $f == "full_time" then type == "boolean"
                    elif $f == "mobile" then test("^[-0-9+ ]+$") and length <= 20
                    elif $f == "registered_capital" then test("^[0-9]{1,14}(\\.[0-9]{1,2})?$")
                    elif $f | test("_on$|^valid_") then test("^[0-9]+-[0-9]+-[0-9]+$")
                         and length == 10
                    elif $f | test("phone") then test("^[-0-9+ ]+$") and length <= 20
                    elif $f | IN("activity_area", "content") then length <= 200
                    else explode | all(. >= 32) end;
    def before: {end_on: "start_on", valid_to: "valid_from", last_election_on: "founded_on",
                 full_member_on: "joined_party_on"};
    def values($f): {status: ["active", "deregistered", "revoked"], gender: ["male", "female"],
                     position: ["legal_representative", "responsible_person", "director",
                                "supervisor", "other"]}[$f];
    split("\t") | (.[0] | fromjson) as $f | (.[1] | fromjson) as $r | .[2] as $next
    | $r[$f.field // "-"] as $v
    | (if $f.rule == "missing_required" then $v == null
       elif $f.rule == "invalid_format" then ($v | shaped($f.field)) | not
       elif $f.rule == "unknown_enum" then $v | IN(values($f.field)[]) | not
       elif $f.rule == "unknown_division" then ($v | test("^[0-9]+$")) and $divs[0][$v] == null
       elif $f.rule == "date_in_future" then
           if $f.field == "source_updated_at" then ($v | secs) > $asof + 300
           else $v > "2026-01-01" end
       elif $f.rule == "division_authority_mismatch" then
           $r.registration_authority_code[2:8] != $r.authority_division
           or $r.uscc[2:8] != $r.authority_division
       elif $f.rule == "stale_source" then $asof - ($r.source_updated_at | secs) > 86400
       elif $f.rule == "duplicate_key_in_file" then $next == .[1]
       elif $f.rule == "birth_date_mismatch" then
           $v != ($r.id_number | "\(.[6:10])-\(.[10:12])-\(.[12:14])")
       elif $f.rule == "inconsistent_fields" then
           $v != (if ($r.id_number[16:17] | tonumber) % 2 == 1 then "male" else "female" end)
       elif $f.rule == "date_order" then $v < $r[before[$f.field]]
       elif $f.rule == "invalid_uscc_check" or $f.rule == "invalid_id_check" then true
       else false end)
    | select(. | not) | $f | tojson' "$G/pairs" | wc -l)" 0
check_eq "invalid_uscc_check: uscc.awk finds each code bad" "$(jq -R -r 'split("\t")
    | (.[0] | fromjson) as $f | select($f.rule == "invalid_uscc_check")
    | .[1] | fromjson | .[$f.field]' "$G/pairs" | uscc_check | grep -c ' ok$')" 0
check_eq "and no other bad code in the set" \
    "$(jq -r '.uscc, (.registration_authority_code // empty)' "$E/01-organizations.jsonl" \
       | uscc_check | grep -c ' bad$')" "$(grep -c '"invalid_uscc_check"' "$F")"
check_eq "invalid_id_check: the GB 11643 check fails on each" "$(jq -R -r 'split("\t")
    | (.[0] | fromjson) as $f | select($f.rule == "invalid_id_check")
    | .[1] | fromjson | "\(.id_number) - -"' "$G/pairs" | resid_bad 44 | wc -l)" \
    "$(grep -c '"invalid_id_check"' "$F")"
check_eq "and no other bad resident ID" "$(cat "$E/02-officers.jsonl" "$E/03-work-history.jsonl" \
    | jq -r 'select(.id_type == "resident_id") | "\(.id_number) - -"' | resid_bad 44 | wc -l)" \
    "$(grep -c '"invalid_id_check"' "$F")"
check_eq "duplicate_key_in_file: each repeated record, and no other" "$dups" \
    "$(grep -c '"duplicate_key_in_file"' "$F")"
# Apart from its errors, the set is the clean set of the same seed
check_eq "records without an error are the clean set's" "$(for f in $SECTIONS; do
        awk -v f="$f.jsonl" -F'\t' 'NR == FNR { split($1, a, "\"line\":"); if (index($1, \
            "\"path\":\"" f "\"")) { l = a[2] + 0; skip[l] = 1
            if (index($1, "duplicate_key_in_file")) skip[l + 1] = 1 }; next }
            !(FNR in skip)' "$G/pairs" "$E/$f.jsonl" | sort > "$G/kept"
        sort "$G/clean/$f.jsonl" | comm -23 "$G/kept" - ; done | wc -l)" 0

# Nothing personal in the findings or the manifest
cat "$E"/0*.jsonl | jq -r '.contact_name, .contact_phone, .legal_representative, .name, .id_number,
             .birth_date, .mobile, .phone, .mail_address, .employer, .liquidation_leader,
             .liquidation_phone, (select(.item | IN("contact_name", "contact_phone", "联系人",
                                                    "联系电话")) | .before, .after)
             | select(. != null and (tostring | length) >= 2) | tostring' \
    | sort -u > "$G/personal"
check "personal values collected" test "$(wc -l < "$G/personal")" -gt 10000
check_eq "no name, ID number, birth date or phone in the findings or the manifest" \
    "$(cat "$F" "$E/manifest.json" | grep -c -F -f "$G/personal")" 0

# --- Usage errors: one line, exit 2, nothing written
mkdir -p "$G/full" && echo x > "$G/full/keep"
usage() { $NPOCTL gen "$@" > /dev/null 2> "$G/stderr"; echo "$? $(wc -l < "$G/stderr")"; }
check_eq "a directory that is not empty: refused" "$(usage --orgs 5 --seed 1 --out "$G/full")" "2 1"
check_eq "and left as it was" "$(ls "$G/full")" keep
check_eq "--orgs 0" "$(usage --orgs 0 --seed 1 --out "$G/u1")" "2 1"
check_eq "--error-rate 2" "$(usage --orgs 5 --seed 1 --error-rate 2 --out "$G/u1")" "2 1"
check_eq "--error-rate 0.6" "$(usage --orgs 5 --seed 1 --error-rate 0.6 --out "$G/u1")" "2 1"
check_eq "--province 99" "$(usage --orgs 5 --seed 1 --province 99 --out "$G/u1")" "2 1"
check_eq "--as-of without a Z" "$(usage --orgs 5 --seed 1 --as-of 2026-01-01 --out "$G/u1")" "2 1"
check_eq "no --seed" "$(usage --orgs 5 --out "$G/u1")" "2 1"
check_eq "an unknown option" "$(usage --orgs 5 --seed 1 --out "$G/u1" --rate 1)" "2 1"
check_eq "nothing made for them" "$(ls -d "$G/u1" 2>/dev/null | wc -l)" 0
check_match "--help tells every option" "$($NPOCTL gen --help)" \
    'orgs.*seed.*out.*province.*error-rate.*as-of'
finish
