#!/bin/bash
# The credit lists, applied by rule (DOMAIN.md, "Credit rules"), driven with
# as-of dates across years: each ground of both lists, the facts that trigger
# it, the listing made, and its removal (automatic, on application, or
# refused with the rule's reason). Then the public side, restarts, a
# person's fundraising penalty kept private, and credit restarted during a
# stream of inspection events.
. "$(dirname "$0")/../lib.sh"

today=$(TZ=Asia/Shanghai date +%F)
this_year=${today%%-*}
Y0=$((this_year - 6))              # the story starts in Y0; its last date is 1 June of this_year - 1
d() { echo "$((Y0 + $1))-$2"; }    # d YEARS MM-DD: a date YEARS after Y0

org() { org_on "t12$1" "$2" "${3:-440106}"; }
known() { wait_until 10 "[ \"\$(sql \"SELECT count(*) FROM credit.orgs WHERE uscc = '$1'\")\" = 1 ]"; }
# penalty USCC NUMBER RESULT DATE [EXTRA_JSON]
penalty() {
    printf '{"uscc":"%s","penalty_name":"行政处罚","decision_number":"%s","facts":"违反登记管理规定",
      "legal_basis":"《社会团体登记管理条例》第三十条","result":"%s","authority":"广州市天河区民政局",
      "decided_on":"%s"%s}' "$1" "$2" "$3" "$4" "${5:-}" | $NPOCTL penalty record --file - 2>&1
}
sweep() { $NPOCTL credit sweep --as-of "$1"; }
# open LIST GROUND USCC: the open listing's id, or nothing
open_listing() { sql "SELECT id FROM credit.listings WHERE uscc = '$3' AND list = '$1' AND ground = $2 AND removed_on IS NULL"; }
# listing ID: list, ground, listed_on, removed_on, removal
listing() { sql "SELECT list, ground, listed_on, coalesce (removed_on::text, '-'), coalesce (removal, '-') FROM credit.listings WHERE id = $1"; }
remove() { $NPOCTL list remove --listing "$1" --reason "$2" --on "$3" 2>&1; }

N1=$(org n1 "$((Y0 - 3))-01-10")   # does not file Y0; files late, removed on application
N2=$(org n2 "$((Y0 - 3))-01-10")   # does not file Y0; two years on: the serious list
late=$(d 0 08-01)                  # registered after 30 June of Y0: owes no Y0 report
W1=$(org w1 "$late"); W2=$(org w2 "$late")
S4=$(org s4 "$late"); S4b=$(org s4b "$late"); S5=$(org s5 "$late"); S5b=$(org s5b "$late")
R7=$(org r7 "$late"); M2=$(org m2 "$late" 440303); V=$(org v "$late")
for u in $N1 $N2 $W1 $W2 $S4 $S4b $S5 $S5b $R7 $M2 $V; do known "$u" || not_ok "credit learned $u"; done

# --- abnormal ground 1: the annual report not filed (from inspection.not_filed)
$NPOCTL inspection sweep --as-of "$(d 1 06-01)" >/dev/null
check "not filed for $Y0: N1 and N2 on the abnormal list (ground 1)" \
    wait_until 10 '[ -n "$(open_listing abnormal 1 $N1)" ] && [ -n "$(open_listing abnormal 1 $N2)" ]'
n1=$(open_listing abnormal 1 "$N1"); n2=$(open_listing abnormal 1 "$N2")
check_eq "listed as of the sweep, with the year in the reason" \
    "$(sql "SELECT listed_on || ' ' || listed_reason FROM credit.listings WHERE id = $n1")" \
    "$(d 1 06-01) 未按规定报送${Y0}年度年检材料（截止$(d 1 05-31)）"
check_match "resting on the inspection event" "$(sql "SELECT facts FROM credit.listings WHERE id = $n1")" '^\{inspection:[0-9]+\}$'
check_eq "none for organizations registered after 30 June" \
    "$(sql "SELECT count(*) FROM credit.listings WHERE uscc IN ('$W1', '$S4', '$M2')")" 0
