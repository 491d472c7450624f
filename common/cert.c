/*  cert.c - signed electronic registration certificates
 *
 *  Canonical form, token layout and key derivation are described in cert.h.
 *  Tokens come from scanned paper and typed URLs: the parser takes untrusted
 *  input, bounds it before decoding and accepts one encoding per token only.
 */
#include "cert.h"
#include "selftest.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_VARIANT       sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define S_HEADER        "npo-cert-v1"
#define S_KEY_CONTEXT   "npo-cert-key:"
//  format + n + version + signature, without the number
#define S_FIXED_LEN     (1 + 1 + 4 + crypto_sign_BYTES)
//  Decoded size of the longest token a parser reads
#define S_BIN_MAX       (NPO_CERT_TOKEN_MAX / 4 * 3 + 3)


//  --------------------------------------------------------------------------
//  Helpers

//  Output of the canonical writer: counts every byte, stores what fits.
typedef struct {
    char *buf;          //  may be NULL when cap is 0
    size_t cap;         //  bytes in buf, NUL included
    size_t len;         //  bytes wanted so far
} s_out_t;

static void
s_put (s_out_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (out->len + 1 < out->cap)
            out->buf [out->len] = s [i];
        out->len++;
    }
}

static void
s_put_line (s_out_t *out, const char *key, const char *value)
{
    s_put (out, key, strlen (key));
    s_put (out, "=", 1);
    for (const char *p = value? value: ""; *p; p++) {
        if (*p == '\\')
            s_put (out, "\\\\", 2);
        else
        if (*p == '\n')
            s_put (out, "\\n", 2);
        else
        if (*p == '\r')
            s_put (out, "\\r", 2);
        else
            s_put (out, p, 1);
    }
    s_put (out, "\n", 1);
}

