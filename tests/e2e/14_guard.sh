#!/bin/bash
# The personal-data guard. A synthetic data set with every personal field
# filled (officers and their work history, contact persons, liquidation
# leaders, party secretaries and members, persons penalized for fundraising)
# goes through the whole system; then everything public is scanned for any of
# those values: every Redis key and value, the public event log and the stream
# regions receive, the gateway's answers for every organization, the lists and
# the statistics, the open data exports, and every log (the services' and
# PostgreSQL's). It must find none.
. "$(dirname "$0")/../lib.sh"

DIV=450102                          # 南宁市兴宁区: only this test registers there
N=4
: > "$NPO_VAR/personal.txt"         # every personal value, one a line
keep() { printf '%s\n' "$@" >> "$NPO_VAR/personal.txt"; }
today=$(TZ=Asia/Shanghai date +%F)

codes=()
for i in $(seq 1 $N); do
    contact="联系人桂$i" phone="1597710${i}${i}${i}${i}"
    keep "$contact" "$phone"
    uscc=$(printf '{"name":"守护测试协会%d","type":"social_group","authority_division":"%s","registration_authority":"兴宁区民政局","legal_representative":"会长桂%d","address":"南宁市兴宁区民主路%d号","registered_capital":"50000","contact_name":"%s","contact_phone":"%s","business_scope":"测试","received_on":"2018-03-01","approved_on":"2018-03-10"}' \
           "$i" "$DIV" "$i" "$i" "$contact" "$phone" | $NPOCTL register --file - --approve | uscc_of)
    codes+=("$uscc")
    # officers (section 2) and their posts and employers (section 3)
    for pos in director supervisor; do
        id=$(resid 450102 "1970010$i" "1$i$((${#pos} % 10))") birth="1970-01-0$i"
        mail="南宁市青秀区私宅${pos}路$i号" mobile="1367710${i}${#pos}${i}${i}" tel="0771-5${i}${#pos}${i}${i}${i}"
        keep "$id" "$birth" "$mail" "$mobile" "$tel" "${pos}桂$i" "广西某某有限公司$i${#pos}"
        printf '{"name":"%s","birth_date":"%s","gender":"male","ethnicity":"壮族","nationality":"中国","id_type":"resident_id","id_number":"%s","political_status":"群众","mail_address":"%s","postal_code":"530012","mobile":"%s","phone":"%s","position":"%s","full_time":true,"org_uscc":"%s","employer":"广西某某有限公司%s"}' \
            "${pos}桂$i" "$birth" "$id" "$mail" "$mobile" "$tel" "$pos" "$uscc" "$i${#pos}" \
            | $NPOCTL officer appoint --file - --start 2018-03-10 >/dev/null
    done
    passport="E7700${i}${i}${i}${i}"
    keep "$passport"
    printf '{"name":"Foreign Director %d","birth_date":"1980-05-1%d","id_type":"passport","id_number":"%s","mobile":"1366771000%d","position":"director","org_uscc":"%s"}' \
        "$i" "$i" "$passport" "$i" "$uscc" | $NPOCTL officer appoint --file - >/dev/null
    keep "1980-05-1$i" "1366771000$i" "Foreign Director $i"
    # a change of contact person and phone (never in the public change list)
    keep "新联系人桂$i" "1587710${i}${i}${i}${i}"
    $NPOCTL change --uscc "$uscc" --set "contact_name=新联系人桂$i" --set "contact_phone=1587710${i}${i}${i}${i}" --approve >/dev/null
done
for u in "${codes[@]}"; do
    wait_until 10 "[ \"\$(sql \"SELECT count(*) FROM party.orgs WHERE uscc = '$u'\")\" = 1 ]"
done

# party organizations and members (sections 5, 6)
i=0
for u in "${codes[@]}"; do
    i=$((i + 1))
    keep "书记桂$i" "联络员桂$i" "0771-6${i}${i}${i}${i}${i}${i}"
    printf '{"uscc":"%s","party_org_name":"中共守护测试协会%d支部","party_org_type":"branch","founded_on":"2019-01-01","secretary_name":"书记桂%d","secretary_position_in_org":"秘书长","member_count":2,"contact_name":"联络员桂%d","contact_phone":"0771-6%d%d%d%d%d%d"}' \
        "$u" "$i" "$i" "$i" "$i" "$i" "$i" "$i" "$i" "$i" | $NPOCTL party save --file - >/dev/null
    for k in 1 2; do
        id=$(resid 450103 "198${k}020$i" "2$i$k") birth="198${k}-02-0$i"
        home="南宁市青秀区家庭住址$i-$k号" mobile="1377710$i$k$i$k" name="党员桂$i$k"
        keep "$id" "$birth" "$home" "$mobile" "$name" "流入地桂$i$k" "原党组织桂$i$k"
        printf '{"uscc":"%s","name":"%s","gender":"female","id_type":"resident_id","id_number":"%s","birth_date":"%s","ethnicity":"壮族","education":"硕士","home_address":"%s","mobile":"%s","is_party_lead":false,"is_party_contact":true,"is_hk_mo_tw":false,"joined_branch_on":"2019-02-01","party_position":"党员","org_position":"会员","position_level":"一般","job_category":"管理人员","joined_party_on":"2005-06-01","full_member_on":"2006-06-01","membership_status":"full","lost_contact":true,"lost_contact_on":"2024-0%d-1%d","mobile_member":true,"outflow_destination":"流入地桂%d%d","under_central_committee":false,"transferred_in_from":"原党组织桂%d%d"}' \
            "$u" "$name" "$id" "$birth" "$home" "$mobile" "$i" "$k" "$i" "$k" "$i" "$k" \
            | $NPOCTL party admit --file - >/dev/null
    done