check_match "removal before the report is filed: refused" "$(remove "$n1" 已报送 "$(d 1 07-01)")" \
    "annual report for $Y0 has not been filed.*obligation_not_met"
printf '{"uscc":"%s","year":%s,"detail":{"finance":{"total_assets":"10","total_liabilities":"0","income":"0","expenses":"0"}}}' "$N1" "$Y0" \
    | $NPOCTL inspection submit --file - >/dev/null
check "credit learns the report was filed" \
    wait_until 10 '[ "$(sql "SELECT count(*) FROM credit.reports_filed WHERE uscc = '"'$N1'"'")" = 1 ]'
check_match "then removed on application" "$(remove "$n1" 已补报年度报告 "$(d 1 07-01)")" '"removed_on":"'"$(d 1 07-01)"'"'
check_eq "as an application" "$(listing "$n1")" "abnormal|1|$(d 1 06-01)|$(d 1 07-01)|application"
check_match "removing it again" "$(remove "$n1" 再次 "$(d 1 07-02)")" 'already_removed'

# --- abnormal ground 5: a warning, removed automatically 6 months on
penalty "$W1" "W1〔$Y0〕1号" warning "$(d 1 03-01)" >/dev/null
penalty "$W2" "W2〔$Y0〕1号" warning "$(d 1 03-01)" >/dev/null
w1=$(open_listing abnormal 5 "$W1"); w2=$(open_listing abnormal 5 "$W2")
check_eq "a warning: abnormal ground 5 as of its decision" "$(listing "$w1")" "abnormal|5|$(d 1 03-01)|-|-"
check_match "with the decision number in the reason" \
    "$(sql "SELECT listed_reason FROM credit.listings WHERE id = $w1")" "警告.*W1〔$Y0〕1号"
out=$($NPOCTL list add --uscc "$W2" --list abnormal --ground 6 --reason 通过登记的住所无法联系 --on "$(d 1 05-01)")
check_match "W2 is also listed by hand: unreachable at its address (ground 6)" "$out" '"ground":6'
w2g6=$(open_listing abnormal 6 "$W2")
check_match "ground 5 cannot be removed on application" "$(remove "$w1" 申请 "$(d 1 04-01)")" \
    "removed automatically.*$(d 1 09-01).*removed_automatically"
sweep "$(d 1 08-31)" >/dev/null
check_eq "not removed a day before 6 months" "$(listing "$w1")" "abnormal|5|$(d 1 03-01)|-|-"
sweep "$(d 1 09-01)" >/dev/null
check_eq "removed automatically at 6 months" "$(listing "$w1")" "abnormal|5|$(d 1 03-01)|$(d 1 09-01)|automatic"
check_eq "W2's new ground restarted the clock" "$(listing "$w2")" "abnormal|5|$(d 1 03-01)|-|-"
sweep "$(d 1 11-01)" >/dev/null
check_eq "6 months after the new ground it goes" "$(listing "$w2")" "abnormal|5|$(d 1 03-01)|$(d 1 11-01)|automatic"
check "inspection knows W2 is still listed on ground 6" \
    wait_until 10 '[ "$(sql "SELECT string_agg (open::text, '"','"' ORDER BY listing_id) FROM inspection.listings WHERE uscc = '"'$W2'"'")" = "false,true" ]'
check_match "so W2 may not be evaluated" \
    "$($NPOCTL evaluation record --uscc "$W2" --grade 3A --evaluator 评估委员会 2>&1)" 'on_credit_list'
check_match "a removal dated before the listing: refused" "$(remove "$w2g6" 已恢复联系 "$(d 1 04-30)")" \
    'before the listing.*invalid_date'
check_match "ground 6 is removed on application" "$(remove "$w2g6" 已恢复联系 "$(d 1 11-15)")" '"removed_reason":"已恢复联系"'

