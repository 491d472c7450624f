# uscc_make.awk - test data: completes 17-character code bodies on stdin
# ("5" type division6 orgcode8, e.g. 5144010 6MJT00001 without the space)
# with their GB 11714 and GB 32100 check characters, independently of the C
# code under test. Prints one 18-character code a line.
BEGIN {
    alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    split("1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28", w, " ")
    split("3 7 9 10 5 8 4 2", ow, " ")
    az = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
}
{
    body = substr($1, 1, 16)
    osum = 0
    for (i = 1; i <= 8; i++) osum += (index(az, substr(body, 8 + i, 1)) - 1) * ow[i]
    c = 11 - osum % 11
    code17 = body (c == 10 ? "X" : c == 11 ? "0" : c "")
    sum = 0
    for (i = 1; i <= 17; i++) sum += (index(alpha, substr(code17, i, 1)) - 1) * w[i]
    c = 31 - sum % 31; if (c == 31) c = 0
    print code17 substr(alpha, c + 1, 1)
}