done

# the last organization's members leave and its party organization is dissolved;
# an auditor's read is refused (and logged)
last=${codes[$((N - 1))]}
for k in 1 2; do
    resid 450103 "198${k}020$N" "2$N$k" | $NPOCTL party transfer-out --uscc "$last" --id-type resident_id \
        --id - --to 中共南宁市委组织部 >/dev/null
done
$NPOCTL party dissolve --uscc "$last" --reason 党员转出 >/dev/null
NPO_ACTOR=auditor:nao $NPOCTL party members "$last" >/dev/null 2>&1

# persons penalized for fundraising (section 13)
for i in $(seq 1 $N); do
    id=$(resid 450102 "1975030$i" "3$i$i") name="募捐个人桂$i" contact="1357710$i$i$i$i"
    keep "$id" "$name" "$contact" "1975-03-0$i"
    printf '{"party_type":"person","party_name":"%s","id_type":"resident_id","id_number":"%s","contact":"%s","penalty_name":"违规募捐","decision_number":"邕民募罚〔2025〕%d号","facts":"个人以慈善名义募捐","legal_basis":"《慈善法》第一百零九条","result":"fine","fine_amount":"2000","authority":"南宁市民政局","decided_on":"%s"}' \
        "$name" "$id" "$contact" "$i" "$today" | $NPOCTL penalty fundraising --file - >/dev/null
done

# a deregistration: its liquidation leader and phone are personal
keep "清算人桂" "13977100000"
$NPOCTL deregister --uscc "${codes[0]}" --reason 自行解散 --liquidation-leader 清算人桂 --liquidation-phone 13977100000 --approve >/dev/null
# and public records of other kinds for the same organizations
printf '{"uscc":"%s","year":2024,"detail":{"finance":{"total_assets":"100","total_liabilities":"0","income":"10","expenses":"5"}}}' "${codes[1]}" \
    | $NPOCTL inspection submit --file - >/dev/null
$NPOCTL inspection review --uscc "${codes[1]}" --year 2024 --result qualified >/dev/null
printf '{"uscc":"%s","penalty_name":"警告","decision_number":"邕民罚〔2025〕9号","facts":"未按期换届","legal_basis":"条例","result":"warning","authority":"兴宁区民政局","decided_on":"%s"}' \
    "${codes[2]}" "$today" | $NPOCTL penalty record --file - >/dev/null
check_eq "the data set: $N organizations, their officers, party members (2 transferred out) and penalized persons" \
    "$(sql "SELECT (SELECT count(*) FROM registry.officer_posts p JOIN registry.organizations o ON o.uscc = p.org_uscc WHERE o.authority_division = '$DIV')
             || ' ' || (SELECT count(*) FROM party.members m JOIN party.orgs o USING (uscc) WHERE o.authority_division = '$DIV')
             || ' ' || (SELECT count(*) FROM credit.person_penalties WHERE decision_number LIKE '邕民募罚%')")" \
    "$((3 * N)) $((2 * N)) $N"
check_eq "every personal value is kept where it belongs" \
    "$(sql "SELECT count(*) FROM party.members WHERE doc ->> 'home_address' LIKE '南宁市青秀区家庭住址%'")" $((2 * N))
in_list=$(printf "'%s'," "${codes[@]}"); in_list=${in_list%,}
check "publication has the deregistration, the result and the penalty" \
    wait_until 15 '[ "$(sql "SELECT count(DISTINCT type) FROM publication.public_events WHERE uscc IN ($in_list) AND type IN ('"'registry.org_deregistered', 'inspection.result_recorded', 'credit.penalty_recorded', 'party.org_dissolved'"')")" = 4 ]'

check "publication knows their party organizations, one dissolved" \
    wait_until 15 '[ "$(sql "SELECT count(*) || '"' '"' || count(*) FILTER (WHERE active) FROM publication.party_orgs WHERE uscc IN ($in_list)")" = "$N $((N - 1))" ]'
check "the statistics include them" wait_until 15 '[ "$(http_code "/v1/stats?division=$DIV")" = 200 ]'
sleep 1

