#!/bin/bash
# tests/run.sh [NAME...] - sets up a private cluster on free loopback ports
# (PostgreSQL, Redis, every service) and runs every test against it: the
# common/ self-tests, then each tests/e2e/*.sh (or those whose names contain
# one of the NAME arguments). Prints "N passed, N failed" and exits 1 on any
# failure, keeping the cluster's logs for a look.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NPO_BUILD=${NPO_BUILD:-build}
case "$NPO_BUILD" in /*) ;; *) NPO_BUILD=$ROOT/$NPO_BUILD ;; esac
export NPO_VAR
NPO_VAR=$(mktemp -d /tmp/npo-test.XXXXXX)
chmod 755 "$NPO_VAR"
export NPO_PORTS=free NPO_PG_FAST=1
# Tests run the inspection and credit sweeps themselves, with as-of dates
export NPO_INSPECTION_DAILY_SWEEP=0 NPO_CREDIT_DAILY_SWEEP=0
# Tests fire requests from one address faster than a client may: the limit
# is tested on a gateway of its own (tests/e2e/18_http.sh)
export NPO_GATEWAY_RATE=0
# ASan: report leaks at exit too, and never continue after an error
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
cleanup() {
    "$ROOT/deploy/cluster.sh" stop >/dev/null 2>&1
    # Sanitizer reports in any service log fail the run
    if grep -lE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$NPO_VAR"/log/*.log \
            >/dev/null 2>&1; then
        echo "sanitizer reports in: $(grep -lE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$NPO_VAR"/log/*.log | tr '\n' ' ')"
        failed=$((failed + 1))
    fi
    echo
    echo "tests: $passed passed, $failed failed"
    if [ "$failed" -eq 0 ]; then
        rm -rf "$NPO_VAR"
    else
        echo "logs kept in $NPO_VAR/log"
        for f in "$NPO_VAR"/log/*.log; do
            echo "--- tail of $f"; tail -n 15 "$f"
        done
    fi
    # The trap's own exit status is the script's: a sanitizer report found
    # here must fail the run.
    exit $(( failed > 0 ))
}
trap cleanup EXIT

# Adds the counts of a "... N passed, N failed" line in file $1 (or one failure
# when the test printed none, or exited non-zero without counting it).
count() {
    local line p f
    line=$(grep -oE '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        echo "  (no result line: counted as one failure)"
        failed=$((failed + 1)); return
    fi
    p=${line%% passed*}
    f=${line##*, }; f=${f%% failed}
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); fi
}

if ! "$ROOT/deploy/cluster.sh" start; then
    echo "could not start the test cluster"
    failed=1
    exit 1
fi
# shellcheck disable=SC1091
. "$NPO_VAR/env"

wanted() {
    [ $# -eq 1 ] && return 0
    local name=$1; shift
    for w in "$@"; do case "$name" in *"$w"*) return 0 ;; esac; done
    return 1
}

if wanted selftest "$@"; then
    echo "== selftest"
    "$NPO_BUILD/bin/npo-selftest" -v > "$NPO_VAR/log/test-selftest.out" 2>&1
    rc=$?
    grep -vE '^\{"ts"' "$NPO_VAR/log/test-selftest.out"
    count "$NPO_VAR/log/test-selftest.out" $rc
fi
for t in "$ROOT"/tests/e2e/*.sh; do
    name=$(basename "$t" .sh)
    wanted "$name" "$@" || continue
    echo "== $name"
    bash "$t" > "$NPO_VAR/log/test-$name.out" 2>&1
    rc=$?
    cat "$NPO_VAR/log/test-$name.out"
    count "$NPO_VAR/log/test-$name.out" $rc
done
[ "$failed" -eq 0 ]
