#!/bin/bash
# Search by name fragment (GET /v1/orgs): ranking, filters, renames on the
# live path; then a 100,000-organization set checked against a brute-force
# scan of publication's records, paged without repeats or gaps.
. "$(dirname "$0")/../lib.sh"

# search_all QUERY: every uscc the search returns, page by page (limit from
# QUERY or the default), one "uscc match" a line; fails on a malformed page
search_all() {
    local cursor="" page
    while :; do
        page=$(curl -sf "$NPO_GATEWAY_URL/v1/orgs?$1${cursor:+&cursor=$cursor}") || return 1
        printf '%s' "$page" | jq -r '.items[] | "\(.uscc) \(.match)"' || return 1
        cursor=$(printf '%s' "$page" | jq -r '.next_cursor // empty')
        [ -n "$cursor" ] || return 0
    done
}
urlq() { jq -rn --arg q "$1" '$q | @uri'; }

# -- The live path: registrations and a rename reach the index
exact=$(make_apps 1 t17a 440106 | sed 's/"name":"[^"]*"/"name":"搜索验证协会"/' \
        | $NPOCTL register --file - --approve | uscc_of)
prefix=$(make_apps 1 t17b 440305 | sed 's/"name":"[^"]*"/"name":"搜索验证协会深圳分会"/' \
        | $NPOCTL register --file - --approve | uscc_of)
contains=$(make_apps 1 t17c 110101 foundation \
           | sed 's/"name":"[^"]*"/"name":"北京搜索验证协会基金"/' \
           | $NPOCTL register --file - --approve | uscc_of)
q=$(urlq 搜索验证协会)
wait_until 10 '[ "$(search_all "q=$q" | wc -l)" = 3 ]'
check_eq "exact, then prefix, then contains" "$(search_all "q=$q" | tr '\n' ' ')" \
    "$exact exact $prefix prefix $contains contains "
page=$(http_get "/v1/orgs?q=$q&limit=1")
check_eq "a page holds limit items" "$(printf '%s' "$page" | jq '.items | length')" 1
check_match "an item shows the public summary" "$page" \
    '"uscc":"'"$exact"'","name":"搜索验证协会","authority_division":"440106","type":"social_group","status":"active","match":"exact"'
check_eq "division filter" "$(search_all "q=$q&division=4403" | cut -d' ' -f1)" "$prefix"
check_eq "type filter" "$(search_all "q=$q&type=foundation" | cut -d' ' -f1)" "$contains"
check_eq "a fragment of two characters" "$(search_all "q=$(urlq 验证)&division=11" | cut -d' ' -f1)" \
    "$contains"
check_eq "outer spaces are ignored" "$(search_all "q=%20$q%20" | wc -l)" 3
$NPOCTL change --uscc "$contains" --set name=北京检索核对基金会 --approve >/dev/null
wait_until 10 '[ "$(search_all "q=$q" | wc -l)" = 2 ]'
check_eq "renamed: gone under the old name" "$(search_all "q=$q" | grep -c "$contains")" 0
check_eq "renamed: found under the new name" "$(search_all "q=$(urlq 检索核对)" | cut -d' ' -f1)" \
    "$contains"
$NPOCTL deregister --uscc "$prefix" --reason 解散 --approve >/dev/null
wait_until 10 '[ "$(search_all "q=$q&status=deregistered" | cut -d" " -f1)" = "$prefix" ]'
check_eq "status filter" "$(search_all "q=$q&status=deregistered" | cut -d' ' -f1)" "$prefix"

# Names of 197 characters: the cursor of a page ending on one still fits
long=$(printf '长%.0s' $(seq 1 195))
for s in 甲 乙; do
    make_apps 1 "t17l$s" 440106 | sed "s/\"name\":\"[^\"]*\"/\"name\":\"$long协$s\"/" \
        | $NPOCTL register --file - --approve >/dev/null
done
wait_until 10 '[ "$(search_all "q=$(urlq 长长)" | wc -l)" = 2 ]'
check_match "a page ending on a long name has a long cursor" \
    "$(http_get "/v1/orgs?q=$(urlq 长长)&limit=1" | jq -r '.next_cursor | length')" '^1[0-9]{3}$'
check_eq "and it takes the search on" "$(search_all "q=$(urlq 长长)&limit=1" | sort -u | wc -l)" 2

# -- Bad queries: 400 with the code, nothing else
code_of() { curl -s "$NPO_GATEWAY_URL$1" | jq -r '.error.code'; }
check_eq "no q: 400" "$(http_code /v1/orgs)" 400
check_eq "a one-character q: invalid_query" "$(code_of "/v1/orgs?q=$(urlq 协)")" invalid_query
check_eq "a 31-character q: invalid_query" \
    "$(code_of "/v1/orgs?q=$(urlq 一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一)")" \
    invalid_query
check_eq "an unknown type: invalid_query" "$(code_of "/v1/orgs?q=$q&type=club")" invalid_query
check_eq "an unknown status: invalid_query" "$(code_of "/v1/orgs?q=$q&status=x")" invalid_query
check_eq "limit 0: invalid_query" "$(code_of "/v1/orgs?q=$q&limit=0")" invalid_query
check_eq "a forged cursor: invalid_query" "$(code_of "/v1/orgs?q=$q&cursor=x1")" invalid_query
check_eq "an odd hex cursor: invalid_query" "$(code_of "/v1/orgs?q=$q&cursor=pabc")" invalid_query
# A cursor made by hand below q starts at q: no name outside the fragment
check_eq "a cursor cannot widen the search" \
    "$(search_all "q=$q&cursor=p61" | cut -d' ' -f1 | sort | tr '\n' ' ')" \
    "$(search_all "q=$q" | cut -d' ' -f1 | sort | tr '\n' ' ')"