# --- serious ground 4 (a fine of 50,000 or more) and the boundary below it
penalty "$S4" "S4〔$Y0〕1号" fine "$(d 1 01-10)" ',"fine_amount":"50000"' >/dev/null
penalty "$S4b" "S4b〔$Y0〕1号" fine "$(d 1 01-10)" ',"fine_amount":"49999.99"' >/dev/null
s4=$(open_listing serious 4 "$S4")
check_eq "a fine of 50,000: serious ground 4" "$(listing "$s4")" "serious|4|$(d 1 01-10)|-|-"
check_eq "a fine of 49,999.99: abnormal ground 5 only" \
    "$(sql "SELECT string_agg (list || ground, ',') FROM credit.listings WHERE uscc = '$S4b'")" abnormal5
check_match "removal before 2 years: refused" "$(remove "$s4" 申请 "$(d 3 01-09)")" \
    "until at least $(d 3 01-10).*too_early"
# serious ground 3 (ordered to stop activities) restarts the clock
penalty "$S4" "S4〔$Y0〕2号" stop_activities "$(d 2 06-01)" ',"stop_months":3' >/dev/null
s3=$(open_listing serious 3 "$S4")
check_eq "ordered to stop activities: serious ground 3" "$(listing "$s3")" "serious|3|$(d 2 06-01)|-|-"
check_match "a new ground restarts the 2 years" "$(remove "$s4" 申请 "$(d 3 01-10)")" \
    "until at least $(d 4 06-01).*too_early"
check_match "after 2 years without a new ground: removed" "$(remove "$s4" 申请信用修复 "$(d 4 06-01)")" \
    '"removed_on":"'"$(d 4 06-01)"'"'

# --- serious ground 5: two warnings or small fines within 3 years
penalty "$S5" "S5〔$Y0〕1号" warning "$(d 0 02-01)" >/dev/null
penalty "$S5" "S5〔$Y0〕2号" fine "$(d 2 12-01)" ',"fine_amount":"1000"' >/dev/null
s5=$(open_listing serious 5 "$S5")
check_eq "the second within 3 years: serious ground 5" "$(listing "$s5")" "serious|5|$(d 2 12-01)|-|-"
check_match "resting on both penalties" "$(sql "SELECT facts FROM credit.listings WHERE id = $s5")" \
    '^\{credit:[0-9]+,credit:[0-9]+\}$'
penalty "$S5b" "S5b〔$Y0〕1号" warning "$(d 0 02-01)" >/dev/null
penalty "$S5b" "S5b〔$Y0〕2号" warning "$(d 3 03-01)" >/dev/null
check_eq "more than 3 years apart: no serious listing" \
    "$(sql "SELECT count(*) FROM credit.listings WHERE uscc = '$S5b' AND list = 'serious'")" 0

# --- serious ground 7: revoked; removed when deregistration completes
penalty "$R7" "R7〔$Y0〕1号" revoke_registration "$(d 1 02-01)" >/dev/null
r7=$(open_listing serious 7 "$R7")
check_eq "revoked: serious ground 7" "$(listing "$r7")" "serious|7|$(d 1 02-01)|-|-"
check_match "not removed on application" "$(remove "$r7" 申请 "$(d 4 01-01)")" 'removed_on_deregistration'
check "the registry revokes it" \
    wait_until 10 '[ "$(sql "SELECT status FROM registry.organizations WHERE uscc = '"'$R7'"'")" = revoked ]'
$NPOCTL deregister --uscc "$R7" --reason 撤销后注销 --approve >/dev/null
check "deregistration completes: ground 7 removed" \
    wait_until 10 '[ "$(listing $r7 | cut -d"|" -f5)" = deregistration ]'

