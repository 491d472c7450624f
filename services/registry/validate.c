/*  validate.c - npo-registry input checks: basic information, dates,
 *  identity documents by type
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "log.h"
#include "registry.h"

#define BAD     NPO__STATUS__STATUS_BAD_REQUEST

bool
reg_digits (const char *s, size_t n)
{
    size_t i = 0;
    for (; s [i]; i++)
        if (!isdigit ((unsigned char) s [i]))
            return false;
    return i == n;
}

int
reg_validate_basic (const Npo__BasicInfo *b, Npo__Reply *reply)
{
    //  Every text field: valid UTF-8, no control characters, bounded.
    const ProtobufCMessageDescriptor *desc = &npo__basic_info__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        if (f->type != PROTOBUF_C_TYPE_STRING)
            continue;
        const char *value = *(char *const *) ((const char *) b + f->offset);
        bool scope = strcmp (f->name, "business_scope") == 0;
        size_t chars;
        if (!npo_utf8_valid (value, scope, &chars)) {
            npo_reply_error (reply, BAD, "invalid_field",
                             "%s: not valid UTF-8 text or holds control characters", f->name);
            return -1;
        }
        if (chars > (scope? 2000u: 200u)) {
            npo_reply_error (reply, BAD, "invalid_field", "%s: longer than %u characters",
                             f->name, scope? 2000u: 200u);
            return -1;
        }
    }
    const char *missing = !*b->name? "name":
                          !*b->type? "type":
                          !*b->authority_division? "authority_division":
                          !*b->registration_authority? "registration_authority":
                          !*b->legal_representative? "legal_representative": NULL;
    if (missing) {
        npo_reply_error (reply, BAD, "missing_field", "%s: required", missing);
        return -1;
    }
    if (strlen (b->name) < 4) {          //  at least two Chinese characters' worth
        npo_reply_error (reply, BAD, "invalid_field", "name: too short");
        return -1;
    }
    if (!reg_type_code (b->type)) {
        npo_reply_error (reply, BAD, "invalid_type",
                         "type: \"%s\" is not social_group, social_service, foundation or other",
                         b->type);
        return -1;
    }
    if (!division_valid (b->authority_division)) {
        npo_reply_error (reply, BAD, "invalid_division",
                         "authority_division: \"%s\" is not a division code (GB/T 2260)",
                         b->authority_division);
        return -1;
    }
    if (*b->address_division && !division_valid (b->address_division)) {
        npo_reply_error (reply, BAD, "invalid_division",
                         "address_division: \"%s\" is not a division code (GB/T 2260)",
                         b->address_division);
        return -1;
    }
    const char *bad_code = *b->registration_authority_code
                           && !uscc_valid (b->registration_authority_code)?
                               "registration_authority_code":
                           *b->business_unit_code && !uscc_valid (b->business_unit_code)?
                               "business_unit_code": NULL;
    if (bad_code) {
        npo_reply_error (reply, BAD, "invalid_uscc",
                         "%s: not a valid unified social credit code", bad_code);
        return -1;
    }
    if (*b->postal_code && !reg_digits (b->postal_code, 6)) {
        npo_reply_error (reply, BAD, "invalid_field", "postal_code: expected 6 digits");
        return -1;
    }
    if (*b->registered_capital && !npo_amount_valid (b->registered_capital)) {
        npo_reply_error (reply, BAD, "invalid_field",
                         "registered_capital: expected yuan as digits with up to 2 decimals");
        return -1;
    }
    for (const char *p = b->contact_phone; *p; p++)
        if (!isdigit ((unsigned char) *p) && !strchr ("+- ", *p)) {
            npo_reply_error (reply, BAD, "invalid_field", "contact_phone: digits, +, - only");
            return -1;
        }
    return 0;
}


//  Identity documents: each type by its own rule; a non-resident is never
//  refused for not holding a resident ID.
static const char *s_id_types [] = {
    "resident_id", "passport", "hk_macao_permit", "taiwan_permit",
    "foreign_permanent_residence", "other",
};

static bool
s_upper_alnum (const char *s, size_t min, size_t max)
{
    size_t n = strlen (s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit ((unsigned char) s [i]) && !isupper ((unsigned char) s [i]))
            return false;
    return true;
}

int
reg_validate_id (const char *type, const char *number, Npo__Reply *reply)
{
    size_t n = strlen (number);
    if (!NPO_STR_IN (type, s_id_types)) {
        npo_reply_error (reply, BAD, "invalid_id_type",
                         "id_type: \"%s\" is not resident_id, passport, hk_macao_permit, "
                         "taiwan_permit, foreign_permanent_residence or other", type);
        return -1;
    }
    bool ok;
    const char *rule;
    if (strcmp (type, "resident_id") == 0) {
        ok = resid_valid (number);
        rule = "18 characters with a valid GB 11643 check character and birth date";
    }
    else
    if (strcmp (type, "passport") == 0) {
        ok = s_upper_alnum (number, 5, 20);
        rule = "5 to 20 upper-case letters and digits";
    }
    else
    if (strcmp (type, "hk_macao_permit") == 0) {
        //  往来内地通行证: H or M, then 8 or 10 digits
        ok = (number [0] == 'H' || number [0] == 'M') && (n == 9 || n == 11)
             && reg_digits (number + 1, n - 1);
        rule = "H or M followed by 8 or 10 digits";
    }
    else
    if (strcmp (type, "taiwan_permit") == 0) {
        ok = reg_digits (number, 8) || reg_digits (number, 10);
        rule = "8 or 10 digits";
    }
    else
    if (strcmp (type, "foreign_permanent_residence") == 0) {
        //  2004 card: 3 letters + 12 digits; 2023 card: 18 characters starting
        //  with 9, checked like a resident ID
        ok = (n == 15 && isupper ((unsigned char) number [0]) && isupper ((unsigned char) number [1])
              && isupper ((unsigned char) number [2]) && reg_digits (number + 3, 12))
          || (n == 18 && number [0] == '9' && resid_valid (number));
        rule = "3 letters and 12 digits, or the 18-character card starting with 9";
    }
    else {
        size_t chars;
        ok = npo_utf8_valid (number, false, &chars) && chars >= 1 && chars <= 40;
        rule = "1 to 40 characters";
    }
    if (!ok) {
        //  The number itself is personal data: not echoed
        npo_reply_error (reply, BAD, "invalid_id_number",
                         "id_number: not a valid %s number (%s)", type, rule);
        return -1;
    }
    return 0;
}
