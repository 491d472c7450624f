#!/bin/bash
# Every gateway route: its success and each error it can answer, with the
# JSON error code; HTTP caching (ETag, If-None-Match, 304); the rate limit
# per client address; strict input (parameters, UTF-8, sizes).
. "$(dirname "$0")/../lib.sh"

# expect DESC PATH STATUS [CODE]: GET PATH answers STATUS (and error CODE)
expect() {
    local body status
    body=$(curl -s -w '\n%{http_code}' "$NPO_GATEWAY_URL$2")
    status=${body##*$'\n'}
    body=${body%$'\n'*}
    if [ $# -ge 4 ]; then
        check_eq "$1: $3 $4" "$status $(printf '%s' "$body" | jq -r '.error.code')" "$3 $4"
    else
        check_eq "$1: $3" "$status" "$3"
    fi
}
headers() { curl -s -D - -o /dev/null "$@" | tr -d '\r'; }

# One organization with every kind of public data the routes serve
uscc=$(make_apps 1 t18 440106 | sed 's/"name":"[^"]*"/"name":"接口测试协会"/' \
       | $NPOCTL register --file - --approve | uscc_of)
$NPOCTL old-codes --uscc "$uscc" --org-code 34567890-9 --certificate GD-T18-1 >/dev/null
cert=$($NPOCTL certificate show "$uscc")
token=$(jq -r '.token' <<< "$cert")
number=cert:$(jq -r '.number' <<< "$cert")        # the token's certificate, in Redis
unknown=53100000500019795A      # valid (tests/lib/uscc.awk), never registered here
check_eq "the unknown code is valid" "$(echo $unknown | uscc_check)" "$unknown ok"
wait_until 10 '[ "$(http_code /v1/orgs/by-old-code/345678909)" = 200 ]'

# -- Each route: success, then its errors
expect "record" "/v1/orgs/$uscc" 200
expect "record: a bad check character" "/v1/orgs/${uscc%?}0" 400 invalid_uscc
expect "record: too short" "/v1/orgs/5144" 400 invalid_uscc
expect "record: unknown" "/v1/orgs/$unknown" 404 not_found
expect "record: a parameter" "/v1/orgs/$uscc?x=1" 400 invalid_query
for h in changes inspections evaluations penalties; do
    expect "$h" "/v1/orgs/$uscc/$h" 200
    check_eq "$h: a JSON array" "$(http_get "/v1/orgs/$uscc/$h" | jq -r 'type')" array
    expect "$h: a bad code" "/v1/orgs/ABC/$h" 400 invalid_uscc
    expect "$h: unknown" "/v1/orgs/$unknown/$h" 404 not_found
    expect "$h: a parameter" "/v1/orgs/$uscc/$h?limit=1" 400 invalid_query
done
expect "by old code" "/v1/orgs/by-old-code/34567890-9" 200
expect "by old code: bad" "/v1/orgs/by-old-code/345678900" 400 invalid_org_code
expect "by old code: unknown" "/v1/orgs/by-old-code/000000019" 404 not_found
expect "by certificate (old)" "/v1/orgs/by-certificate/GD-T18-1" 200
expect "by certificate (current)" "/v1/orgs/by-certificate/$uscc-1" 200
expect "by certificate: bad" "/v1/orgs/by-certificate/a%2Fb" 400 invalid_certificate_number
expect "by certificate: unknown" "/v1/orgs/by-certificate/NONE-1" 404 not_found
expect "search" "/v1/orgs?q=%E6%8E%A5%E5%8F%A3%E6%B5%8B%E8%AF%95" 200
check_match "search finds it" "$(http_get "/v1/orgs?q=%E6%8E%A5%E5%8F%A3%E6%B5%8B%E8%AF%95")" \
    "\"uscc\":\"$uscc\""
expect "search: no q" "/v1/orgs?division=44" 400 invalid_query
expect "search: a bad division" "/v1/orgs?q=%E6%8E%A5%E5%8F%A3&division=4" 400 invalid_division
for l in abnormal serious; do
    expect "$l list" "/v1/lists/$l?division=44&limit=5" 200
    check_eq "$l list: a page" "$(http_get "/v1/lists/$l" | jq -r '.items | type')" array
    expect "$l list: limit 101" "/v1/lists/$l?limit=101" 400 invalid_query
    expect "$l list: a bad cursor" "/v1/lists/$l?cursor=abc" 400 invalid_query
    expect "$l list: a bad division" "/v1/lists/$l?division=44a" 400 invalid_division
done
expect "list: another kind" "/v1/lists/watch" 404 not_found
expect "verify" "/v1/verify?uscc=$uscc&name=%E6%8E%A5%E5%8F%A3%E6%B5%8B%E8%AF%95%E5%8D%8F%E4%BC%9A" 200
check_match "verify: genuine, in good standing" \
    "$(http_get "/v1/verify?uscc=$uscc&name=%E6%8E%A5%E5%8F%A3%E6%B5%8B%E8%AF%95%E5%8D%8F%E4%BC%9A")" \
    '"genuine":true.*"good_standing":true'
check_match "verify: an unknown code is not genuine" "$(http_get "/v1/verify?uscc=$unknown")" \
    '"genuine":false.*"reason":"not_registered"'
check_match "verify: another name is not genuine, nor in good standing" \
    "$(http_get "/v1/verify?uscc=$uscc&name=%E5%88%AB%E5%90%8D")" \
    '"genuine":false,.*"good_standing":false,"reason":"name_mismatch"'
expect "verify: no uscc" "/v1/verify?name=x" 400 invalid_uscc
expect "verify: a name twice" "/v1/verify?uscc=$uscc&name=a&name=b" 400 invalid_query
expect "certificate verify" "/v1/certificates/verify?token=$token" 200
check_match "certificate verify: valid" "$(http_get "/v1/certificates/verify?token=$token")" \
    '"result":"valid","genuine":true'
check_match "certificate verify: a malformed token is forged" \
    "$(http_get "/v1/certificates/verify?token=abc")" '"result":"forged"'
expect "certificate verify: no token" "/v1/certificates/verify" 400 invalid_query
wait_until 10 '[ "$(http_code "/v1/stats?division=44")" = 200 ]'    # (written every 5 s)
expect "stats" "/v1/stats?division=44" 200
expect "stats: a bad division" "/v1/stats?division=4401011" 400 invalid_division
expect "stats: another parameter" "/v1/stats?type=foundation" 400 invalid_query
expect "healthz" "/healthz" 200
expect "healthz: a parameter" "/healthz?verbose=1" 400 invalid_query
expect "metrics" "/metrics" 200
expect "an unknown path" "/v2/orgs" 404 not_found
expect "an empty segment" "/v1/orgs//changes" 404 not_found
check_eq "POST: 405 method_not_allowed" \
    "$(curl -s -X POST "$NPO_GATEWAY_URL/v1/stats" | jq -r .error.code)" method_not_allowed
check_match "405 says what is allowed" "$(headers -X PUT "$NPO_GATEWAY_URL/v1/stats")" \
    'Allow: GET, HEAD'
check_eq "a 5000-byte target: 414 uri_too_long" \
    "$(curl -s "$NPO_GATEWAY_URL/v1/orgs?q=$(head -c 5000 /dev/zero | tr '\0' a)" \
       | jq -r .error.code)" uri_too_long
check_eq "a target that is not a path: 400 invalid_request" \
    "$(curl -s --request-target '*' "$NPO_GATEWAY_URL/" | jq -r .error.code)" invalid_request

# -- Strict input
expect "a value that is not UTF-8" "/v1/verify?uscc=$uscc&name=%C3%28" 400 invalid_query
expect "a control character in a value" "/v1/verify?uscc=$uscc&name=a%01b" 400 invalid_query
expect "a malformed query" "/v1/stats?division=44&&=" 400 invalid_query
expect "a value over 1,700 bytes" "/v1/orgs?q=ab&cursor=p$(head -c 1700 /dev/zero | tr '\0' a)" \
    400 invalid_query
expect "a cursor of 1,699 bytes" "/v1/orgs?q=ab&cursor=p$(head -c 1698 /dev/zero | tr '\0' a)" 200
expect "a NUL in a value" "/v1/verify?uscc=$uscc%00junk" 400 invalid_query
big=$(head -c 9000 /dev/zero | tr '\0' a)
status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$NPO_GATEWAY_URL/healthz")
check_match "headers over 8 KiB are refused ($status)" "$status" '^4[0-9][0-9]$'
status=$(head -c 10000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -X GET \
         --data-binary @- "$NPO_GATEWAY_URL/healthz")
check_match "a body over 4 KiB is refused ($status)" "$status" '^4[0-9][0-9]$'
expect "and the gateway still serves" "/v1/orgs/$uscc" 200

# -- Caching: ETag, If-None-Match, 304
h=$(headers "$NPO_GATEWAY_URL/v1/orgs/$uscc")
etag=$(printf '%s' "$h" | sed -n 's/^ETag: //p')
check_match "a record has an ETag" "$etag" '^"[0-9a-f]{16}"$'
check_match "and may be cached" "$h" 'Cache-Control: public, max-age=60'
check_eq "the same tag again" "$(headers "$NPO_GATEWAY_URL/v1/orgs/$uscc" | sed -n 's/^ETag: //p')" \
    "$etag"
check_eq "If-None-Match with it: 304" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
       "$NPO_GATEWAY_URL/v1/orgs/$uscc")" 304
check_eq "304 has no body" \
    "$(curl -s -H "If-None-Match: W/$etag, \"x\"" "$NPO_GATEWAY_URL/v1/orgs/$uscc" | wc -c)" 0