# --- abnormal to serious after 2 years (ground 1)
sweep "$(d 3 05-31)" >/dev/null
check_eq "not moved a day before 2 years" "$(listing "$n2")" "abnormal|1|$(d 1 06-01)|-|-"
sweep "$(d 3 06-01)" >/dev/null
check_eq "moved at 2 years" "$(listing "$n2")" "abnormal|1|$(d 1 06-01)|$(d 3 06-01)|moved"
sn2=$(open_listing serious 1 "$N2")
check_eq "onto the serious list, ground 1" "$(listing "$sn2")" "serious|1|$(d 3 06-01)|-|-"
check_eq "resting on the abnormal listing" "$(sql "SELECT facts FROM credit.listings WHERE id = $sn2")" "{listing:$n2}"
check_eq "the small penalties' listings went at 6 months, never moved" \
    "$(sql "SELECT string_agg (coalesce (removal, 'open'), ',') FROM credit.listings WHERE uscc = '$S5' AND list = 'abnormal'")" \
    "automatic,automatic"
check_match "removal of serious ground 1: 2 years on, but the report is still missing" \
    "$(remove "$sn2" 申请 "$(d 5 06-01)")" "annual report for $Y0.*obligation_not_met"

# --- manual grounds, and what cannot be listed by hand
out=$($NPOCTL list add --uscc "$M2" --list abnormal --ground 2 --reason 未按规定建立党组织 --fact 深民函〔2025〕3号)
check_match "abnormal ground 2 by hand, with its reference" "$out" '"ground":2.*"facts":\["深民函〔2025〕3号"\]'
check_match "listing it again answers the same listing" \
    "$($NPOCTL list add --uscc "$M2" --list abnormal --ground 2 --reason 未按规定建立党组织 --fact 深民函〔2025〕3号)" \
    "\"listing_id\":\"?$(open_listing abnormal 2 "$M2")\"?"
check_match "serious ground 4 by hand: refused" \
    "$($NPOCTL list add --uscc "$M2" --list serious --ground 4 --reason 罚款 2>&1)" 'ground_automatic'
check_match "ground 9: refused" "$($NPOCTL list add --uscc "$M2" --list serious --ground 9 --reason x 2>&1)" 'invalid_ground'
check_match "a list that does not exist" "$($NPOCTL list add --uscc "$M2" --list black --ground 1 --reason x 2>&1)" 'invalid_list'
check_match "a registrar of another province: refused" \
    "$(NPO_ACTOR=registrar:31:sh $NPOCTL list add --uscc "$M2" --list abnormal --ground 6 --reason x 2>&1)" 'out_of_division'
check_match "only the ministry corrects" \
    "$(NPO_ACTOR=registrar:44:gd $NPOCTL list remove --listing "$(open_listing abnormal 2 "$M2")" --reason 错误 --correction 2>&1)" 'forbidden'

# the other grounds listed by hand: abnormal ones removed on application at
# once, serious ones after 2 years
for lg in abnormal:3 abnormal:4 abnormal:7 serious:2 serious:6 serious:8; do
    l=${lg%:*} g=${lg#*:}
    u=$(org "g$l$g" "$late")
    known "$u"
    out=$($NPOCTL list add --uscc "$u" --list "$l" --ground "$g" --reason "依法列入（第$g项）" --on "$(d 1 01-01)")
    id=$(open_listing "$l" "$g" "$u")
    check_eq "$l ground $g by hand" "$(listing "$id")" "$l|$g|$(d 1 01-01)|-|-"
    if [ "$l" = serious ]; then
        check_match "$l ground $g: not removed before 2 years" "$(remove "$id" 申请 "$(d 2 12-31)")" \
            "until at least $(d 3 01-01).*too_early"
        remove "$id" 申请信用修复 "$(d 3 01-01)" >/dev/null
        check_eq "$l ground $g: removed on application after 2 years" "$(listing "$id")" \
            "$l|$g|$(d 1 01-01)|$(d 3 01-01)|application"
    else
        remove "$id" 已整改 "$(d 1 02-01)" >/dev/null
        check_eq "$l ground $g: removed on application" "$(listing "$id")" \
            "$l|$g|$(d 1 01-01)|$(d 1 02-01)|application"
    fi
done

# --- evaluation: on a credit list, under investigation
check "inspection learns of the listing" \
    wait_until 10 '[ "$(sql "SELECT count(*) FROM inspection.listings WHERE uscc = '"'$M2'"' AND open")" = 1 ]'
check_match "an organization on a credit list may not be evaluated" \
    "$($NPOCTL evaluation record --uscc "$M2" --grade 3A --evaluator 评估委员会 2>&1)" 'on the abnormal credit list.*on_credit_list'
case='{"uscc":"'$V'","case_number":"深民立〔'$Y0'〕8号","filed_on":"'$(d 5 03-01)'","stage":"investigating","authority_code":"11440300MB2C12345X","authority":"深圳市民政局","authority_division":"440300"}'
check_match "a case is filed" "$(echo "$case" | $NPOCTL case record --file -)" '"stage":"investigating"'
check "inspection learns of it" \
    wait_until 10 '[ "$(sql "SELECT count(*) FROM inspection.cases WHERE uscc = '"'$V'"' AND stage <> '"'closed'"'")" = 1 ]'
check_match "under investigation: not evaluated" \
    "$($NPOCTL evaluation record --uscc "$V" --grade 3A --evaluator 评估委员会 2>&1)" 'under_investigation'
check_match "closing needs closed_on" \
    "$(echo "$case" | sed 's/investigating/closed/' | $NPOCTL case record --file - 2>&1)" 'closed_on.*invalid_date'
check_match "the case is closed" \
    "$(echo "$case" | sed "s/investigating/closed/; s/}\$/,\"closed_on\":\"$(d 5 04-01)\"}/" | $NPOCTL case record --file -)" \
    '"stage":"closed"'