check_eq "a NUL in a value: invalid_query" "$(code_of "/v1/orgs?q=$q%00zz")" invalid_query
check_eq "a bad division: invalid_division" "$(code_of "/v1/orgs?q=$q&division=123")" \
    invalid_division
check_eq "not UTF-8: invalid_query" "$(code_of "/v1/orgs?q=%ff%fe")" invalid_query
check_eq "an unknown parameter: invalid_query" "$(code_of "/v1/orgs?q=$q&sort=name")" invalid_query

# -- 100,000 organizations: names from parts, as a national set would have
N=${NPO_SEARCH_N:-100000}
before=$(sql "SELECT count(*) FROM publication.orgs")
w=$(sql "SELECT last FROM publication.public_seq WHERE province = ''")
# Their pub_seq continue the public seq, so the cache's watermark logic holds
sql "UPDATE publication.public_seq SET last = last + $N WHERE province = ''"
sql "INSERT INTO publication.orgs (uscc, division, name, type, status, version, doc,
                                   source_event, pub_seq)
     SELECT u, d, n, t, s, 1,
            json_build_object ('uscc', u, 'name', n, 'authority_division', d, 'type', t,
                               'status', s)::text, 'test17-' || i, $w + i
     FROM (SELECT i, 'T17' || lpad (i::text, 15, '0') AS u,
             (ARRAY['440106','440305','110101','310115','510104','330106'])[1 + i % 6] AS d,
             (ARRAY['广州','深圳','北京','上海','成都','杭州','广东','四川'])[1 + i % 8]
             || (ARRAY['青少年','科技','教育','文化','体育','慈善','环保','养老','医疗',
                       '法律','书法','摄影','企业家','志愿者','旅游'])[1 + (i / 8) % 15]
             || (ARRAY['','发展','促进','研究','交流','服务'])[1 + (i / 120) % 6]
             || (ARRAY['协会','学会','研究会','商会','基金会','服务中心','联合会',
                       '促进会'])[1 + (i / 720) % 8]
             || CASE WHEN i % 97 = 0 THEN '第' || (i % 1000) || '分会' ELSE '' END AS n,
             (ARRAY['social_group','social_service','foundation'])[1 + i % 3] AS t,
             CASE WHEN i % 11 = 0 THEN 'deregistered' ELSE 'active' END AS s
           FROM generate_series (1, $N) i) g"
check_eq "the set is stored" "$(sql "SELECT count(*) FROM publication.orgs")" "$((before + N))"
t0=$(date +%s)
rebuilt=$($NPOCTL --timeout 300000 cache rebuild 2>&1)
check_match "the cache is rebuilt with the set ($(( $(date +%s) - t0 )) s)" "$rebuilt" \
    "\"records\":\"?$((before + N))"

# brute QUERY-FRAGMENT [SQL CONDITION]: the usccs whose name holds the fragment
brute() {
    sql "SELECT uscc FROM publication.orgs WHERE strpos (name, \$\$$1\$\$) > 0 ${2:-} ORDER BY 1"
}
for frag in 科技 广州科技 研究会 体育发展促进会 慈善基金 州青 服务中心 第97分会 年科 深圳医疗协会 \
            养老服务服务中心 不存在的词; do
    search_all "q=$(urlq "$frag")&limit=100" > "$TMP/got"
    cut -d' ' -f1 "$TMP/got" | sort > "$TMP/got.sorted"
    brute "$frag" > "$TMP/want"
    dups=$(uniq -d "$TMP/got.sorted" | wc -l)
    check_eq "'$frag': every match, once ($(wc -l < "$TMP/want") of them)" \
        "$(cmp -s "$TMP/got.sorted" "$TMP/want" && echo same)/$dups" "same/0"
    # Ranks never go back: exact, then prefix, then contains
    check_eq "'$frag': ranked" "$(cut -d' ' -f2 "$TMP/got" \
        | awk '{ r = $1 == "exact"? 0: $1 == "prefix"? 1: 2; if (r < last) bad = 1; last = r }
               END { print bad? "out of order": "ranked" }')" ranked
done
# Filters that leave most candidates out: pages come short, never wrong
search_all "q=$(urlq 协会)&division=4403&type=foundation&status=active&limit=7" \
    | cut -d' ' -f1 | sort > "$TMP/got"
brute 协会 "AND division LIKE '4403%' AND type = 'foundation' AND status = 'active'" \
    > "$TMP/want"
check_eq "filtered: every match, once ($(wc -l < "$TMP/want") of them)" \
    "$(cmp -s "$TMP/got" "$TMP/want" && echo same)/$(uniq -d "$TMP/got" | wc -l)" "same/0"
check_eq "exact matches come first" \
    "$(http_get "/v1/orgs?q=$(urlq 广州青少年协会)&limit=3" | jq -r '[.items[].match] | join(" ")')" \
    "exact exact exact"

# Leave the cluster as it was for the tests after this one
sql "DELETE FROM publication.orgs WHERE source_event LIKE 'test17-%'"
redis FLUSHALL >/dev/null
wait_until 60 '[ "$(redis EXISTS npo:ready)" = 1 ]'
check_eq "the set is gone from the cache" "$(search_all "q=$(urlq 广州科技)" && echo served)" served
check_eq "while the live organizations are still found" "$(search_all "q=$q" | wc -l)" 2
finish
