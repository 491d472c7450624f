# tests/lib.sh - sourced by every tests/e2e/*.sh: the cluster's environment,
# checks that count, and helpers. A test ends with `finish`.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC1091
. "$NPO_VAR/env"
BIN=$NPO_BUILD/bin
NPOCTL=$BIN/npoctl
PSQL=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/psql
TNAME=$(basename "$0" .sh)
TMP=$NPO_VAR/tmp-$TNAME
mkdir -p "$TMP"
PASSED=0
FAILED=0

ok()     { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $1"; [ $# -gt 1 ] && echo "    $2"; return 0; }

# check DESC CMD...: passes when CMD succeeds
check() {
    local desc=$1; shift
    if "$@"; then ok "$desc"; else not_ok "$desc" "command failed: $*"; fi
}
# check_eq DESC ACTUAL EXPECTED
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', expected '$3'"; fi
}
# check_match DESC TEXT REGEX
check_match() {
    if printf '%s' "$2" | grep -qE -- "$3"; then ok "$1"; else not_ok "$1" "'$2' does not match /$3/"; fi
}
check_nomatch() {
    if printf '%s' "$2" | grep -qE -- "$3"; then not_ok "$1" "'$2' matches /$3/"; else ok "$1"; fi
}
finish() {
    echo "$TNAME: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit $?
}

sql() { "$PSQL" "$NPO_PG_DSN" -XtAqc "$1"; }
redis() { redis-cli -p "$NPO_REDIS_PORT" "$@"; }
# http_code PATH: the status of GET PATH
http_code() { curl -s -o /dev/null -w '%{http_code}' "$NPO_GATEWAY_URL$1"; }
http_get() { curl -s "$NPO_GATEWAY_URL$1"; }
uscc_check() { awk -f "$ROOT/tests/lib/uscc.awk"; }

# wait_until SECONDS 'CONDITION': evaluates the shell CONDITION (a string, so
# command substitutions in it run again each time) every 0.1 s until it holds;
# returns its last status.
wait_until() {
    local limit=$(( $1 * 10 ))
    for _ in $(seq 1 "$limit"); do eval "$2" && return 0; sleep 0.1; done
    eval "$2"
}

# make_apps N PREFIX DIVISION [TYPE]: N applications as JSON Lines, with unique
# names and idempotency keys PREFIX-i
make_apps() {
    local n=$1 prefix=$2 div=$3 type=${4:-social_group} i
    for i in $(seq 1 "$n"); do
        printf '{"idempotency_key":"%s-%d","name":"测试%s社会组织%d号","type":"%s",' \
            "$prefix" "$i" "$prefix" "$i" "$type"
        printf '"authority_division":"%s","registration_authority":"测试民政局",' "$div"
        printf '"legal_representative":"法人%d","address":"测试路%d号","registered_capital":"30000",' "$i" "$i"
        printf '"contact_phone":"1380013%04d","business_scope":"测试业务"}\n' "$i"
    done
}

# org_on TAG APPROVED_ON [DIVISION]: registers one organization approved on
# that date (received the same day); prints its code
org_on() {
    make_apps 1 "$1" "${3:-440106}" \
        | sed "s/}\$/,\"received_on\":\"$2\",\"approved_on\":\"$2\"}/" \
        | $NPOCTL register --file - --approve | uscc_of
}

service_restart() { "$ROOT/deploy/cluster.sh" start-service "$1" >/dev/null 2>&1; }

# resid AREA6 BIRTH8 SEQ3: a resident ID number with its GB 11643 check character
resid() {
    echo "$1$2$3" | awk '{
        split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
        s = 0; for (i = 1; i <= 17; i++) s += substr($0, i, 1) * w[i]
        print $0 substr("10X98765432", s % 11 + 1, 1) }'
}
# uscc_of: the uscc in npoctl's JSON output on stdin
uscc_of() { sed -n 's/.*"uscc":"\([0-9A-Z]*\)".*/\1/p'; }