check "the evaluation is then recorded" \
    wait_until 10 '$NPOCTL evaluation record --uscc $V --grade 3A --evaluator 评估委员会 >/dev/null 2>&1'

# --- the public side
check "the record shows the serious listing with its ground, reason and date" \
    wait_until 10 '[[ "$(http_get /v1/orgs/$N2)" == *"\"credit\":{\"abnormal\":false,\"serious\":true,\"penalties\":0,\"open_cases\":0,\"listings\":[{\"listing_id\":$sn2,\"list\":\"serious\",\"ground\":1,\"reason\":\"被列入活动异常名录满2年（自$(d 1 06-01)起）\",\"listed_on\":\"$(d 3 06-01)\"}]}"* ]]'
check_match "and the penalties" "$(http_get "/v1/orgs/$S5")" '"penalties":2,'
check_match "the penalty history" "$(http_get "/v1/orgs/$S5/penalties")" \
    "^\[\{\"decision_number\":\"S5〔$Y0〕2号\",.*\"fine_amount\":\"1000\".*\},\{\"decision_number\":\"S5〔$Y0〕1号\",.*\"result\":\"warning\""
page=$(http_get "/v1/lists/serious?division=4401&limit=100")
check_match "the serious list of Guangzhou has N2 with ground, reason and date" "$page" \
    "\{\"listing_id\":$sn2,\"uscc\":\"$N2\",.*\"ground\":1,\"reason\":\"被列入活动异常名录满2年.*\",\"listed_on\":\"$(d 3 06-01)\""
check_nomatch "but not the removed ground-7 listing" "$page" "\"listing_id\":$r7,"
check_match "the abnormal list of Shenzhen has M2" "$(http_get "/v1/lists/abnormal?division=4403")" "\"uscc\":\"$M2\""
check_nomatch "and nothing of Guangzhou" "$(http_get "/v1/lists/abnormal?division=4403")" '"division":"4401'
first=$(http_get "/v1/lists/abnormal?division=44&limit=1")
cursor=$(echo "$first" | sed -n 's/.*"next_cursor":"\([0-9]*\)".*/\1/p')
check_match "paged: one item and a cursor" "$first" '^\{"items":\[\{"listing_id":[0-9]+,.*\}\],"next_cursor":"[0-9]+"\}$'
check_nomatch "the next page starts after it" "$(http_get "/v1/lists/abnormal?division=44&limit=1&cursor=$cursor")" \
    "$(echo "$first" | sed -n 's/.*"listing_id":\([0-9]*\),.*/"listing_id":\1,/p')"
