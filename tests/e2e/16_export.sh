#!/bin/bash
# The open data set: a snapshot and the deltas after it, applied in order,
# reproduce the public records exactly; manifests with counts and SHA-256;
# latest.json; CSV with quoting; usage errors.
. "$(dirname "$0")/../lib.sh"

out="$NPO_VAR/export"
# apply FILES...: the data set a snapshot and deltas give, one "uscc record" a line
apply() { cat "$@" | jq -c '[.uscc, .]' | jq -rs 'reduce .[] as $r ({}; .[$r[0]] = $r[1])
          | to_entries[] | "\(.key) \(.value | tojson)"' | sort | md5sum; }
truth() { sql "SELECT uscc || chr (9) || doc FROM publication.orgs" \
          | jq -Rr 'split ("\t") | "\(.[0]) \(.[1] | fromjson | tojson)"' | sort | md5sum; }
# settled: publication has applied everything the services logged
consumed() { sql "SELECT coalesce ((SELECT last_seq FROM publication.consumed WHERE stream = '$1'), 0)"; }
logged() { sql "SELECT coalesce (max(seq), 0) FROM $1.outbox"; }
settled() { wait_until 15 '[ "$(consumed registry)" = "$(logged registry)" ] && [ "$(consumed credit)" = "$(logged credit)" ]'; }

settled
m=$($NPOCTL export snapshot --out "$out")
W=$(echo "$m" | jq -r .seq)
snap="$out/$(echo "$m" | jq -r '.files[0].name')"
check_eq "the snapshot holds every public record" "$(wc -l < "$snap")" "$(sql "SELECT count(*) FROM publication.orgs")"
check_eq "its manifest gives the count" "$(echo "$m" | jq -r '.files[0].records')" "$(wc -l < "$snap")"
check_eq "and the SHA-256" "$(echo "$m" | jq -r '.files[0].sha256')" "$(sha256sum "$snap" | cut -d' ' -f1)"
check_eq "the seq it stands at" "$W" "$(sql "SELECT coalesce (max(seq), 0) FROM publication.public_events")"
check_eq "latest.json is that manifest" "$(jq -c . "$out/latest.json")" "$(echo "$m" | jq -c .)"
check_eq "snapshot alone = the public records" "$(apply "$snap")" "$(truth)"

# changes: new organizations, a change, a penalty
new=$(make_apps 3 t16 530102 | $NPOCTL register --file - --approve | uscc_of | head -n 1)
$NPOCTL change --uscc "$new" --set address=昆明市某路9号 --approve >/dev/null
printf '{"uscc":"%s","penalty_name":"警告","decision_number":"昆民罚〔2026〕1号","facts":"x","legal_basis":"y","result":"warning","authority":"昆明市民政局","decided_on":"%s"}' \
    "$new" "$(TZ=Asia/Shanghai date +%F)" | $NPOCTL penalty record --file - >/dev/null
settled
m2=$($NPOCTL export delta --since "$W" --out "$out")
W2=$(echo "$m2" | jq -r .seq)
d1="$out/$(echo "$m2" | jq -r '.files[0].name')"
check "the delta runs from $W to $W2" test "$(echo "$m2" | jq -r .since_seq)" = "$W" -a "$W2" -gt "$W"
check_eq "it holds the 3 organizations changed" "$(wc -l < "$d1")" 3
check_eq "snapshot + delta = the public records" "$(apply "$snap" "$d1")" "$(truth)"
$NPOCTL change --uscc "$new" --set name=昆明测试协会改 --approve >/dev/null
settled
m3=$($NPOCTL export delta --since "$W2" --out "$out")
d2="$out/$(echo "$m3" | jq -r '.files[0].name')"
check_eq "snapshot + two deltas, in order = the public records" "$(apply "$snap" "$d1" "$d2")" "$(truth)"
check_eq "latest.json names the newest" "$(jq -r '.files[0].name' "$out/latest.json")" "$(basename "$d2")"
check_eq "an empty delta when nothing changed" \
    "$($NPOCTL export delta --since "$(echo "$m3" | jq -r .seq)" --out "$out" | jq -r '.files[0].records')" 0

# CSV: a header, one row a record, quoting
odd=$(printf '{"name":"昆明\\"好\\",协会","type":"social_group","authority_division":"530102","registration_authority":"昆明市民政局","legal_representative":"法人","address":"路1号","business_scope":"测试"}' \
      | $NPOCTL register --file - --approve | uscc_of)
settled
mc=$($NPOCTL export snapshot --format csv --out "$out/csv")
csv="$out/csv/$(echo "$mc" | jq -r '.files[0].name')"
check_match "the CSV has a header" "$(head -n 1 "$csv")" '^uscc,name,type,status,'
check_eq "and a row per record" "$(($(wc -l < "$csv") - 1))" "$(sql "SELECT count(*) FROM publication.orgs")"
check_match "quoted where a name needs it" "$(grep "^$odd," "$csv")" "^$odd,\"昆明\"\"好\"\",协会\",social_group,active,"
check_eq "usage: delta needs --since" "$($NPOCTL export delta --out "$out" >/dev/null 2>&1; echo $?)" 2
check_eq "usage: a format that does not exist" "$($NPOCTL export snapshot --format xml --out "$out" >/dev/null 2>&1; echo $?)" 2
finish