check_eq "another tag: 200" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "0000000000000000"' \
       "$NPO_GATEWAY_URL/v1/orgs/$uscc")" 200
$NPOCTL change --uscc "$uscc" --set address=接口路2号 --approve >/dev/null
wait_until 10 '[[ "$(http_get /v1/orgs/$uscc)" == *接口路2号* ]]'
check_eq "a changed record: 200 with a new tag" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
       "$NPO_GATEWAY_URL/v1/orgs/$uscc")" 200
for p in "/v1/orgs/$uscc/changes" "/v1/lists/abnormal" "/v1/stats" \
         "/v1/orgs?q=%E6%8E%A5%E5%8F%A3"; do
    check_match "$p has an ETag" "$(headers "$NPO_GATEWAY_URL$p")" 'ETag: "'
done
check_nomatch "a verification is not cached" "$(headers "$NPO_GATEWAY_URL/v1/verify?uscc=$uscc")" \
    'ETag|public'
check_nomatch "nor is an error" "$(headers "$NPO_GATEWAY_URL/v1/orgs/ABC")" 'ETag|public'

# -- A gateway of its own: a rate limit, then Redis out of reach
# start_gateway ENV...: a gateway on a free port; sets GW (URL) and GW_PID
start_gateway() {
    : > "$TMP/gw.log"
    ( exec env NPO_GATEWAY_HTTP=127.0.0.1:0 "$@" "$BIN/npo-gateway" 2>"$TMP/gw.log" ) &
    GW_PID=$!
    wait_until 10 'grep -q "listening on" "$TMP/gw.log"'
    GW=$(sed -n 's/.*listening on \(http:[^"]*\)".*/\1/p' "$TMP/gw.log" | head -n 1)
    wait_until 10 '[[ "$(curl -s $GW/healthz)" == *"\"redis\":\"up\""* ]]'
}
stop_gateway() { kill "$GW_PID"; wait "$GW_PID"; }
start_gateway NPO_GATEWAY_RATE=1 NPO_GATEWAY_BURST=3
h=$(headers "$GW/v1/orgs/$uscc")
check_match "a limited answer says the limit" "$h" 'X-RateLimit-Limit: 3'
check_match "and what remains" "$h" 'X-RateLimit-Remaining: 2'
check_match "and when it is full again" "$h" 'X-RateLimit-Reset: [1-9]'
curl -s -o /dev/null "$GW/v1/orgs/$uscc"
curl -s -o /dev/null "$GW/v1/orgs/$uscc"
h=$(headers "$GW/v1/orgs/$uscc")
check_match "over the burst: 429" "$h" '^HTTP/1.1 429 Too Many Requests'
check_match "with Retry-After" "$h" 'Retry-After: [1-9]'
check_match "and no requests left" "$h" 'X-RateLimit-Remaining: 0'
check_eq "the error code" "$(curl -s "$GW/v1/stats" | jq -r .error.code)" rate_limited
check_eq "health probes are never limited" "$(curl -s -o /dev/null -w '%{http_code}' "$GW/healthz")" 200
sleep 2.1
check_eq "after Retry-After it serves again" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$GW/v1/orgs/$uscc")" 200
stop_gateway
start_gateway NPO_GATEWAY_RATE=0 NPO_REDIS_PORT=1
h=$(headers "$GW/v1/orgs/$uscc")
check_match "Redis out of reach: 503" "$h" '^HTTP/1.1 503'
check_match "503 says when to retry" "$h" 'Retry-After: 1'
check_eq "cache_unavailable" "$(curl -s "$GW/v1/orgs?q=%E6%8E%A5%E5%8F%A3" | jq -r .error.code)" \
    cache_unavailable
