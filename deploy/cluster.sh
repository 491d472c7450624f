#!/bin/bash
# deploy/cluster.sh - a local npo cluster: PostgreSQL, Redis and every service
#
#   cluster.sh start            start what is not running (safe twice)
#   cluster.sh stop             stop all of it (safe twice)
#   cluster.sh status           what runs, with ports
#   cluster.sh url              print the gateway URL
#   cluster.sh load-sample      register the sample organizations (idempotent)
#   cluster.sh start-service S  start one service (S = registry, publication, ...)
#   cluster.sh stop-service S [SIGNAL]
#   cluster.sh destroy          stop, then delete all state (var/ and its PostgreSQL data)
#
# Settings (environment):
#   NPO_VAR    state directory (default ./var): pg/, redis/, log/, run/, env
#   NPO_PORTS  "fixed" (default: the design's ports) or "free" (random free
#              loopback ports, for tests)
#   NPO_BUILD  build directory with bin/ (default build)
#   NPO_PG_FAST=1  fsync off (tests only: the data is thrown away)
# After start, $NPO_VAR/env holds every NPO_* variable: `. var/env` to reach it.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NPO_VAR=${NPO_VAR:-$ROOT/var}
NPO_PORTS=${NPO_PORTS:-fixed}
NPO_BUILD=${NPO_BUILD:-build}
case "$NPO_BUILD" in /*) BIN=$NPO_BUILD/bin ;; *) BIN=$ROOT/$NPO_BUILD/bin ;; esac
ENVFILE=$NPO_VAR/env
# Start order: producers before their consumers, the gateway last.
SERVICES="registry inspection party credit publication gateway"

log() { printf 'cluster: %s\n' "$*" >&2; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

binary_of() { echo "$BIN/npo-$1"; }

pg_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$d" ] || die "postgresql server not installed: run deploy/deps.sh"
    echo "$d"
}

# PostgreSQL refuses to run as root: as root, run it as the postgres user.
as_pg() {
    # from /, which user postgres can always enter
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port: sets PORT to a free loopback port not handed out before in this
# run (called without $(...), so TAKEN persists).
TAKEN=" "
free_port() {
    local p
    for _ in $(seq 1 200); do
        # below the kernel's ephemeral range (32768+), where outgoing connections live
        p=$(( 10000 + RANDOM % 22000 ))
        case "$TAKEN" in *" $p "*) continue ;; esac
        if port_free "$p"; then TAKEN="$TAKEN$p "; PORT=$p; return; fi
    done
    die "could not find a free port"
}

write_env() {
    mkdir -p "$NPO_VAR"
    local pg redis gw s i base
    if [ "$NPO_PORTS" = free ]; then
        free_port; pg=$PORT; free_port; redis=$PORT; free_port; gw=$PORT
    else
        pg=${NPO_PG_PORT:-7190}; redis=${NPO_REDIS_PORT:-7191}; gw=8080
    fi
    {
        echo "export NPO_VAR='$NPO_VAR'"
        echo "export NPO_PG_PORT=$pg"
        echo "export NPO_PG_DSN='host=127.0.0.1 port=$pg user=npo dbname=npo connect_timeout=5'"
        echo "export NPO_REDIS_HOST=127.0.0.1"
        echo "export NPO_REDIS_PORT=$redis"
        echo "export NPO_GATEWAY_HTTP=127.0.0.1:$gw"
        echo "export NPO_GATEWAY_URL=http://127.0.0.1:$gw"
        echo "export NPO_CERT_MASTER_KEY_FILE='$NPO_VAR/keys/cert-master.key'"
        echo "export NPO_QUALITY_KEY_FILE='$NPO_VAR/keys/quality.key'"
        i=0
        for s in registry inspection party credit publication; do
            i=$((i + 1))
            if [ "$NPO_PORTS" = free ]; then
                free_port; echo "export NPO_${s^^}_ROUTER=tcp://127.0.0.1:$PORT"
                free_port; echo "export NPO_${s^^}_PUB=tcp://127.0.0.1:$PORT"
            else
                base=$((7091 + 10 * i))
                echo "export NPO_${s^^}_ROUTER=tcp://127.0.0.1:$base"
                echo "export NPO_${s^^}_PUB=tcp://127.0.0.1:$((base + 1))"
            fi
        done
    } > "$ENVFILE.tmp"
    mv "$ENVFILE.tmp" "$ENVFILE"
}

load_env() {
    [ -f "$ENVFILE" ] || write_env
    # shellcheck disable=SC1090
    . "$ENVFILE"
    # Settings added since the file was written
    if [ -z "${NPO_CERT_MASTER_KEY_FILE:-}" ]; then
        echo "export NPO_CERT_MASTER_KEY_FILE='$NPO_VAR/keys/cert-master.key'" >> "$ENVFILE"
        export NPO_CERT_MASTER_KEY_FILE="$NPO_VAR/keys/cert-master.key"
    fi
    if [ -z "${NPO_QUALITY_KEY_FILE:-}" ]; then
        echo "export NPO_QUALITY_KEY_FILE='$NPO_VAR/keys/quality.key'" >> "$ENVFILE"
        export NPO_QUALITY_KEY_FILE="$NPO_VAR/keys/quality.key"
    fi
}

# running PID: the process exists and is not a zombie waiting to be reaped
running() {
    kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# alive PIDFILE NAME: the pid in PIDFILE runs a program whose command line
# holds NAME (a pid reused after a reboot is not ours)
alive() {
    local pid
    [ -f "$1" ] || return 1
    pid=$(cat "$1")
    running "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

# The data directory, as a path user postgres can reach: var/pg, or where
# var/pg links to when the checkout is not reachable for that user.
pg_data() { readlink -f "$NPO_VAR/pg"; }
pg_log() { echo "$(dirname "$(pg_data)")/$(basename "$(pg_data)").log"; }

start_pg() {
    local bindir pgdata
    bindir=$(pg_bindir)
    if [ -f "$NPO_VAR/pg/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$(pg_data)" status >/dev/null 2>&1; then
        log "postgresql already running on port $NPO_PG_PORT"
        return
    fi
    if [ ! -e "$NPO_VAR/pg" ]; then
        # The postgres user must reach its data directory and log; when the
        # checkout is not traversable for it (under /root, say), both live in
        # /var/tmp and var/pg links there.
        if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$NPO_VAR/"; then
            local alt
            alt=$(mktemp -d /var/tmp/npo-pg.XXXXXX)
            chmod 755 "$alt"
            mkdir "$alt/pg"
            chown postgres "$alt/pg"
            ln -s "$alt/pg" "$NPO_VAR/pg"
            log "data directory $alt/pg (the checkout is not reachable for user postgres)"
        else
            mkdir -p "$NPO_VAR/pg"
            [ "$(id -u)" -eq 0 ] && chown postgres "$NPO_VAR/pg"
        fi
        chmod 700 "$(pg_data)"
        as_pg "$bindir/initdb" -D "$(pg_data)" -U npo --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$NPO_VAR/log/initdb.log" 2>&1 \
            || die "initdb failed: see $NPO_VAR/log/initdb.log"
    fi
    pgdata=$(pg_data)
    local opts="-p $NPO_PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories="
    opts="$opts -c max_connections=200 -c shared_buffers=256MB"
    # terse: a unique violation's DETAIL would write the key (an ID number)
    # into the server log (statements are parameterized: no values in them)
    opts="$opts -c log_error_verbosity=terse"
    [ "${NPO_PG_FAST:-0}" = 1 ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    # The server log sits beside the data directory (reachable by postgres);
    # var/log/postgresql.log points to it.
    touch "$(pg_log)"
    [ "$(id -u)" -eq 0 ] && chown postgres "$(pg_log)"
    ln -sfn "$(pg_log)" "$NPO_VAR/log/postgresql.log"
    as_pg "$bindir/pg_ctl" -D "$pgdata" -l "$(pg_log)" -o "$opts" -w -t 60 start >/dev/null \
        || die "postgresql did not start: see $(pg_log)"
    if ! "$bindir/psql" "host=127.0.0.1 port=$NPO_PG_PORT user=npo dbname=postgres" -tAc \
            "SELECT 1 FROM pg_database WHERE datname = 'npo'" | grep -q 1; then
        "$bindir/psql" "host=127.0.0.1 port=$NPO_PG_PORT user=npo dbname=postgres" -qc "CREATE DATABASE npo" \
            || die "could not create database npo"
    fi
    log "postgresql on 127.0.0.1:$NPO_PG_PORT"
}

start_redis() {
    if alive "$NPO_VAR/run/redis.pid" redis-server; then
        log "redis already running on port $NPO_REDIS_PORT"
        return
    fi
    mkdir -p "$NPO_VAR/redis"
    redis-server --bind 127.0.0.1 --port "$NPO_REDIS_PORT" --daemonize yes \
        --pidfile "$NPO_VAR/run/redis.pid" --logfile "$NPO_VAR/log/redis.log" \
        --dir "$NPO_VAR/redis" --save "" --appendonly no >/dev/null \
        || die "redis did not start: see $NPO_VAR/log/redis.log"
    for _ in $(seq 1 50); do
        redis-cli -p "$NPO_REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    log "redis on 127.0.0.1:$NPO_REDIS_PORT"
}

# Waits until a started service answers (gateway: /healthz; others: ping).
# The pid was just started by us, so "running" is the test: its command
# line is the shell's until the exec, and "alive" would call that dead.
wait_ready() {
    local s=$1 pid
    pid=$(cat "$NPO_VAR/run/$s.pid")
    for _ in $(seq 1 100); do
        running "$pid" || die "$s exited at start: see $NPO_VAR/log/$s.log"
        if [ "$s" = gateway ]; then
            curl -fsS -o /dev/null "$NPO_GATEWAY_URL/healthz" 2>/dev/null && return
        elif "$BIN/npoctl" ping "$s" >/dev/null 2>&1; then
            return
        fi
        sleep 0.1
    done
    die "$s did not become ready: see $NPO_VAR/log/$s.log"
}

start_service() {
    local s=$1 bin
    bin=$(binary_of "$s")
    [ -x "$bin" ] || return 0
    if alive "$NPO_VAR/run/$s.pid" "npo-$s"; then
        log "$s already running"
        return
    fi
    # setsid: a service outlives the shell that started it
    setsid "$bin" >>"$NPO_VAR/log/$s.log" 2>&1 < /dev/null &
    echo $! > "$NPO_VAR/run/$s.pid"
    wait_ready "$s"
    log "$s started (pid $(cat "$NPO_VAR/run/$s.pid"))"
}

# stop_pidfile NAME PIDFILE PROGRAM [SIGNAL]
stop_pidfile() {
    local name=$1 file=$2 prog=$3 sig=${4:-TERM} pid
    alive "$file" "$prog" || { rm -f "$file"; return 0; }
    pid=$(cat "$file")
    kill -s "$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        running "$pid" || break
        sleep 0.05
    done
    if running "$pid"; then
        log "$name did not stop on $sig; killing"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.1
    fi
    rm -f "$file"
}

stop_all() {
    [ -d "$NPO_VAR" ] || return 0
    local s rev=""
    for s in $SERVICES; do rev="$s $rev"; done
    for s in $rev; do stop_pidfile "$s" "$NPO_VAR/run/$s.pid" "npo-$s"; done
    stop_pidfile redis "$NPO_VAR/run/redis.pid" redis-server
    if [ -f "$NPO_VAR/pg/postmaster.pid" ]; then
        as_pg "$(pg_bindir)/pg_ctl" -D "$(pg_data)" -m fast -w stop >/dev/null \
            || log "could not stop postgresql (data in $(pg_data))"
    fi
    log "stopped"
}

cmd=${1:-}
case "$cmd" in
    start)
        mkdir -p "$NPO_VAR/log" "$NPO_VAR/run"
        [ -x "$BIN/npoctl" ] || die "not built: run make"
        load_env
        # The secret the authorities' certificate keys derive from (development
        # only: production signs with per-authority keys in an HSM)
        # and the one findings name a person's record by (docs/import.md 6.4)
        for key in cert-master quality; do
            if [ ! -s "$NPO_VAR/keys/$key.key" ]; then
                (umask 077; mkdir -p "$NPO_VAR/keys"
                 head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' > "$NPO_VAR/keys/$key.key")
            fi
        done
        start_pg
        start_redis
        for s in $SERVICES; do start_service "$s"; done
        ;;
    stop)
        stop_all
        ;;
    destroy)
        stop_all
        if [ -L "$NPO_VAR/pg" ]; then rm -rf "$(dirname "$(pg_data)")"; fi
        rm -rf "$NPO_VAR"
        log "removed $NPO_VAR"
        ;;
    start-service)
        load_env; start_service "$2" ;;
    stop-service)
        load_env; stop_pidfile "$2" "$NPO_VAR/run/$2.pid" "npo-$2" "${3:-TERM}" ;;
    status)
        load_env
        for s in $SERVICES; do
            [ -x "$(binary_of "$s")" ] || continue
            if alive "$NPO_VAR/run/$s.pid" "npo-$s"; then echo "$s: running"; else echo "$s: stopped"; fi
        done
        ;;
    url)
        load_env
        echo "npo is running: $NPO_GATEWAY_URL"
        if [ -s "$NPO_VAR/sample-codes.txt" ]; then
            echo "  try:  curl $NPO_GATEWAY_URL/v1/orgs/$(head -n 1 "$NPO_VAR/sample-codes.txt")"
        fi
        echo "  npoctl: . $ENVFILE; $BIN/npoctl --help"
        echo "  stop:   make stop"
        ;;
    load-sample)
        load_env
        # Idempotency keys in the file: loading twice registers nothing new.
        "$BIN/npoctl" register --file "$ROOT/deploy/sample/applications.jsonl" --approve \
            | sed -n 's/.*"uscc":"\([0-9A-Z]*\)".*/\1/p' > "$NPO_VAR/sample-codes.txt"
        log "sample organizations registered: $(wc -l < "$NPO_VAR/sample-codes.txt")"
        ;;
    *)
        sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
        [ -z "$cmd" ] || [ "$cmd" = --help ] || [ "$cmd" = -h ] || exit 2
        ;;
esac
