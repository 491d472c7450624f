#!/bin/bash
# Annual inspection (年检) and annual reports: submission, review and results,
# the deadline sweep with its exemptions, revocation recommendations,
# evaluation grades and their eligibility grounds, audits, the public side,
# and the inspection service's replay of the registry stream.
. "$(dirname "$0")/../lib.sh"

today=$(TZ=Asia/Shanghai date +%F)
this_year=${today%%-*}
# Y: the last year whose report deadline (31 May of Y+1) has passed
if [[ "${today#*-}" > "05-31" ]]; then Y=$((this_year - 1)); else Y=$((this_year - 2)); fi
P=$((Y - 1))

org() { org_on "t11$1" "$2"; }
known() { wait_until 10 "[ \"\$(sql \"SELECT count(*) FROM inspection.orgs WHERE uscc = '$1'\")\" = 1 ]"; }
# report USCC YEAR [MORE_FINANCE_JSON]: a report with every part of section 17
report() {
    printf '{"uscc":"%s","year":%s,"kind":"annual_report","detail":{
      "basic":{"individual_members":120,"unit_members":8,"branches":1},
      "meetings":{"general_assemblies":1,"board_meetings":2,"last_election_on":"2023-05-10"},
      "rules":{"rules":["财务管理制度","印章管理制度"],"finance_rules":true,"seal_rules":true},
      "office":{"office_address":"广州市天河区体育西路1号","office_area_sqm":"85.5","office_tenure":"rented","staff":6,"full_time_staff":4},
      "party":{"has_party_org":true,"party_members":5},
      "finance":{"total_assets":"1200000","total_liabilities":"200000.50","income":"800000","expenses":"750000"%s},
      "activities":{"activities":12,"public_welfare_activities":3,"summary":"举办行业培训"},
      "supervision":{"audited":true,"audit_opinion":"standard","information_disclosed":true},
      "penalties":{"penalties":0}}}' "$1" "$2" "${3:-}"
}
submit() { report "$@" | $NPOCTL inspection submit --file - 2>&1; }
not_filed() { sql "SELECT string_agg (uscc, ' ' ORDER BY uscc) FROM inspection.reports WHERE year = $1 AND status = 'not_filed'"; }

A=$(org a "$((Y - 5))-01-10")      # old: owes both years, files neither on time
B=$(org b "$Y-06-30")              # 6 months at 31 December of Y: owes Y
C=$(org c "$Y-07-01")              # less than 6 months: exempt for Y
D=$(org d "$((Y - 5))-01-10")      # deregistered: owes nothing
E=$(org e "$((Y - 5))-01-10")      # files Y on time
F=$(org f "$((Y - 5))-01-10")      # basically qualified twice, late both times
for u in $A $B $C $D $E $F; do known "$u" || not_ok "inspection learned $u"; done
check_eq "the service knows the registration dates" \
    "$(sql "SELECT approved_on FROM inspection.orgs WHERE uscc = '$B'")" "$Y-06-30"
$NPOCTL deregister --uscc "$D" --reason 自行解散 --approve >/dev/null
check "inspection learns of the deregistration" \
    wait_until 10 '[ "$(sql "SELECT status FROM inspection.orgs WHERE uscc = '"'$D'"'")" = deregistered ]'

# --- submission and its refusals
rows=$(sql "SELECT count(*) FROM inspection.reports")
check_match "no finance: refused" \
    "$(printf '{"uscc":"%s","year":%s,"detail":{"basic":{}}}' "$E" "$Y" | $NPOCTL inspection submit --file - 2>&1)" \
    'detail.finance: required.*missing_field'
check_match "an amount that is not one: refused" "$(submit "$E" "$Y" ',"donation_income":"12,000"')" 'invalid_amount'
check_match "net assets that do not add up: refused" "$(submit "$E" "$Y" ',"net_assets":"1"')" 'inconsistent_finance'
check_match "this year is not over: refused" "$(submit "$E" "$this_year")" 'invalid_year'
check_match "a year before registration: refused" "$(submit "$B" "$P")" 'invalid_year'
check_match "a deregistered organization: refused" "$(submit "$D" "$Y")" 'org_not_active'
check_match "an unknown organization: refused" "$(submit 53100000500019795A "$Y")" 'org_unknown'
check_match "a registrar of another province: refused" \
    "$(NPO_ACTOR=registrar:31:sh submit "$E" "$Y")" 'out_of_division'