check_match "unlimited: no rate headers" "$(headers "$GW/v1/stats")" '^HTTP/1.1 503'
check_nomatch "unlimited: none" "$(headers "$GW/v1/stats")" 'X-RateLimit'
stop_gateway

# -- A record the cache holds damaged: 500 internal, and the gateway goes on
redis SET "org:$unknown" 'not json' >/dev/null
expect "a damaged record in the cache" "/v1/verify?uscc=$unknown" 500 internal
redis DEL "org:$unknown" >/dev/null
expect "and the next request is served" "/v1/verify?uscc=$uscc" 200
saved=$(redis --raw GET "$number")
redis SET "$number" '{"canonical":"damaged"}' >/dev/null
expect "a damaged certificate in the cache: no verdict" "/v1/certificates/verify?token=$token" \
    500 internal
redis SET "$number" "$saved" >/dev/null
expect "and with it mended, a verdict again" "/v1/certificates/verify?token=$token" 200
m=$(http_get /metrics)
for code in invalid_uscc invalid_query invalid_org_code invalid_certificate_number \
            invalid_division invalid_request not_found method_not_allowed uri_too_long internal; do
    check_match "metrics count $code" "$m" "npo_http_errors_total\\{code=\"$code\"\\} [1-9]"
done
check_match "metrics count 304s" "$m" 'npo_http_requests_total\{route="org",code="304"\} [1-9]'
finish
