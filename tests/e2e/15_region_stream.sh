#!/bin/bash
# The region stream: a province's subscriber, killed and restarted three times
# during a stream of 10,000 events, ends with exactly its province's events,
# in order, each once; one that starts from a snapshot ends with the
# province's public records; a division filter; a silent publisher noticed
# and the stream resumed after it comes back.
. "$(dirname "$0")/../lib.sh"

# events in the stream, half in province 46 (2,000 under the sanitizers,
# which look for memory errors, not for scale)
case "$NPO_BUILD" in *san*) N=${NPO_TEST_STREAM_N:-2000} ;; *) N=${NPO_TEST_STREAM_N:-10000} ;; esac
P=46                                # 海南: only this test registers there
last_seq() { sql "SELECT coalesce (max (province_seq), 0) FROM publication.public_events WHERE province = '$P'"; }
sub() { $NPOCTL subscribe --province "$P" "$@"; }
# sub_bg ERRFILE ARGS...: in the background as the process itself ($! is
# npoctl's pid: a kill reaches it, not a shell around it)
sub_bg() { local err=$1; shift; ( exec $NPOCTL subscribe --province "$P" "$@" 2>>"$err" ) & }

# The stream: N registrations, half in 46 (two districts), half in 62, from
# four clients at once
for c in 1 2 3 4; do
    for i in $(seq "$c" 4 "$N"); do
        case $((i % 4)) in
            0) div=460105 ;; 1) div=620102 ;; 2) div=460106 ;; 3) div=620103 ;;
        esac
        printf '{"idempotency_key":"t15-%d","name":"流测试组织%d号","type":"social_group","authority_division":"%s","registration_authority":"测试民政局","legal_representative":"法人","address":"路1号","business_scope":"测试"}\n' "$i" "$i" "$div"
    done > "$NPO_VAR/stream-$c.jsonl"
done
expected=$((N / 2))

sub_bg "$NPO_VAR/a.err" --out "$NPO_VAR/a.jsonl"
a=$!
for c in 1 2 3 4; do
    $NPOCTL register --file "$NPO_VAR/stream-$c.jsonl" --approve > /dev/null 2>&1 &
done
# three kills (SIGKILL: mid-write at worst), each followed by a restart
for k in 1 2 3; do
    wait_until 300 '[ "$(last_seq)" -ge $(( k * expected / 4 )) ]'
    kill -KILL "$a" 2>/dev/null; wait "$a" 2>/dev/null
    sub_bg "$NPO_VAR/a.err" --out "$NPO_VAR/a.jsonl"
    a=$!
    # the snapshot subscriber starts half way
    if [ $k = 2 ]; then sub_bg "$NPO_VAR/b.err" --snapshot --out "$NPO_VAR/b.jsonl"; b=$!; fi
done
wait_until 600 '[ "$(last_seq)" -ge $expected ]'
wait_until 120 '! pgrep -f "register --file $NPO_VAR/stream" >/dev/null'
end=$(last_seq)
check "the stream of $N events ran: $end in province $P" test "$end" -ge "$expected"
kill "$a" 2>/dev/null; wait "$a" 2>/dev/null
sub --out "$NPO_VAR/a.jsonl" --until "$end" --idle 30 2>>"$NPO_VAR/a.err"
check_eq "the subscriber has every event of the province, in order, once" \
    "$(jq -r '.province_seq' "$NPO_VAR/a.jsonl" | paste -sd,)" "$(seq 1 "$end" | paste -sd,)"
check_eq "the same events the public log holds" \
    "$(jq -r '"\(.seq) \(.type) \(.uscc)"' "$NPO_VAR/a.jsonl" | md5sum)" \
    "$(sql "SELECT seq || ' ' || type || ' ' || uscc FROM publication.public_events WHERE province = '$P' ORDER BY province_seq" | md5sum)"
check_eq "none of another province" "$(jq -r 'select(.province != "46") | .uscc' "$NPO_VAR/a.jsonl" | wc -l)" 0

kill "$b" 2>/dev/null; wait "$b" 2>/dev/null
sub --out "$NPO_VAR/b.jsonl" --until "$end" --idle 30 2>>"$NPO_VAR/b.err"
check_match "the snapshot subscriber loaded a snapshot" "$(grep -c '"snapshot":' "$NPO_VAR/b.jsonl")" '^[1-9][0-9]*$'
mirror=$(jq -r 'if .snapshot then "\(.snapshot.uscc) \(.snapshot | tojson)"
               elif .record then "\(.record.uscc) \(.record | tojson)" else empty end' "$NPO_VAR/b.jsonl" \
         | awk '{ last [$1] = $0 } END { for (u in last) print last [u] }' | sort | md5sum)
truth=$(sql "SELECT uscc || chr (9) || doc FROM publication.orgs WHERE left (division, 2) = '$P'" \
        | jq -Rr 'split ("\t") | "\(.[0]) \(.[1] | fromjson | tojson)"' | sort | md5sum)
check_eq "snapshot + stream: identical to the province's public records" "$mirror" "$truth"

sub --division 460105 --out "$NPO_VAR/c.jsonl" --until "$end" --idle 30 2>/dev/null
check_eq "a district subscriber gets its district's events only" \
    "$(jq -r '.division' "$NPO_VAR/c.jsonl" | sort -u)" 460105
check_eq "all of them" "$(wc -l < "$NPO_VAR/c.jsonl")" \
    "$(sql "SELECT count(*) FROM publication.public_events WHERE division = '460105'")"
sub --out "$NPO_VAR/e.jsonl" --until 10 2>/dev/null
check_eq "--until stops there, not at the end of a replayed page" "$(jq -r '.province_seq' "$NPO_VAR/e.jsonl" | paste -sd,)" \
    "$(seq 1 10 | paste -sd,)"
check_match "a district of another province is refused" "$(sub --division 620102 2>&1)" 'not in the province'

# A silent publisher is noticed; the stream resumes when it is back
sub_bg "$NPO_VAR/d.err" --out "$NPO_VAR/d.jsonl" --idle 60
d=$!
wait_until 30 '[ "$(wc -l < "$NPO_VAR/d.jsonl")" -ge "$end" ]'
"$ROOT/deploy/cluster.sh" stop-service publication KILL >/dev/null 2>&1
check "the subscriber notices the silence" wait_until 15 'grep -q "no heartbeat" "$NPO_VAR/d.err"'
make_apps 5 t15late 460105 | $NPOCTL register --file - --approve >/dev/null
check "publication restarts" service_restart publication
check "the subscriber gets the events made meanwhile" \
    wait_until 30 '[ "$(wc -l < "$NPO_VAR/d.jsonl")" = "$(last_seq)" ] && [ "$(last_seq)" -ge $((end + 5)) ]'
kill "$d" 2>/dev/null; wait "$d" 2>/dev/null
check_eq "still each once, in order" "$(jq -r '.province_seq' "$NPO_VAR/d.jsonl" | paste -sd,)" \
    "$(seq 1 "$(last_seq)" | paste -sd,)"
check_eq "no subscriber wrote a refusal" "$(cat "$NPO_VAR"/a.err "$NPO_VAR"/b.err | grep -cv 'no heartbeat' || true)" 0
finish
