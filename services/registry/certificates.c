/*  certificates.c - npo-registry registration certificates (catalog section 4)
 *
 *  Issued on approval, re-issued when a change touches what is printed on
 *  them, revoked on deregistration. Each issue is signed by the issuing
 *  authority's key (common/cert.h); the event carries it to publication, which
 *  lets the gateway verify printed certificates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "cert.h"
#include "log.h"
#include "registry.h"

//  Change items printed on the certificate: changing one re-issues it.
static const char *s_printed [] = {
    "name", "legal_representative", "address", "registered_capital", "business_scope",
    "activity_area", "business_unit",
};

bool
reg_cert_item (const char *item)
{
    return NPO_STR_IN (item, s_printed);
}

//  Fills org->certificate from a certificates row (columns as in s_columns).
static void
s_fill (Npo__Organization *org, PGresult *res, int row)
{
    Npo__Certificate *c = malloc (sizeof *c);
    if (!c)
        abort ();
    npo__certificate__init (c);
    c->number = npo_strdup (PQgetvalue (res, row, 0));
    c->version = (uint32_t) strtoul (PQgetvalue (res, row, 1), NULL, 10);
    c->status = npo_strdup (PQgetvalue (res, row, 2));
    c->valid_from = npo_strdup (PQgetvalue (res, row, 3));
    c->valid_to = npo_strdup (PQgetvalue (res, row, 4));
    c->issued_on = npo_strdup (PQgetvalue (res, row, 5));
    c->activity_area = npo_strdup (PQgetvalue (res, row, 6));
    c->issuing_authority = npo_strdup (PQgetvalue (res, row, 7));
    c->canonical = npo_strdup (PQgetvalue (res, row, 8));
    c->token = npo_strdup (PQgetvalue (res, row, 9));
    c->public_key = npo_strdup (PQgetvalue (res, row, 10));
    if (org->certificate)
        npo__certificate__free_unpacked (org->certificate, NULL);
    org->certificate = c;
}

#define S_COLUMNS "number, version, status, valid_from::text, valid_to::text, issued_on::text," \
                  " activity_area, issuing_authority, canonical, token, public_key"

int
reg_cert_load (reg_t *self, Npo__Organization *org)
{
    const char *params [1] = { org->uscc };
    PGresult *res = npo_db_exec (self->db,
        "SELECT " S_COLUMNS " FROM certificates WHERE uscc = $1 ORDER BY version DESC LIMIT 1",
        1, params);
    if (!res)
        return -1;
    if (PQntuples (res) == 1)
        s_fill (org, res, 0);
    PQclear (res);
    return 0;
}

//  The certificate of org as printed from its register fields, numbered
//  number and version, valid from to to, issued on issued_on.
static npo_cert_t
s_cert_of (const Npo__Organization *org, const char *number, uint32_t version,
           const char *from, const char *to, const char *issued_on)
{
    const Npo__BasicInfo *b = org->basic;
    return (npo_cert_t) {
        .number = number, .version = version, .uscc = org->uscc, .name = b->name,
        .legal_representative = b->legal_representative, .address = b->address,
        .registered_capital = b->registered_capital, .business_scope = b->business_scope,
        .activity_area = b->activity_area, .business_unit = b->business_unit,
        .issuing_authority = b->registration_authority,
        .authority_division = b->authority_division,
        .valid_from = from, .valid_to = to, .issued_on = issued_on,
    };
}

int
reg_cert_default_to (reg_t *self, const char *from, char *to)
{
    //  Valid 5 years: to the day before the fifth anniversary
    const char *params [1] = { from };
    PGresult *res = npo_db_exec (self->db,
        "SELECT ($1::date + interval '5 years' - interval '1 day')::date::text", 1, params);
    if (!res)
        return -1;
    snprintf (to, 11, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    return 0;
}

bool
reg_cert_same (const Npo__Organization *org, const char *from, const char *to,
               const char *issued_on)
{
    const Npo__Certificate *c = org->certificate;
    if (!c)
        return false;
    npo_cert_t cert = s_cert_of (org, c->number, c->version, from, to, issued_on);
    size_t len = npo_cert_canonical (&cert, NULL, 0);
    char *canonical = malloc (len + 1);
    if (!canonical)
        abort ();
    npo_cert_canonical (&cert, canonical, len + 1);
    bool same = strcmp (canonical, c->canonical) == 0;
    free (canonical);
    return same;
}

int
reg_cert_issue (reg_t *self, Npo__Organization *org, const char *valid_from,
                const char *valid_to, const char *issued_on)
{
    const Npo__BasicInfo *b = org->basic;
    //  The previous issue, if any: its number, version and validity carry over
    uint32_t version = 1;
    char superseded [NPO_CERT_NUMBER_MAX + 1] = "";
    char from [11], to [11];
    snprintf (from, sizeof from, "%s", valid_from? valid_from: "");
    snprintf (to, sizeof to, "%s", valid_to? valid_to: "");
    if (reg_cert_load (self, org))
        return -1;
    if (org->certificate) {
        version = org->certificate->version + 1;
        snprintf (superseded, sizeof superseded, "%s", org->certificate->number);
        if (!valid_from) {
            snprintf (from, sizeof from, "%s", org->certificate->valid_from);
            snprintf (to, sizeof to, "%s", org->certificate->valid_to);
        }
    }
    if (!*from)             //  registered before certificates were kept here
        snprintf (from, sizeof from, "%s", org->approved_on);
    if (!*to && reg_cert_default_to (self, from, to))
        return -1;
    char number [NPO_CERT_NUMBER_MAX + 1];
    snprintf (number, sizeof number, "%s-%u", org->uscc, version);
    npo_cert_t cert = s_cert_of (org, number, version, from, to, issued_on);
    unsigned char pk [32], sk [64];
    char token [NPO_CERT_TOKEN_MAX + 1], pk_hex [65];
    npo_cert_authority_keys (self->cert_master, b->authority_division, pk, sk);
    int rc = npo_cert_sign (&cert, sk, token, sizeof token);
    sodium_memzero (sk, sizeof sk);
    if (rc) {
        log_error ("could not sign certificate %s", number);
        return -1;
    }
    sodium_bin2hex (pk_hex, sizeof pk_hex, pk, sizeof pk);
    size_t len = npo_cert_canonical (&cert, NULL, 0);
    char *canonical = malloc (len + 1);
    if (!canonical)
        abort ();
    npo_cert_canonical (&cert, canonical, len + 1);
    char version_text [12];
    snprintf (version_text, sizeof version_text, "%u", version);
    const char *params [11] = { number, org->uscc, version_text, from, to, issued_on,
                                b->activity_area, b->registration_authority, canonical, token,
                                pk_hex };
    rc = npo_db_cmd (self->db, "UPDATE certificates SET status = 'superseded'"
                               " WHERE uscc = $1 AND status = 'valid'", 1,
                     (const char *const []) { org->uscc })
      || npo_db_cmd (self->db, "INSERT INTO certificates (number, uscc, version, status,"
                               " valid_from, valid_to, issued_on, activity_area,"
                               " issuing_authority, canonical, token, public_key)"
                               " VALUES ($1, $2, $3, 'valid', $4, $5, $6, $7, $8, $9, $10, $11)",
                     11, params);
    free (canonical);
    if (rc || reg_cert_load (self, org) || !org->certificate)
        return -1;
    //  (a fresh message holds protobuf-c's static empty string there)
    if (org->certificate->superseded_number != protobuf_c_empty_string)
        free (org->certificate->superseded_number);
    org->certificate->superseded_number = npo_strdup (superseded);
    return 0;
}

int
reg_cert_revoke (reg_t *self, Npo__Organization *org)
{
    const char *params [1] = { org->uscc };
    if (npo_db_cmd (self->db, "UPDATE certificates SET status = 'revoked'"
                              " WHERE uscc = $1 AND status = 'valid'", 1, params))
        return -1;
    return reg_cert_load (self, org);
}
