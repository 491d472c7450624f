#!/bin/bash
# tests/bench/run.sh - benchmarks (not tests: no pass/fail on timing).
# Each reports a ratio against a reference measured in the same run on the same
# machine, and the results go to docs/PERFORMANCE.md.
#
#   commands: registrations/s (submit + approve: validation, code assignment,
#             organization, outbox) through npo-registry with 8 concurrent
#             npoctl clients, against `pgbench -N -c 8` on the same PostgreSQL.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export NPO_BUILD=${NPO_BUILD:-$ROOT/build}
export NPO_VAR
NPO_VAR=$(mktemp -d /tmp/npo-bench.XXXXXX)
chmod 755 "$NPO_VAR"
export NPO_PORTS=free NPO_LOG_LEVEL=warn
N=${NPO_BENCH_N:-500}          # registrations per client
trap '"$ROOT/deploy/cluster.sh" stop >/dev/null 2>&1; rm -rf "$NPO_VAR"' EXIT
"$ROOT/deploy/cluster.sh" start 2>/dev/null
. "$NPO_VAR/env"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# Reference: pgbench's simple-update transactions, 8 clients, same server
"$PGBIN/pgbench" -i -q -s 8 "$NPO_PG_DSN" >/dev/null 2>&1
pg_tps=$("$PGBIN/pgbench" -N -c 8 -j 2 -T 15 "$NPO_PG_DSN" 2>/dev/null \
         | sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | tail -n 1)

# npo: 8 clients, N registrations each, into 8 authorities
divs=(110101 310115 440106 440305 330106 510104 320106 100000)
for c in $(seq 0 7); do
    for i in $(seq 1 "$N"); do
        printf '{"name":"基准测试%d组织%d号","type":"social_group","authority_division":"%s",' "$c" "$i" "${divs[$c]}"
        printf '"registration_authority":"基准民政局","legal_representative":"法人%d","address":"路%d号"}\n' "$i" "$i"
    done > "$NPO_VAR/apps-$c.jsonl"
done
start=$(date +%s.%N)
for c in $(seq 0 7); do
    "$NPO_BUILD/bin/npoctl" register --file "$NPO_VAR/apps-$c.jsonl" --approve > /dev/null &
done
wait
end=$(date +%s.%N)
total=$((8 * N))
got=$("$PGBIN/psql" "$NPO_PG_DSN" -XtAc "SELECT count(*) FROM registry.organizations")
reg_s=$(echo "$total $start $end" | awk '{ printf "%.0f", $1 / ($3 - $2) }')
ratio=$(echo "$reg_s $pg_tps" | awk '{ printf "%.2f", $1 / $2 }')
when=$(date -u +%Y-%m-%dT%H:%MZ)
machine="$(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(uname -r)"
echo "commands: $reg_s registrations/s ($got registered), pgbench -N: $pg_tps tps, ratio $ratio"

cat > "$ROOT/docs/PERFORMANCE.md" <<EOT
# Performance

Written by \`make bench\` (tests/bench/run.sh); the last run is below. Each
benchmark is a ratio against a reference measured in the same run on the same
machine, because the machine is shared and noisy. Targets are issue 11's.

Last run: $when, $machine, \`make bench\`.

| name | what | reference (same run) | result | ratio | target |
|---|---|---|---|---|---|
| commands | registrations/s through npo-registry (submit + approve: validation, code assignment, organization row, outbox event, relay), 8 npoctl clients × $N | \`pgbench -N -c 8 -j 2 -T 15\` on the same PostgreSQL: $pg_tps tps | $reg_s/s | $ratio× | ≥ 0.5× |

One registration is two commands (submit, then approve), so two registry
transactions plus the outbox relay's read; pgbench -N is one transaction of
three updates and an insert. The registry is single-threaded: the 8 clients
queue on one connection, while pgbench uses 8.

Where it stands: below the target. One registry thread commits one command at
a time, and each registration waits for two durable commits (fsync) in
sequence, so the rate is bound by commit latency, not CPU; pgbench's 8
connections share their fsyncs (group commit). The way to the target (issue
11): let the registry take every command waiting on its socket into one
transaction and answer them all after one commit, and submit + approve in one
command for bulk returns.
EOT
