#!/bin/bash
# docs/openapi.yaml against the routes the gateway serves (npo-gateway
# --routes prints its route table): every route described, with a summary, a
# description and each of its parameters, and no path described that is not
# served. A route added to the gateway without its description fails here.
# The spec's layout is fixed (2-space indent, see its head) so that awk can
# read it without a YAML parser.
. "$(dirname "$0")/../lib.sh"
SPEC=$ROOT/docs/openapi.yaml

routes=$("$BIN/npo-gateway" --routes)
check "the gateway prints its routes" test -n "$routes"
check_eq "the spec describes exactly the paths served" \
    "$(sed -n 's/^  \(\/[^:]*\):$/\1/p' "$SPEC" | sort)" "$(cut -f1 <<< "$routes" | sort)"

# block PATH: the spec's lines for PATH, up to the next path or section
block() {
    awk -v p="  $1:" '$0 == p { on = 1; next } on && /^ ? ?[^ ]/ { exit } on' "$SPEC"
}
# params_in PATH WHERE: the names of PATH's parameters in WHERE (query, path)
params_in() {
    block "$1" | awk -v where="$2" '
        /^        - name: / { name = $3 }
        /^          in: / && name != "" { if ($2 == where) print name; name = "" }' | sort
}
while IFS=$'\t' read -r path params; do
    b=$(block "$path")
    check_match "$path: one get operation" "$(grep -c '^    get:$' <<< "$b")" '^1$'
    check_match "$path: a summary" "$b" '^      summary: .{10,}'
    desc=$(awk '/^      description: /{ on = 1; sub(/^      description: [|>]?-? */, ""); print; next }
                on && /^        / { print; next } on { exit }' <<< "$b" | tr -s ' \n' ' ')
    check_match "$path: a description" "$desc" '[A-Za-z].{40,}'
    check_eq "$path: its query parameters" "$(params_in "$path" query)" \
        "$(tr ',' '\n' <<< "$params" | sed '/^$/d' | sort)"
    check_eq "$path: its path parameters" "$(params_in "$path" path)" \
        "$(grep -o '{[a-z_]*}' <<< "$path" | tr -d '{}' | sort)"
    check_match "$path: its success" "$b" "^        '200':"
done <<< "$routes"

# Every error code the gateway answers with is named in the spec
for code in invalid_uscc invalid_query invalid_org_code invalid_certificate_number \
            invalid_division invalid_request not_found method_not_allowed uri_too_long \
            rate_limited cache_unavailable internal; do
    check_match "the spec names the error $code" "$(cat "$SPEC")" "\\b$code\\b"
done
for header in ETag X-RateLimit-Limit X-RateLimit-Remaining X-RateLimit-Reset Retry-After; do
    check_match "the spec describes the header $header" "$(cat "$SPEC")" "^    $header:"
done
finish
