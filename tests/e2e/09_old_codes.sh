#!/bin/bash
# Organizations registered before 2016: the old organization code and old
# certificate number map to the new code; every certificate number finds its
# organization.
. "$(dirname "$0")/../lib.sh"

uscc=$(make_apps 1 t09 320106 | $NPOCTL register --file - --approve | uscc_of)
other=$(make_apps 1 t09b 320106 | $NPOCTL register --file - --approve | uscc_of)
out=$($NPOCTL old-codes --uscc "$uscc" --org-code D2143569-X --certificate SZ0123456)
check_match "old codes recorded" "$out" '"status":"recorded"'
check_eq "stored without the dash" "$(sql "SELECT old_org_code FROM registry.old_codes WHERE uscc = '$uscc'")" D2143569X
check "found by the old organization code" wait_until 5 \
    '[[ "$(http_get /v1/orgs/by-old-code/D2143569X)" == *"\"uscc\":\"$uscc\""* ]]'
check_match "also as printed, with its dash" "$(http_get /v1/orgs/by-old-code/D2143569-X)" "\"uscc\":\"$uscc\""
check_match "found by the old certificate number" "$(http_get /v1/orgs/by-certificate/SZ0123456)" "\"uscc\":\"$uscc\""
seq=$(sql "SELECT last FROM registry.outbox_seq")
out=$($NPOCTL old-codes --uscc "$uscc" --org-code D2143569X --certificate SZ0123456)
check_match "the same old codes again: answered" "$out" '"status":"recorded"'
check_eq "and nothing recorded twice: no event" \
    "$(sql "SELECT last FROM registry.outbox_seq")" "$seq"
check_match "found by its current certificate number" "$(http_get /v1/orgs/by-certificate/$uscc-1)" "\"uscc\":\"$uscc\""
check_eq "a wrong check character: 400" "$(http_code /v1/orgs/by-old-code/D21435690)" 400
check_match "invalid_org_code" "$(http_get /v1/orgs/by-old-code/D21435690)" '"code":"invalid_org_code"'
check_eq "an unknown old code: 404" "$(http_code /v1/orgs/by-old-code/000000019)" 404
check_eq "an unknown certificate number: 404" "$(http_code /v1/orgs/by-certificate/NOPE-1)" 404
check_eq "a certificate number with other characters: 400" "$(http_code '/v1/orgs/by-certificate/a%20b')" 400
err=$($NPOCTL old-codes --uscc "$other" --org-code D2143569X 2>&1)
check_match "an old code maps to one organization for life" "$err" 'old_code_taken'
err=$($NPOCTL old-codes --uscc "$other" --certificate "$uscc-1" 2>&1)
check_match "a number this register issued cannot be claimed as an old number" "$err" 'invalid_field'
check_match "so it still finds its own organization" "$(http_get /v1/orgs/by-certificate/$uscc-1)" "\"uscc\":\"$uscc\""
err=$($NPOCTL old-codes --uscc "$uscc" --org-code 000000019 2>&1)
check_match "old codes are recorded once" "$err" 'old_codes_differ'
check_match "and the first stays" "$(http_get /v1/orgs/by-old-code/D2143569X)" "\"uscc\":\"$uscc\""
err=$($NPOCTL old-codes --uscc "$other" --org-code D21435690 2>&1)
check_match "a bad old code is refused" "$err" 'invalid_org_code'
check_eq "nothing stored for the other organization" "$(sql "SELECT count(*) FROM registry.old_codes WHERE uscc = '$other'")" 0
redis flushall >/dev/null
check "after FLUSHALL the old code finds it again" wait_until 10 \
    '[[ "$(http_get /v1/orgs/by-old-code/D2143569X)" == *"\"uscc\":\"$uscc\""* ]]'
finish
