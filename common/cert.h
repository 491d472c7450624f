/*  cert.h - signed electronic registration certificates (法人登记证书)
 *
 *  A certificate is a record (npo_cert_t) plus a short token printed on it
 *  (and in its QR code) that carries the certificate number, its version and
 *  an Ed25519 signature by the issuing authority over the record's canonical
 *  form. Anyone holding the authority's public key can check a printed
 *  certificate against the register: parse the token, fetch that number and
 *  version, rebuild the canonical form, verify.
 *
 *  Canonical form (what is signed), UTF-8, every line ending in "\n":
 *
 *      npo-cert-v1
 *      number=...
 *      version=<decimal>
 *      uscc=...
 *      name=...
 *      legal_representative=...
 *      address=...
 *      registered_capital=...
 *      business_scope=...
 *      activity_area=...
 *      business_unit=...
 *      issuing_authority=...
 *      authority_division=...
 *      valid_from=...
 *      valid_to=...
 *      issued_on=...
 *
 *  In values, '\' is written "\\", newline "\n" and carriage return "\r", so
 *  no value can forge another line. NULL fields are written as "". The order
 *  and the names are fixed: changing either needs a new first line.
 *
 *  Token: base64url without padding of
 *
 *      0x01 | n (1 byte) | number (n bytes) | version (4 bytes, big-endian)
 *           | Ed25519 signature (64 bytes, detached, over the canonical form)
 *
 *  so 70 + n bytes, at most 147 characters for a 40-char number.
 *
 *  Keys: production holds one Ed25519 key per issuing authority in an HSM and
 *  signs there. npo_cert_authority_keys derives the authorities' key pairs
 *  from one master secret; that is what `make run` and the tests use, never a
 *  production deployment. Functions that need it call sodium_init themselves.
 */
#ifndef NPO_CERT_H
#define NPO_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NPO_CERT_NUMBER_MAX     40      //  bytes in a certificate number
#define NPO_CERT_TOKEN_MAX      256     //  characters a parser accepts
#define NPO_CERT_FORMAT         0x01    //  first byte of a token

typedef struct {
    const char *number;                 //  e.g. "51440106BCW500015F-2", ASCII
    uint32_t version;                   //  1 for the first issue, +1 per re-issue
    const char *uscc;                   //  统一社会信用代码
    const char *name;                   //  名称
    const char *legal_representative;   //  法定代表人
    const char *address;                //  住所
    const char *registered_capital;     //  注册资金, as printed
    const char *business_scope;         //  业务范围
    const char *activity_area;          //  活动地域
    const char *business_unit;          //  业务主管单位
    const char *issuing_authority;      //  登记管理机关
    const char *authority_division;     //  its GB/T 2260 code, picks the key
    const char *valid_from;             //  YYYY-MM-DD
    const char *valid_to;               //  YYYY-MM-DD
    const char *issued_on;              //  YYYY-MM-DD
} npo_cert_t;

//  Writes the canonical form of c into buf (capacity cap, NUL-terminated when
//  cap > 0; buf may be NULL when cap is 0). Returns the length it needs without
//  the NUL: like snprintf, a result >= cap means truncated, retry bigger.
size_t
    npo_cert_canonical (const npo_cert_t *c, char *buf, size_t cap);

//  Derives the Ed25519 pair of the authority for division (NULL is ""):
//  seed = BLAKE2b-256 keyed with master over "npo-cert-key:" + division.
//  Development and tests only, see above. The caller owns and wipes sk.
void
    npo_cert_authority_keys (const unsigned char master [32], const char *division,
                             unsigned char pk [32], unsigned char sk [64]);

//  Signs c with sk and writes the token, NUL-terminated, into token (capacity
//  cap). Returns 0, or -1 when c or its number is malformed (empty, longer
//  than NPO_CERT_NUMBER_MAX, not printable ASCII without spaces), cap is too
//  small or memory ran out.
int
    npo_cert_sign (const npo_cert_t *c, const unsigned char sk [64],
                   char *token, size_t cap);

//  Parses a token strictly: at most NPO_CERT_TOKEN_MAX chars of canonical
//  base64url without padding, format byte 1, exact length, a number as
//  npo_cert_sign accepts it. Fills number (NUL-terminated, number_cap bytes),
//  *version and sig. Returns 0, or -1 with the outputs unspecified.
int
    npo_cert_token_parse (const char *token, char *number, size_t number_cap,
                          uint32_t *version, unsigned char sig [64]);

//  Returns true when sig is pk's signature over canonical [0 .. len).
bool
    npo_cert_verify (const char *canonical, size_t len, const unsigned char sig [64],
                     const unsigned char pk [32]);

//  Fills c from a canonical form, in place: text is unescaped and c's strings
//  point into it. Returns 0, or -1 when text is not a canonical form.
int
    npo_cert_parse_canonical (char *text, npo_cert_t *c);

void
    npo_cert_test (bool verbose);

#endif