check_match "an office tenure not in the list: refused" \
    "$(report "$E" "$Y" | sed 's/"rented"/"borrowed"/' | $NPOCTL inspection submit --file - 2>&1)" 'office_tenure'
check_eq "the refusals wrote nothing" "$(sql "SELECT count(*) FROM inspection.reports")" "$rows"

out=$(submit "$E" "$Y" ',"net_assets":"999999.50"')
check_match "E submits its report for Y" "$out" '"status":"submitted"'
check_match "on time" "$out" '"late":false'
check_eq "the detail of section 17 is kept" \
    "$(sql "SELECT detail->'office'->>'office_tenure', detail->'meetings'->>'board_meetings', total_liabilities FROM inspection.reports WHERE uscc = '$E' AND year = $Y")" \
    "rented|2|200000.50"
check_match "submitting it again answers the same report" "$(submit "$E" "$Y" ',"net_assets":"999999.50"')" '"status":"submitted"'
check_eq "one inspection.report_submitted for it" \
    "$(sql "SELECT count(*) FROM inspection.outbox WHERE topic = 'inspection.report_submitted' AND org_uscc = '$E'")" 1

# --- review and results
check_match "unqualified needs a rectification" \
    "$($NPOCTL inspection review --uscc "$E" --year "$Y" --result unqualified 2>&1)" 'rectification: required.*missing_field'
check_match "a result not in the list" \
    "$($NPOCTL inspection review --uscc "$E" --year "$Y" --result good 2>&1)" 'invalid_result'
check_match "a deadline before the review" \
    "$($NPOCTL inspection review --uscc "$E" --year "$Y" --result basically_qualified --rectification 整改 --deadline 2001-01-01 2>&1)" \
    'invalid_date'
check_match "no report for that year" \
    "$($NPOCTL inspection review --uscc "$E" --year "$P" --result qualified 2>&1)" 'report_not_found'
started=$(date +%s%N)
out=$($NPOCTL inspection review --uscc "$E" --year "$Y" --result qualified)
check_match "E's report is reviewed: qualified" "$out" '"status":"reviewed".*"result":"qualified"'
check "the result reaches the gateway" \
    wait_until 10 '[[ "$(http_get /v1/orgs/$E)" == *"\"latest_inspection\":{\"year\":$Y,\"kind\":\"annual_report\",\"result\":\"qualified\"}"* ]]'
echo "    (served $(( ($(date +%s%N) - started) / 1000000 )) ms after the review was sent)"
check_match "the review again answers the same record" \
    "$($NPOCTL inspection review --uscc "$E" --year "$Y" --result qualified)" '"result":"qualified"'
check_match "another result is refused" \
    "$($NPOCTL inspection review --uscc "$E" --year "$Y" --result unqualified --rectification 整改 --deadline 2199-01-01 2>&1)" \
    'already_reviewed'
check_match "a reviewed report is not replaced" "$(submit "$E" "$Y")" 'already_reviewed'
hist=$(http_get "/v1/orgs/$E/inspections")
check_match "the public history has the result and the published aggregates" "$hist" \
    "^\[\{\"year\":$Y,\"kind\":\"annual_report\",\"result\":\"qualified\".*\"finance\":\{\"total_assets\":\"1200000.00\",\"total_liabilities\":\"200000.50\",\"net_assets\":\"999999.50\",\"income\":\"800000.00\",\"expenses\":\"750000.00\"\}"
check_nomatch "and nothing else of section 17" "$hist" 'office|体育西路|party_members|individual_members'
check_eq "an organization without inspections has an empty history" "$(http_get "/v1/orgs/$C/inspections")" '[]'
check_eq "an unknown one has none" "$(http_code /v1/orgs/53100000500019795A/inspections)" 404

# --- the deadline sweep
check_match "a registrar may not sweep" \
    "$(NPO_ACTOR=registrar:44:gd $NPOCTL inspection sweep --as-of "$Y-06-01" 2>&1)" 'forbidden'
check_match "a year whose deadline has not passed" \
    "$($NPOCTL inspection sweep --as-of "$Y-06-01" --year "$Y" 2>&1)" 'deadline_not_passed'
