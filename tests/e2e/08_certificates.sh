#!/bin/bash
# Registration certificates: issued signed on approval, printed with a QR code
# whose URL verifies; superseded after a change; revoked on deregistration; a
# token altered by one character is forged.
. "$(dirname "$0")/../lib.sh"

uscc=$(make_apps 1 t08 440106 | $NPOCTL register --file - --approve | uscc_of)
cert=$($NPOCTL certificate show "$uscc")
check_match "a certificate is issued on approval" "$cert" "\"number\":\"$uscc-1\""
check_match "valid" "$cert" '"status":"valid"'
check_eq "valid 5 years from the approval date" \
    "$(sql "SELECT valid_to = (valid_from + interval '5 years' - interval '1 day')::date AND valid_from = (SELECT approved_on FROM registry.organizations WHERE uscc = '$uscc') FROM registry.certificates WHERE number = '$uscc-1'")" t
url1=$(echo "$cert" | sed -n 's/.*"verify_url":"\([^"]*\)".*/\1/p')
check_match "with a verification URL on the gateway" "$url1" "^$NPO_GATEWAY_URL/v1/certificates/verify\\?token="
check "the public record names it" wait_until 5 '[[ "$(http_get /v1/orgs/$uscc)" == *"\"number\":\"$uscc-1\""* ]]'
v=$(curl -s "$url1")
check_match "the token verifies as valid" "$v" '"result":"valid","genuine":true'
check_match "for this organization" "$v" "\"uscc\":\"$uscc\""
check_match "showing what was signed, to compare with the paper" "$v" '"name":"测试t08社会组织1号","legal_representative":"法人1"'
check_match "with its validity" "$v" '"valid_from":"[0-9-]{10}","valid_to":"[0-9-]{10}"'

# The printed certificate: a PDF whose QR code holds that URL
out=$($NPOCTL certificate print "$uscc" --out "$TMP/cert.pdf")
check_eq "npoctl certificate print exits 0" "$?" 0
check_eq "it is a PDF" "$(head -c 8 "$TMP/cert.pdf")" "%PDF-1.4"
check_eq "complete" "$(tail -c 6 "$TMP/cert.pdf" | tr -d '\n')" "%%EOF"
pdftoppm -png -r 150 -singlefile "$TMP/cert.pdf" "$TMP/cert" 2>/dev/null
qr=$(zbarimg -q --raw "$TMP/cert.png" 2>/dev/null)
check_eq "the QR code on the rendered page holds the verification URL" "$qr" "$url1"
check_match "and that URL verifies as valid" "$(curl -s "$qr")" '"result":"valid"'
text=$(pdftotext "$TMP/cert.pdf" - 2>/dev/null)
check_match "the page shows the name" "$text" '测试t08社会组织1号'
check_match "and the code" "$text" "$uscc"

# One character altered: forged
token=${url1#*token=}
c=${token:60:1}; r=A; [ "$c" = A ] && r=B
bad="${token:0:60}$r${token:61}"
check_match "a token with one character altered is forged" \
    "$(curl -s "$NPO_GATEWAY_URL/v1/certificates/verify?token=$bad")" '"result":"forged","genuine":false'
check_match "a truncated token is forged" \
    "$(curl -s "$NPO_GATEWAY_URL/v1/certificates/verify?token=${token:0:50}")" '"result":"forged"'
check_eq "no token: 400" "$(http_code /v1/certificates/verify)" 400
check_match "invalid_query" "$(http_get "/v1/certificates/verify?token=$token&x=1")" '"code":"invalid_query"'

# A change of what is printed re-issues it
$NPOCTL change --uscc "$uscc" --set address=天河东路1号 --approve >/dev/null
cert2=$($NPOCTL certificate show "$uscc")
check_match "a change of address re-issues the certificate" "$cert2" "\"number\":\"$uscc-2\""
url2=$(echo "$cert2" | sed -n 's/.*"verify_url":"\([^"]*\)".*/\1/p')
check "the new one verifies as valid" wait_until 5 '[[ "$(curl -s "$url2")" == *"\"result\":\"valid\""* ]]'
check_match "the old one as superseded" "$(curl -s "$url1")" '"result":"superseded","genuine":true'
check_eq "it keeps the validity of the first" \
    "$(sql "SELECT count(DISTINCT valid_to) FROM registry.certificates WHERE uscc = '$uscc'")" 1
$NPOCTL change --uscc "$uscc" --set contact_phone=13800000000 --approve >/dev/null
check_match "a change of something not printed does not" "$($NPOCTL certificate show "$uscc")" "\"number\":\"$uscc-2\""

# Verification survives an emptied cache
redis flushall >/dev/null
check "after FLUSHALL it verifies again" wait_until 10 '[[ "$(curl -s "$url2")" == *"\"result\":\"valid\""* ]]'
check_match "and the old one is still superseded" "$(curl -s "$url1")" '"result":"superseded"'

# Deregistration revokes it
$NPOCTL deregister --uscc "$uscc" --reason 解散 --approve >/dev/null
check "deregistration revokes the certificate" wait_until 5 '[[ "$(curl -s "$url2")" == *"\"result\":\"revoked\""* ]]'
err=$($NPOCTL certificate print "$uscc" --out "$TMP/revoked.pdf" 2>&1)
check_match "a revoked certificate is not printed" "$err" 'revoked: not printed'
check "and no file is left" test ! -e "$TMP/revoked.pdf"
finish
