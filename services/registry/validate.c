/*  validate.c - npo-registry input checks: basic information (identity
 *  documents are checked by npo_identity_check, common/actor.c)
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
    if (*b->postal_code && !npo_digits (b->postal_code, 6)) {
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