check_match "an as-of date after today" "$($NPOCTL inspection sweep --as-of 2199-06-01 2>&1)" 'invalid_date'
out=$($NPOCTL inspection sweep --as-of "$Y-06-01")
check_match "the sweep as of 1 June of Y is for $P" "$out" "\"year\":$P"
expect=$(printf '%s\n' "$A" "$E" "$F" | sort | tr '\n' ' ' | sed 's/ $//')
check_eq "it marks exactly the organizations owing $P (not D: deregistered; not B, C: registered in $Y)" \
    "$(not_filed "$P")" "$expect"
out=$($NPOCTL inspection sweep --as-of "$((Y + 1))-06-01")
check_match "the sweep of Y: 3 marked, 2 revocations recommended" "$out" \
    "\"year\":$Y,\"marked\":\"?3\"?,\"recommended\":\"?2\"?"
expect=$(printf '%s\n' "$A" "$B" "$F" | sort | tr '\n' ' ' | sed 's/ $//')
check_eq "it marks A, B and F (C exempt: under 6 months; E filed; D deregistered)" \
    "$(not_filed "$Y")" "$expect"
check_eq "inspection.not_filed for each" \
    "$(sql "SELECT count(*) FROM inspection.outbox WHERE topic = 'inspection.not_filed' AND org_uscc IN ('$A', '$B', '$E', '$F')")" 6
expect=$(printf '%s\n' "$A" "$F" | sort | tr '\n' ' ' | sed 's/ $//')
check_eq "two years running: revocation recommended for A and F" \
    "$(sql "SELECT string_agg (org_uscc, ' ' ORDER BY org_uscc) FROM inspection.outbox WHERE topic = 'inspection.revocation_recommended'")" \
    "$expect"
out=$($NPOCTL inspection sweep --as-of "$((Y + 1))-06-01")
check_match "sweeping again marks nothing" "$out" '"marked":"?0"?'
check "not filed is public" \
    wait_until 10 '[[ "$(http_get /v1/orgs/$B)" == *"\"latest_inspection\":{\"year\":$Y,\"kind\":\"annual_inspection\",\"result\":\"not_filed\"}"* ]]'
check_match "with the deadline missed" "$(http_get "/v1/orgs/$B/inspections")" "\"result\":\"not_filed\".*\"deadline\":\"$((Y + 1))-05-31\""

# Late reports are taken and reviewed; the year stays not filed on time
out=$(submit "$A" "$Y")
check_match "A files Y late" "$out" '"late":true'
check_match "A is unqualified" \
    "$($NPOCTL inspection review --uscc "$A" --year "$Y" --result unqualified --rectification 完善财务制度 --deadline 2199-12-31)" \
    '"result":"unqualified"'
for y in $P $Y; do
    submit "$F" "$y" >/dev/null
    $NPOCTL inspection review --uscc "$F" --year "$y" --result basically_qualified \
        --rectification 按期换届 --deadline 2199-12-31 >/dev/null
done
check_eq "F basically qualified both years" \
    "$(sql "SELECT string_agg (result, ',') FROM inspection.reports WHERE uscc = '$F'")" "basically_qualified,basically_qualified"
check "the late result replaces not_filed in public" \
    wait_until 10 '[[ "$(http_get /v1/orgs/$A)" == *"\"result\":\"unqualified\""* ]]'
check_match "with its rectification" "$(http_get "/v1/orgs/$A/inspections")" \
    "\"result\":\"unqualified\".*\"rectification\":\"完善财务制度\",\"rectification_deadline\":\"2199-12-31\""

# --- evaluation: each ground of refusal, then grades
on="$((Y + 1))-06-01"
check_match "registered less than 2 years: refused" \
    "$($NPOCTL evaluation record --uscc "$B" --grade 3A --evaluator 广东省社会组织评估委员会 --on "$on" 2>&1)" \
    'registered_under_two_years'
check_match "unqualified last year: refused" \
    "$($NPOCTL evaluation record --uscc "$A" --grade 3A --evaluator 评估委员会 --on "$on" 2>&1)" \
    'unqualified_last_year'
check_match "basically qualified two years running: refused" \
    "$($NPOCTL evaluation record --uscc "$F" --grade 3A --evaluator 评估委员会 --on "$on" 2>&1)" \
    "$P and $Y.*basically_qualified_twice"