//  True when number holds n (1 .. NPO_CERT_NUMBER_MAX) printable ASCII chars
//  other than space.
static bool
s_number_ok (const char *number, size_t n)
{
    if (number == NULL || n == 0 || n > NPO_CERT_NUMBER_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (number [i] < 0x21 || number [i] > 0x7E)
            return false;
    return true;
}


//  --------------------------------------------------------------------------
//  Public API

size_t
npo_cert_canonical (const npo_cert_t *c, char *buf, size_t cap)
{
    s_out_t out = { buf, buf? cap: 0, 0 };
    if (c == NULL) {
        if (out.cap > 0)
            buf [0] = '\0';
        return 0;
    }
    char version [16];
    snprintf (version, sizeof version, "%lu", (unsigned long) c->version);

    //  The order is part of the format (cert.h): append, never reorder.
    const struct {
        const char *key;
        const char *value;
    } fields [] = {
        { "number", c->number },
        { "version", version },
        { "uscc", c->uscc },
        { "name", c->name },
        { "legal_representative", c->legal_representative },
        { "address", c->address },
        { "registered_capital", c->registered_capital },
        { "business_scope", c->business_scope },
        { "activity_area", c->activity_area },
        { "business_unit", c->business_unit },
        { "issuing_authority", c->issuing_authority },
        { "authority_division", c->authority_division },
        { "valid_from", c->valid_from },
        { "valid_to", c->valid_to },
        { "issued_on", c->issued_on },
    };
    s_put (&out, S_HEADER "\n", strlen (S_HEADER "\n"));
    for (size_t i = 0; i < sizeof fields / sizeof fields [0]; i++)
        s_put_line (&out, fields [i].key, fields [i].value);

    if (out.cap > 0)
        buf [out.len < out.cap? out.len: out.cap - 1] = '\0';
    return out.len;
}

void
npo_cert_authority_keys (const unsigned char master [32], const char *division,
                         unsigned char pk [32], unsigned char sk [64])
{
    unsigned char seed [crypto_sign_SEEDBYTES];
    crypto_generichash_state state;
    const char *div = division? division: "";

    if (sodium_init () < 0)
        abort ();               //  no usable crypto: nothing could be signed
    crypto_generichash_init (&state, master, 32, sizeof seed);
    crypto_generichash_update (&state, (const unsigned char *) S_KEY_CONTEXT,
                               strlen (S_KEY_CONTEXT));
    crypto_generichash_update (&state, (const unsigned char *) div, strlen (div));
    crypto_generichash_final (&state, seed, sizeof seed);
    crypto_sign_seed_keypair (pk, sk, seed);
    sodium_memzero (seed, sizeof seed);
    sodium_memzero (&state, sizeof state);
}

int
npo_cert_sign (const npo_cert_t *c, const unsigned char sk [64], char *token, size_t cap)
{
    int rc = -1;
    char *canonical = NULL;
    unsigned char bin [S_FIXED_LEN + NPO_CERT_NUMBER_MAX];

    if (c == NULL || sk == NULL || token == NULL || sodium_init () < 0)
        goto done;
    size_t n = c->number? strnlen (c->number, NPO_CERT_NUMBER_MAX + 1): 0;
    if (!s_number_ok (c->number, n))
        goto done;
    size_t bin_len = S_FIXED_LEN + n;
    //  sodium_bin2base64 aborts on a short buffer: check first.
    if (cap < sodium_base64_ENCODED_LEN (bin_len, S_VARIANT))
        goto done;

    size_t len = npo_cert_canonical (c, NULL, 0);
    canonical = malloc (len + 1);
    if (canonical == NULL)
        goto done;
    npo_cert_canonical (c, canonical, len + 1);

    bin [0] = NPO_CERT_FORMAT;
    bin [1] = (unsigned char) n;
    memcpy (bin + 2, c->number, n);
    bin [2 + n] = (unsigned char) (c->version >> 24);
    bin [3 + n] = (unsigned char) (c->version >> 16);
    bin [4 + n] = (unsigned char) (c->version >> 8);
    bin [5 + n] = (unsigned char) c->version;
    if (crypto_sign_detached (bin + 6 + n, NULL, (const unsigned char *) canonical, len, sk))
        goto done;
    sodium_bin2base64 (token, cap, bin, bin_len, S_VARIANT);
    rc = 0;
done:
    free (canonical);
    return rc;
}

int
npo_cert_token_parse (const char *token, char *number, size_t number_cap,
                      uint32_t *version, unsigned char sig [64])
{
    unsigned char bin [S_BIN_MAX];
    char again [NPO_CERT_TOKEN_MAX + 1];
    size_t bin_len = 0;
    const char *end = NULL;

    if (token == NULL || number == NULL || version == NULL || sig == NULL)
        return -1;
    size_t token_len = strnlen (token, NPO_CERT_TOKEN_MAX + 1);
    if (token_len == 0 || token_len > NPO_CERT_TOKEN_MAX)
        return -1;
    if (sodium_init () < 0
    ||  sodium_base642bin (bin, sizeof bin, token, token_len, NULL, &bin_len, &end,
                           S_VARIANT) != 0
    ||  end != token + token_len)
        return -1;
    //  One encoding per token: unused trailing bits must be zero, so that
    //  re-encoding gives the same text back.
    if (sodium_base64_ENCODED_LEN (bin_len, S_VARIANT) > sizeof again)
        return -1;
    sodium_bin2base64 (again, sizeof again, bin, bin_len, S_VARIANT);
    if (strcmp (again, token) != 0)
        return -1;

    if (bin_len < S_FIXED_LEN + 1 || bin [0] != NPO_CERT_FORMAT)
        return -1;
    size_t n = bin [1];
    if (bin_len != S_FIXED_LEN + n || n + 1 > number_cap
    ||  !s_number_ok ((const char *) bin + 2, n))
        return -1;
    memcpy (number, bin + 2, n);
    number [n] = '\0';
    *version = (uint32_t) bin [2 + n] << 24 | (uint32_t) bin [3 + n] << 16
             | (uint32_t) bin [4 + n] << 8 | (uint32_t) bin [5 + n];
    memcpy (sig, bin + 6 + n, crypto_sign_BYTES);
    return 0;
}

bool
npo_cert_verify (const char *canonical, size_t len, const unsigned char sig [64],
                 const unsigned char pk [32])
{
    if (canonical == NULL || sig == NULL || pk == NULL || sodium_init () < 0)
        return false;
    return crypto_sign_verify_detached (sig, (const unsigned char *) canonical, len, pk) == 0;
}


//  --------------------------------------------------------------------------
//  Self-test

#define S_TEST_B64URL \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
//  Public key of division 440106 under the test master 00 01 .. 1f
#define S_TEST_PK_440106 \
    "3b1b6bda869ee37564fc1f32bc982fc72af05a883478d0f7b39075c9043a2b43"

//  Decodes a token without the parser's checks, so the test can tamper.
static size_t
s_test_decode (const char *token, unsigned char *bin, size_t cap)
{
    size_t len = 0;
    if (sodium_base642bin (bin, cap, token, strlen (token), NULL, &len, NULL, S_VARIANT))
        return 0;
    return len;
}

//  Verifies token against c as a checker would: the number and version come
//  from the token, the rest from the record.
static bool
s_test_check (const char *token, const npo_cert_t *record, const unsigned char pk [32])
{
    char number [NPO_CERT_NUMBER_MAX + 1], canonical [2048];
    unsigned char sig [64];
    npo_cert_t c = *record;
    if (npo_cert_token_parse (token, number, sizeof number, &c.version, sig))
        return false;
    c.number = number;
    size_t len = npo_cert_canonical (&c, canonical, sizeof canonical);
    return len < sizeof canonical && npo_cert_verify (canonical, len, sig, pk);
}

int
npo_cert_parse_canonical (char *text, npo_cert_t *c)
{
    static const char *keys [] = {
        "number", "version", "uscc", "name", "legal_representative", "address",
        "registered_capital", "business_scope", "activity_area", "business_unit",
        "issuing_authority", "authority_division", "valid_from", "valid_to", "issued_on"
    };
    const char **slots [] = {
        &c->number, NULL, &c->uscc, &c->name, &c->legal_representative, &c->address,
        &c->registered_capital, &c->business_scope, &c->activity_area, &c->business_unit,
        &c->issuing_authority, &c->authority_division, &c->valid_from, &c->valid_to,
        &c->issued_on
    };
    if (strncmp (text, "npo-cert-v1\n", 12) != 0)
        return -1;
    memset (c, 0, sizeof *c);
    char *line = strchr (text, '\n');          //  after "npo-cert-v1"
    for (size_t i = 0; i < sizeof keys / sizeof keys [0]; i++) {
        if (!line)
            return -1;
        line++;
        char *end = strchr (line, '\n');
        size_t klen = strlen (keys [i]);
        if (!end || strncmp (line, keys [i], klen) || line [klen] != '=')
            return -1;
        *end = 0;
        char *value = line + klen + 1, *out = value;
        for (char *in = value; *in; in++)          //  \\ \n \r
            *out++ = *in == '\\' && in [1]? (++in, *in == 'n'? '\n': *in == 'r'? '\r': *in): *in;
        *out = 0;
        if (slots [i])
            *slots [i] = value;
        else
            c->version = (uint32_t) strtoul (value, NULL, 10);
        line = end;
    }
    return 0;
}

void
npo_cert_test (bool verbose)
{
    if (verbose)
        printf (" * cert: ");
    SELFTEST_CHECK (sodium_init () >= 0);

    npo_cert_t c = {
        .number = "51440106BCW500015F-2",
        .version = 2,
        .uscc = "51440106BCW500015F",
        .name = "广州市天河区青少年科技教育协会",
        .legal_representative = "李明",
        .address = "广州市天河区体育西路1号",
        .registered_capital = "3万元",
        .business_scope = "科普宣传、培训交流",
        .activity_area = "天河区",
        .business_unit = "广州市天河区科学技术协会",
        .issuing_authority = "广州市天河区民政局",
        .authority_division = "440106",
        .valid_from = "2024-03-01",
        .valid_to = "2029-02-28",
        .issued_on = "2024-03-01",
    };
    const char *expected =
        "npo-cert-v1\n"
        "number=51440106BCW500015F-2\n"
        "version=2\n"
        "uscc=51440106BCW500015F\n"
        "name=广州市天河区青少年科技教育协会\n"
        "legal_representative=李明\n"
        "address=广州市天河区体育西路1号\n"
        "registered_capital=3万元\n"
        "business_scope=科普宣传、培训交流\n"
        "activity_area=天河区\n"
        "business_unit=广州市天河区科学技术协会\n"
        "issuing_authority=广州市天河区民政局\n"
        "authority_division=440106\n"
        "valid_from=2024-03-01\n"
        "valid_to=2029-02-28\n"
        "issued_on=2024-03-01\n";
    char canonical [2048];
    size_t len = npo_cert_canonical (&c, canonical, sizeof canonical);
    SELFTEST_CHECK (len == strlen (expected));

    //  The canonical form reads back field for field, escapes undone
    npo_cert_t round = c;
    round.business_scope = "第一行\n第二行\\";
    char text [2048], *copy = malloc (sizeof text);
    size_t tl = npo_cert_canonical (&round, text, sizeof text);
    memcpy (copy, text, tl + 1);
    npo_cert_t back;
    SELFTEST_CHECK (npo_cert_parse_canonical (copy, &back) == 0);
    SELFTEST_CHECK (strcmp (back.business_scope, "第一行\n第二行\\") == 0);
    SELFTEST_CHECK (strcmp (back.name, c.name) == 0 && back.version == 2);
    SELFTEST_CHECK (strcmp (back.issued_on, "2024-03-01") == 0);
    SELFTEST_CHECK (npo_cert_canonical (&back, NULL, 0) == tl);
    char broken [] = "npo-cert-v1\nnumber=x\n";
    SELFTEST_CHECK (npo_cert_parse_canonical (broken, &back) == -1);
    char v2 [] = "npo-cert-v2\n";
    SELFTEST_CHECK (npo_cert_parse_canonical (v2, &back) == -1);
    free (copy);
    SELFTEST_CHECK (strcmp (canonical, expected) == 0);

    //  snprintf-like truncation, and a NULL buffer to measure
    char small [16];
    SELFTEST_CHECK (npo_cert_canonical (&c, small, sizeof small) == len);
    SELFTEST_CHECK (strlen (small) == sizeof small - 1);
    SELFTEST_CHECK (memcmp (small, expected, sizeof small - 1) == 0);
    SELFTEST_CHECK (npo_cert_canonical (&c, NULL, 0) == len);

    //  Escaping, and NULL fields as ""
    npo_cert_t e = { .number = "N-1", .version = 4294967295u,
                     .name = "a\\b\nc\rd", .business_scope = "x\\n" };
    len = npo_cert_canonical (&e, canonical, sizeof canonical);
    SELFTEST_CHECK (len == strlen (canonical));
    SELFTEST_CHECK (strstr (canonical, "\nversion=4294967295\n") != NULL);
    SELFTEST_CHECK (strstr (canonical, "\nname=a\\\\b\\nc\\rd\n") != NULL);
    SELFTEST_CHECK (strstr (canonical, "\nbusiness_scope=x\\\\n\n") != NULL);
    SELFTEST_CHECK (strstr (canonical, "\nuscc=\nname=") != NULL);
    SELFTEST_CHECK (strstr (canonical, "\r") == NULL);
    //  A value cannot pose as a later line
    npo_cert_t forged = { .number = "N-1", .version = 4294967295u,
                          .name = "a\\b\nc\rd\nbusiness_scope=x\\n" };
    char other [2048];
    npo_cert_canonical (&forged, other, sizeof other);
    SELFTEST_CHECK (strcmp (canonical, other) != 0);

    //  Keys: deterministic per (master, division), distinct across both
    unsigned char master [32], master2 [32];
    for (int i = 0; i < 32; i++) {
        master [i] = (unsigned char) i;
        master2 [i] = (unsigned char) (i + 1);
    }
    unsigned char pk [32], sk [64], pk2 [32], sk2 [64], pk3 [32], sk3 [64];
    npo_cert_authority_keys (master, "440106", pk, sk);
    npo_cert_authority_keys (master, "440106", pk2, sk2);
    SELFTEST_CHECK (memcmp (pk, pk2, 32) == 0 && memcmp (sk, sk2, 64) == 0);
    npo_cert_authority_keys (master, "110000", pk2, sk2);
    SELFTEST_CHECK (memcmp (pk, pk2, 32) != 0);
    npo_cert_authority_keys (master2, "440106", pk3, sk3);
    SELFTEST_CHECK (memcmp (pk, pk3, 32) != 0);
    //  Pinned, so a change to the derivation cannot pass unnoticed
    char hex [65];
    sodium_bin2hex (hex, sizeof hex, pk, 32);
    SELFTEST_CHECK (strcmp (hex, S_TEST_PK_440106) == 0);

    //  Sign, parse, verify
    char token [NPO_CERT_TOKEN_MAX + 1];
    SELFTEST_CHECK (npo_cert_sign (&c, sk, token, sizeof token) == 0);
    SELFTEST_CHECK (strlen (token) == sodium_base64_ENCODED_LEN (70 + 20, S_VARIANT) - 1);
    SELFTEST_CHECK (strspn (token, S_TEST_B64URL) == strlen (token));
    char number [NPO_CERT_NUMBER_MAX + 1];
    uint32_t version = 0;
    unsigned char sig [64];
    SELFTEST_CHECK (npo_cert_token_parse (token, number, sizeof number, &version, sig) == 0);
    SELFTEST_CHECK (strcmp (number, c.number) == 0 && version == 2);
    len = npo_cert_canonical (&c, canonical, sizeof canonical);
    SELFTEST_CHECK (npo_cert_verify (canonical, len, sig, pk));
    SELFTEST_CHECK (!npo_cert_verify (canonical, len, sig, pk2));
    SELFTEST_CHECK (!npo_cert_verify (canonical, len - 1, sig, pk));
    SELFTEST_CHECK (!npo_cert_verify (NULL, 0, sig, pk));
    SELFTEST_CHECK (s_test_check (token, &c, pk));

    //  The layout in cert.h
    unsigned char bin [S_BIN_MAX];
    size_t bin_len = s_test_decode (token, bin, sizeof bin);
    SELFTEST_CHECK (bin_len == 90);
    SELFTEST_CHECK (bin [0] == 1 && bin [1] == 20 && memcmp (bin + 2, c.number, 20) == 0);
    SELFTEST_CHECK (bin [22] == 0 && bin [23] == 0 && bin [24] == 0 && bin [25] == 2);
    SELFTEST_CHECK (memcmp (bin + 26, sig, 64) == 0);

    //  A changed field in the record fails
    npo_cert_t changed = c;
    changed.legal_representative = "李朋";
    SELFTEST_CHECK (!s_test_check (token, &changed, pk));

    //  One flipped signature byte: still parses, no longer verifies
    char tampered [NPO_CERT_TOKEN_MAX + 8];
    bin [26 + 17] ^= 0x01;
    sodium_bin2base64 (tampered, sizeof tampered, bin, bin_len, S_VARIANT);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig) == 0);
    SELFTEST_CHECK (!npo_cert_verify (canonical, len, sig, pk));
    SELFTEST_CHECK (!s_test_check (tampered, &c, pk));
    bin [26 + 17] ^= 0x01;

    //  Another version, then another number, with the same signature: parse
    //  ok, but the payload they name is not the one signed
    bin [25] = 3;
    sodium_bin2base64 (tampered, sizeof tampered, bin, bin_len, S_VARIANT);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig) == 0);
    SELFTEST_CHECK (version == 3);
    SELFTEST_CHECK (!s_test_check (tampered, &c, pk));
    bin [25] = 2;
    bin [21] = '3';
    sodium_bin2base64 (tampered, sizeof tampered, bin, bin_len, S_VARIANT);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig) == 0);
    SELFTEST_CHECK (strcmp (number, "51440106BCW500015F-3") == 0);
    SELFTEST_CHECK (!s_test_check (tampered, &c, pk));
    bin [21] = '2';

    //  Malformed tokens are refused
    size_t tlen = strlen (token);
    memcpy (tampered, token, tlen + 1);
    tampered [tlen - 1] = '\0';
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    tampered [tlen - 4] = '\0';
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    SELFTEST_CHECK (npo_cert_token_parse ("", number, sizeof number, &version, sig));
    SELFTEST_CHECK (npo_cert_token_parse ("!!!!", number, sizeof number, &version, sig));
    SELFTEST_CHECK (npo_cert_token_parse (NULL, number, sizeof number, &version, sig));
    SELFTEST_CHECK (npo_cert_token_parse ("AQEx", number, sizeof number, &version, sig));
    //  Padding, a char from the standard alphabet, whitespace
    snprintf (tampered, sizeof tampered, "%s=", token);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    memcpy (tampered, token, tlen + 1);
    tampered [10] = '+';
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    snprintf (tampered, sizeof tampered, "%s\n", token);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    //  Non-zero unused bits in the last char: a 21-char number makes 91
    //  bytes, 122 chars, 4 bits unused
    npo_cert_t odd = c;
    odd.number = "51440106BCW500015F-21";
    SELFTEST_CHECK (npo_cert_sign (&odd, sk, tampered, sizeof tampered) == 0);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig) == 0);
    tlen = strlen (tampered);
    const char *digit = strchr (S_TEST_B64URL, tampered [tlen - 1]);
    SELFTEST_CHECK (tlen == 122 && digit && (digit - S_TEST_B64URL) % 16 == 0);
    if (digit)
        tampered [tlen - 1] = S_TEST_B64URL [(digit - S_TEST_B64URL) | 1];
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    //  Overlong
    char overlong [NPO_CERT_TOKEN_MAX + 8];
    memset (overlong, 'A', sizeof overlong - 1);
    overlong [sizeof overlong - 1] = '\0';
    SELFTEST_CHECK (npo_cert_token_parse (overlong, number, sizeof number, &version, sig));
    //  Format byte, number length byte, number chars
    bin [0] = 2;
    sodium_bin2base64 (tampered, sizeof tampered, bin, bin_len, S_VARIANT);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    bin [0] = 1;
    bin [1] = 21;
    sodium_bin2base64 (tampered, sizeof tampered, bin, bin_len, S_VARIANT);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    bin [1] = 20;
    bin [10] = ' ';
    sodium_bin2base64 (tampered, sizeof tampered, bin, bin_len, S_VARIANT);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    bin [10] = 0xE4;
    sodium_bin2base64 (tampered, sizeof tampered, bin, bin_len, S_VARIANT);
    SELFTEST_CHECK (npo_cert_token_parse (tampered, number, sizeof number, &version, sig));
    //  Too small a number buffer
    SELFTEST_CHECK (npo_cert_token_parse (token, number, 20, &version, sig));
    SELFTEST_CHECK (npo_cert_token_parse (token, number, 21, &version, sig) == 0);

    //  Sign refuses what parse would
    SELFTEST_CHECK (npo_cert_sign (&c, sk, token, 100) == -1);
    npo_cert_t bad = c;
    bad.number = "";
    SELFTEST_CHECK (npo_cert_sign (&bad, sk, token, sizeof token) == -1);
    bad.number = "A B";
    SELFTEST_CHECK (npo_cert_sign (&bad, sk, token, sizeof token) == -1);
    bad.number = NULL;
    SELFTEST_CHECK (npo_cert_sign (&bad, sk, token, sizeof token) == -1);
    bad.number = "12345678901234567890123456789012345678901";
    SELFTEST_CHECK (npo_cert_sign (&bad, sk, token, sizeof token) == -1);
    bad.number = "1234567890123456789012345678901234567890";
    SELFTEST_CHECK (npo_cert_sign (&bad, sk, token, sizeof token) == 0);
    SELFTEST_CHECK (strlen (token) == 147);
    SELFTEST_CHECK (s_test_check (token, &bad, pk));

    sodium_memzero (sk, sizeof sk);
    sodium_memzero (sk2, sizeof sk2);
    sodium_memzero (sk3, sizeof sk3);
    if (verbose)
        printf ("OK\n");
}