# --- everything public, into one corpus
corpus="$NPO_VAR/public-corpus.txt"
: > "$corpus"
check_eq "Redis holds one database" "$(redis INFO keyspace | grep -c '^db')" 1
redis --scan > "$NPO_VAR/keys.txt"
while read -r key; do
    echo "$key"
    case "$(redis TYPE "$key")" in
        string) redis GET "$key" ;;
        zset)   redis ZRANGE "$key" 0 -1 WITHSCORES ;;
        hash)   redis HGETALL "$key" ;;
        list)   redis LRANGE "$key" 0 -1 ;;
        set)    redis SMEMBERS "$key" ;;
        stream) redis XRANGE "$key" - + ;;
        *)      echo "unknown type of $key" ;;
    esac
done < "$NPO_VAR/keys.txt" >> "$corpus"
keys=$(wc -l < "$NPO_VAR/keys.txt")
sql "SELECT type || ' ' || uscc || ' ' || division || ' ' || doc || ' ' || coalesce (record, '')
     FROM publication.public_events" >> "$corpus"
events=$(sql "SELECT count(*) FROM publication.public_events")
# and the stream as regions receive it, the whole country
$NPOCTL subscribe --province all --until "$(sql "SELECT max(seq) FROM publication.public_events")" \
    --out "$NPO_VAR/stream.jsonl" 2>/dev/null
streamed=$(wc -l < "$NPO_VAR/stream.jsonl")
cat "$NPO_VAR/stream.jsonl" >> "$corpus"
# and the open data set: a snapshot in both formats, a delta from the start
$NPOCTL export snapshot --out "$NPO_VAR/open" >/dev/null
$NPOCTL export snapshot --format csv --out "$NPO_VAR/open/csv" >/dev/null
$NPOCTL export delta --since 0 --out "$NPO_VAR/open" >/dev/null
exported=$(cat "$NPO_VAR"/open/*.jsonl "$NPO_VAR"/open/csv/*.csv | wc -l)
cat "$NPO_VAR"/open/*.jsonl "$NPO_VAR"/open/*.json "$NPO_VAR"/open/csv/* >> "$corpus"
# every organization's answers, 200 URLs to a curl
sql "SELECT uscc FROM publication.orgs" > "$NPO_VAR/orgs.txt"
orgs=$(wc -l < "$NPO_VAR/orgs.txt")
while read -r u; do
    for path in "" /changes /inspections /evaluations /penalties; do
        echo "$NPO_GATEWAY_URL/v1/orgs/$u$path"
    done
    echo "$NPO_GATEWAY_URL/v1/verify?uscc=$u"
done < "$NPO_VAR/orgs.txt" > "$NPO_VAR/urls.txt"
for path in "/v1/lists/abnormal?limit=100" "/v1/lists/serious?limit=100" /v1/stats "/v1/stats?division=45" \
            "/v1/stats?division=4501" "/v1/stats?division=$DIV" /metrics /healthz; do
    echo "$NPO_GATEWAY_URL$path"
done >> "$NPO_VAR/urls.txt"
xargs -n 200 curl -s -w '\nHTTP %{http_code}\n' < "$NPO_VAR/urls.txt" >> "$corpus"
answers=$(grep -c '^HTTP 200$' "$corpus")
cat "$NPO_VAR"/log/*.log >> "$corpus" 2>/dev/null
check "the corpus covers Redis ($keys keys), the public event log ($events events) and its stream ($streamed), $answers gateway answers (200) for $orgs organizations, and the open data ($exported lines)" \
    test "$keys" -gt $N -a "$events" -gt $N -a "$streamed" -eq "$events" -a "$orgs" -ge $N \
         -a "$answers" -ge $((6 * orgs)) -a "$exported" -ge $((3 * orgs))
check_nomatch "every key is of a type the scan reads" "$(cat "$corpus")" '^unknown type of' 
check "and the logs, PostgreSQL's included" grep -q 'database system is ready' "$corpus"
check_match "and it is the real thing: the public parts are in it" "$(cat "$corpus")" "守护测试协会1.*会长桂1"

# --- the scan: no personal value anywhere public
# each value as given, and its digits alone (a phone without its dash, a
# birth date as YYYYMMDD) when it has 7 or more
while read -r v; do
    digits=$(printf '%s' "$v" | tr -cd '0-9')
    [ ${#digits} -ge 7 ] && [ "$digits" != "$v" ] && echo "$digits"
done < "$NPO_VAR/personal.txt" > "$NPO_VAR/forms.txt"
cat "$NPO_VAR/forms.txt" >> "$NPO_VAR/personal.txt"
values=$(sort -u "$NPO_VAR/personal.txt" | grep -c .)
found=$(tr -d '\000' < "$corpus" | grep -a -F -o -f "$NPO_VAR/personal.txt" | sort | uniq -c | sort -rn | head -n 10)
check_eq "none of the $values personal values (and forms) is in any public output or log" "$found" ""
finish