G=$(org g "$((Y - 5))-01-10")
H=$(org h "$((Y - 5))-01-10")
known "$G"; known "$H"
printf '{"uscc":"%s","penalty_name":"警告","decision_number":"穗天民罚〔%s〕11号","facts":"未按规定报送年报","legal_basis":"《社会团体登记管理条例》第三十条","result":"warning","authority":"广州市天河区民政局","decided_on":"%s"}' \
    "$G" "$this_year" "$today" | $NPOCTL penalty record --file - >/dev/null
check "inspection learns of the penalty" \
    wait_until 10 '[ "$(sql "SELECT count(*) FROM inspection.penalties WHERE uscc = '"'$G'"'")" = 1 ]'
check_match "penalized last year or since: refused" \
    "$($NPOCTL evaluation record --uscc "$G" --grade 3A --evaluator 评估委员会 2>&1)" 'penalized_last_year'
check_match "a grade that does not exist" \
    "$($NPOCTL evaluation record --uscc "$H" --grade 6A --evaluator 评估委员会 2>&1)" 'invalid_grade'
check_match "no evaluator" "$($NPOCTL evaluation record --uscc "$H" --grade 3A 2>&1)" 'needs --uscc, --grade and --evaluator'
check_eq "the refusals recorded no grade" "$(sql "SELECT count(*) FROM inspection.evaluations")" 0
out=$($NPOCTL evaluation record --uscc "$H" --grade 4A --evaluator 广东省社会组织评估委员会 --category academic)
check_match "H is graded 4A" "$out" '"grade":"4A".*"state":"valid"'
to=$(TZ=Asia/Shanghai date -d "$today + 5 years - 1 day" +%F)
check_match "valid 5 years" "$out" "\"valid_from\":\"$today\",\"valid_to\":\"$to\""
id=$(echo "$out" | sed -n 's/.*"evaluation_id":"\{0,1\}\([0-9]*\).*/\1/p')
check_match "recording it again answers the same grade" \
    "$($NPOCTL evaluation record --uscc "$H" --grade 4A --evaluator 广东省社会组织评估委员会 --category academic)" \
    "\"evaluation_id\":\"?$id\"?"
check "the grade is public" \
    wait_until 10 '[[ "$(http_get /v1/orgs/$H)" == *"\"evaluation\":{\"grade\":\"4A\",\"valid_from\":\"$today\",\"valid_to\":\"$to\"}"* ]]'
$NPOCTL evaluation record --uscc "$H" --grade 5A --evaluator 广东省社会组织评估委员会 >/dev/null
check "a new grade replaces it" \
    wait_until 10 '[[ "$(http_get /v1/orgs/$H)" == *"\"evaluation\":{\"grade\":\"5A\""* ]]'
check_match "the history keeps both" "$(http_get "/v1/orgs/$H/evaluations")" \
    '^\[\{"grade":"5A".*"state":"valid"\},\{"grade":"4A".*"state":"superseded"\}\]$'

# a grade past its 5 years expires with the sweep
X=$(org x "$((Y - 10))-01-10")
known "$X"
out=$($NPOCTL evaluation record --uscc "$X" --grade 3A --evaluator 评估委员会 --on "$((Y - 5))-03-01")
check_match "X was graded 3A five years before $Y" "$out" "\"valid_from\":\"$((Y - 5))-03-01\""
check "its grade is public" wait_until 10 '[[ "$(http_get /v1/orgs/$X)" == *"\"evaluation\":{\"grade\":\"3A\""* ]]'
check_match "the sweep expires it" "$($NPOCTL inspection sweep --as-of "$((Y + 1))-06-01")" '"expired":"?1"?'
check_eq "expired in the service" "$(sql "SELECT state FROM inspection.evaluations WHERE uscc = '$X'")" expired
check "and gone from the public record" wait_until 10 '[[ "$(http_get /v1/orgs/$X)" == *"\"evaluation\":null"* ]]'
check_match "the history says expired" "$(http_get "/v1/orgs/$X/evaluations")" '"grade":"3A".*"state":"expired"'

# --- audits: due on a change of legal representative or a deregistration
$NPOCTL change --uscc "$H" --set legal_representative=新法人 --approve >/dev/null
check "a change of legal representative makes a leaving-office audit due" \
    wait_until 10 '[[ "$($NPOCTL audit list $H)" == *"\"reason_category\":\"leaving_office\""*"\"status\":\"due\""* ]]'
