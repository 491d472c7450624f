#!/bin/bash
# Garbage on the registry's ROUTER gets an error reply; the service keeps
# serving; nothing is written.
. "$(dirname "$0")/../lib.sh"
RAW=$BIN/npo-rawsend
before=$(sql "SELECT (SELECT count(*) FROM registry.applications) || '/' || (SELECT last FROM registry.outbox_seq)")

out=$(head -c 300 /dev/urandom | $RAW "$NPO_REGISTRY_ROUTER")
check_match "random bytes: bad_request malformed_request" "$out" '^1 malformed_request$'
out=$(printf 'hello' | $RAW "$NPO_REGISTRY_ROUTER" --bare)
check_match "bytes without a delimiter: malformed_request" "$out" '^1 malformed_request$'
out=$(printf 'abc' | $RAW "$NPO_REGISTRY_ROUTER" --frames 3)
check_match "too many frames: malformed_request" "$out" '^1 malformed_request$'
out=$(printf '' | $RAW "$NPO_REGISTRY_ROUTER")
check_match "an empty request: unknown_command" "$out" '^1 unknown_command$'
# A field 2 (actor) of wire type 2 with a length past the end
out=$(printf '\x12\x7fabc' | $RAW "$NPO_REGISTRY_ROUTER")
check_match "a truncated protobuf: malformed_request" "$out" '^1 malformed_request$'
# A request id that is not UTF-8 (field 1 = 0xff, then a ping)
out=$(printf '\x0a\x01\xff\x52\x00' | $RAW "$NPO_REGISTRY_ROUTER")
check_match "a request id that is not UTF-8: malformed_request" "$out" '^1 malformed_request$'
# Not even ZMTP: raw TCP bytes
port=${NPO_REGISTRY_ROUTER##*:}
for _ in 1 2 3; do
    head -c 4096 /dev/urandom > "/dev/tcp/127.0.0.1/$port" 2>/dev/null
done
# A message over ZMQ_MAXMSGSIZE is dropped by libzmq with the connection
head -c 5000000 /dev/zero | $RAW "$NPO_REGISTRY_ROUTER" >/dev/null
check_match "the registry still answers" "$($NPOCTL ping registry)" '"service":"registry"'
check "the registry process is alive" kill -0 "$(cat "$NPO_VAR/run/registry.pid")"
after=$(sql "SELECT (SELECT count(*) FROM registry.applications) || '/' || (SELECT last FROM registry.outbox_seq)")
check_eq "nothing was written" "$after" "$before"
out=$(make_apps 1 t05 110101 | $NPOCTL register --file - --approve)
check_match "and registers as before" "$out" '"status":"approved"'
finish