check_match "verify: genuine, but on the serious list" "$(http_get "/v1/verify?uscc=$N2")" \
    '"genuine":true,.*"serious":true,"good_standing":false'
check_match "verify with another name" "$(http_get "/v1/verify?uscc=$N2&name=%E5%81%87%E5%90%8D")" \
    '"genuine":false.*"reason":"name_mismatch"'
check_eq "verify: a bad division" "$(http_code "/v1/lists/abnormal?division=4")" 400
check_eq "public events for the listings" \
    "$(sql "SELECT count(*) FROM publication.public_events WHERE type = 'credit.serious_listed' AND uscc = '$N2'")" 1

# explanations are stored, not recomputed: they survive restarts and a lost cache
before=$(sql "SELECT string_agg (id || listed_reason || array_to_string (facts, ','), ';' ORDER BY id) FROM credit.listings")
"$ROOT/deploy/cluster.sh" stop-service credit KILL >/dev/null 2>&1
"$ROOT/deploy/cluster.sh" stop-service publication KILL >/dev/null 2>&1
redis FLUSHALL >/dev/null
check "credit restarts" service_restart credit
check "publication restarts" service_restart publication
check_eq "every listing's reason and facts unchanged" \
    "$(sql "SELECT string_agg (id || listed_reason || array_to_string (facts, ','), ';' ORDER BY id) FROM credit.listings")" "$before"
check "the lists are back" wait_until 10 '[[ "$(http_get "/v1/lists/serious?division=4401&limit=100")" == *"\"listing_id\":$sn2,"* ]]'
check_nomatch "without the removed listings" "$(http_get "/v1/lists/serious?division=4401&limit=100")" "\"listing_id\":$r7,"

# N2 files the missing report: its serious listing can go, and leaves the public side
printf '{"uscc":"%s","year":%s,"detail":{"finance":{"total_assets":"10","total_liabilities":"0","income":"0","expenses":"0"}}}' "$N2" "$Y0" \
    | $NPOCTL inspection submit --file - >/dev/null
check "credit learns N2 filed its report" \
    wait_until 10 '[ "$(sql "SELECT count(*) FROM credit.reports_filed WHERE uscc = '"'$N2'"'")" = 1 ]'
check_match "serious ground 1 removed on application, 2 years on and the report filed" \
    "$(remove "$sn2" 已补报并满2年 "$(d 5 06-01)")" '"removed_on":"'"$(d 5 06-01)"'"'
check "the record shows N2 off the lists" \
    wait_until 10 '[[ "$(http_get /v1/orgs/$N2)" == *"\"credit\":{\"abnormal\":false,\"serious\":false,\"penalties\":0,\"open_cases\":0,\"listings\":[]}"* ]]'
check_nomatch "and the serious list without it" "$(http_get "/v1/lists/serious?division=4401&limit=100")" "\"listing_id\":$sn2,"
check_match "verify: in good standing" "$(http_get "/v1/verify?uscc=$N2")" '"good_standing":true'

# --- a fundraising penalty: on an organization it counts; a person stays private
fund='{"party_type":"organization","party_uscc":"'$W1'","penalty_name":"违规公开募捐","decision_number":"穗民募罚〔'$Y0'〕1号","facts":"未取得公开募捐资格开展募捐","legal_basis":"《慈善法》第一百零一条","result":"warning","authority":"广州市民政局","decided_on":"'$(d 5 01-10)'"}'
check_match "on an organization: recorded" "$(echo "$fund" | $NPOCTL penalty fundraising --file -)" '"penalty_id"'
check_match "and listed like any warning" "$(sql "SELECT string_agg (listed_reason, ',') FROM credit.listings WHERE uscc = '$W1' AND removed_on IS NULL")" '穗民募罚'
pid=$(resid 440106 19800101 123)
person='{"party_type":"person","party_name":"钱某某","id_type":"resident_id","id_number":"'$pid'","contact":"13912345678","penalty_name":"个人违规募捐","decision_number":"穗民募罚〔'$Y0'〕2号","facts":"以慈善名义个人募捐","legal_basis":"《慈善法》第一百零九条","result":"fine","fine_amount":"5000","authority":"广州市民政局","decided_on":"'$(d 5 01-10)'"}'
bad=${pid:0:17}$([ "${pid:17}" = 0 ] && echo 1 || echo 0)
check_match "a bad ID number is refused" \
    "$(echo "$person" | sed "s/$pid/$bad/" | $NPOCTL penalty fundraising --file - 2>&1)" 'invalid_id'