check_match "a deregistration makes one due too" "$($NPOCTL audit list "$D")" \
    '"reason_category":"deregistration".*"status":"due"'
audit='{"uscc":"'$H'","reason_category":"leaving_office","firm":"广东某会计师事务所","accountant":"王会计","occurred_on":"'$today'","content":"原法定代表人任期经济责任","result":"无保留意见"}'
out=$(echo "$audit" | $NPOCTL audit record --file -)
check_match "recording it completes the due audit" "$out" '"status":"done"'
check_eq "one audit of that kind, done" \
    "$(sql "SELECT string_agg (status, ',') FROM inspection.org_audits WHERE uscc = '$H'")" done
check_match "recording it again answers the same audit" "$(echo "$audit" | $NPOCTL audit record --file -)" '"status":"done"'
check_eq "still one" "$(sql "SELECT count(*) FROM inspection.org_audits WHERE uscc = '$H'")" 1
check_match "an audit without a firm" \
    "$(echo "$audit" | sed 's/"firm":"[^"]*",//' | $NPOCTL audit record --file - 2>&1)" 'firm: required.*missing_field'
check_eq "the accountant's name stays out of the events" \
    "$(sql "SELECT count(*) FROM inspection.outbox WHERE position (convert_to ('王会计', 'UTF8') in envelope) > 0")" 0
check_nomatch "and out of the public record" "$(http_get "/v1/orgs/$H")$(http_get "/v1/orgs/$H/evaluations")" '王会计|会计师事务所'
check_match "inspection show has reports, evaluations and audits" "$($NPOCTL inspection show "$H")" \
    '"evaluations":\[.*"audits":\['
check_match "an auditor may read it" "$(NPO_ACTOR=auditor:nao $NPOCTL inspection show "$E")" '"reports":\[\{'
check_match "a registrar of another province may not" \
    "$(NPO_ACTOR=registrar:31:sh $NPOCTL inspection show "$E" 2>&1)" 'out_of_division'

# --- replay: inspection down while the registry goes on registering
"$ROOT/deploy/cluster.sh" stop-service inspection KILL >/dev/null 2>&1
make_apps 15 t11r 440106 | $NPOCTL register --file - --approve > "$NPO_VAR/t11r.out"
$NPOCTL change --uscc "$E" --set legal_representative=另一人 --approve >/dev/null
( make_apps 15 t11s 440106 | $NPOCTL register --file - --approve > "$NPO_VAR/t11s.out" ) &
check "inspection restarts" service_restart inspection
wait
all=$(cat "$NPO_VAR/t11r.out" "$NPO_VAR/t11s.out" | uscc_of | sed "s/.*/'&'/" | paste -sd,)
check_eq "30 registered meanwhile" "$(echo "$all" | tr ',' '\n' | grep -c .)" 30
check "inspection learns every one" \
    wait_until 15 '[ "$(sql "SELECT count(*) FROM inspection.orgs WHERE uscc IN ($all)")" = 30 ]'
check "and is level with the registry stream" \
    wait_until 10 '[ "$(sql "SELECT last_seq FROM inspection.consumed WHERE stream = '"'registry'"'")" = "$(sql "SELECT max(seq) FROM registry.outbox")" ]'
check_eq "the change made during the outage made one audit due, not two" \
    "$(sql "SELECT count(*) FROM inspection.org_audits WHERE uscc = '$E' AND reason_category = 'leaving_office'")" 1
# --- the daily sweep: the service sweeps as of today by itself
Z=$(org z "$((Y - 1))-01-10")      # owes Y, and came after Y was swept
known "$Z"
"$ROOT/deploy/cluster.sh" stop-service inspection >/dev/null 2>&1
check "inspection restarts with its daily sweep on" \
    env NPO_INSPECTION_DAILY_SWEEP=1 "$ROOT/deploy/cluster.sh" start-service inspection
check "which marks the organization owing $Y, as of today" \
    wait_until 20 '[ "$(sql "SELECT status || '"' '"' || marked_on FROM inspection.reports WHERE uscc = '"'$Z'"' AND year = $Y")" = "not_filed $today" ]'
"$ROOT/deploy/cluster.sh" stop-service inspection >/dev/null 2>&1
service_restart inspection          # the harness's setting again
finish
