# uscc.awk - an independent GB 32100 + GB 11714 checker for the tests
# (deliberately not the C code under test). Prints "CODE ok" or "CODE bad".
BEGIN {
    alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    split("1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28", w, " ")
    split("3 7 9 10 5 8 4 2", ow, " ")
    az = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
}
{
    code = $1; good = length(code) == 18
    sum = 0
    for (i = 1; good && i <= 17; i++) {
        v = index(alpha, substr(code, i, 1)) - 1
        if (v < 0) good = 0; else sum += v * w[i]
    }
    if (good) {
        c = 31 - sum % 31; if (c == 31) c = 0
        if (substr(alpha, c + 1, 1) != substr(code, 18, 1)) good = 0
    }
    osum = 0
    for (i = 1; good && i <= 8; i++) osum += (index(az, substr(code, 8 + i, 1)) - 1) * ow[i]
    if (good) {
        c = 11 - osum % 11
        ch = c == 10 ? "X" : c == 11 ? "0" : c ""
        if (ch != substr(code, 17, 1)) good = 0
    }
    print code, (good ? "ok" : "bad")
}