check_match "on a person: recorded" "$(echo "$person" | $NPOCTL penalty fundraising --file -)" '"penalty_id"'
sleep 1
leak=$( (redis --scan | while read -r k; do redis GET "$k" 2>/dev/null; done; \
         sql "SELECT doc FROM publication.public_events"; \
         sql "SELECT envelope FROM credit.outbox"; cat "$NPO_VAR"/log/*.log; \
         http_get "/v1/lists/abnormal?limit=100"; http_get "/v1/orgs/$W1/penalties") \
       | grep -c -e "$pid" -e 钱某某 -e 13912345678 || true)
check_eq "the person's name, ID number and phone are in no public output, event or log" "$leak" 0
check_eq "but the credit service keeps them" \
    "$(sql "SELECT party_name FROM credit.person_penalties WHERE id_number = '$pid'")" 钱某某

# --- credit restarted during a stream of inspection events: nothing lost or doubled
many=$(make_apps 30 t12m 440106 | sed "s/}\$/,\"received_on\":\"$(d 0 01-05)\",\"approved_on\":\"$(d 0 01-05)\"}/" \
       | $NPOCTL register --file - --approve | uscc_of | sed "s/.*/'&'/" | paste -sd,)
check "credit learned the 30" \
    wait_until 15 '[ "$(sql "SELECT count(*) FROM credit.orgs WHERE uscc IN ($many)")" = 30 ]'
"$ROOT/deploy/cluster.sh" stop-service credit KILL >/dev/null 2>&1
$NPOCTL inspection sweep --as-of "$(d 2 06-01)" >/dev/null &
sleep 0.3
check "credit restarts during the sweep" service_restart credit
wait
$NPOCTL inspection sweep --as-of "$(d 3 06-01)" >/dev/null
check "each of the 30 is listed for both years" \
    wait_until 15 '[ "$(sql "SELECT count(*) FROM credit.listings WHERE uscc IN ($many) AND ground = 1")" = 60 ]'
check_eq "once per year" \
    "$(sql "SELECT count(DISTINCT (uscc, year)) FROM credit.listings WHERE uscc IN ($many) AND ground = 1")" 60
check "credit is level with the inspection stream" \
    wait_until 10 '[ "$(sql "SELECT last_seq FROM credit.consumed WHERE stream = '"'inspection'"'")" = "$(sql "SELECT max(seq) FROM inspection.outbox")" ]'
# --- the daily sweep: the service applies the time rules as of today by itself
fw=$(sql "SELECT id FROM credit.listings WHERE uscc = '$W1' AND listed_reason LIKE '%穗民募罚%'")
check_eq "W1's fundraising warning is still listed (no sweep since $(d 5 01-10))" "$(listing "$fw" | cut -d'|' -f5)" -
"$ROOT/deploy/cluster.sh" stop-service credit >/dev/null 2>&1
check "credit restarts with its daily sweep on" \
    env NPO_CREDIT_DAILY_SWEEP=1 "$ROOT/deploy/cluster.sh" start-service credit
check "which removes it, dated 6 months after it was listed" \
    wait_until 20 '[ "$(listing $fw)" = "abnormal|5|$(d 5 01-10)|$(d 5 07-10)|automatic" ]'
"$ROOT/deploy/cluster.sh" stop-service credit >/dev/null 2>&1
service_restart credit              # the harness's setting again
finish
