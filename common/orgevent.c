/*  orgevent.c - the registry's organization events, for their consumers
 */
#include <string.h>

#include "log.h"
#include "orgevent.h"

//  Each of these messages has the organization as field 1.
static const struct {
    const char *type;
    const ProtobufCMessageDescriptor *desc;
} s_types [] = {
    { "registry.org_registered",   &npo__org_registered__descriptor },
    { "registry.org_changed",      &npo__org_changed__descriptor },
    { "registry.org_deregistered", &npo__org_deregistered__descriptor },
    { "registry.org_revoked",      &npo__org_revoked__descriptor },
};

ProtobufCMessage *
npo_org_event_unpack (const Npo__Envelope *event, const Npo__Organization **org)
{
    *org = NULL;
    for (size_t i = 0; i < sizeof s_types / sizeof s_types [0]; i++) {
        if (strcmp (event->type, s_types [i].type) != 0)
            continue;
        ProtobufCMessage *msg = protobuf_c_message_unpack (s_types [i].desc, NULL,
                                                           event->payload.len,
                                                           event->payload.data);
        const ProtobufCFieldDescriptor *f = msg?
            protobuf_c_message_descriptor_get_field (s_types [i].desc, 1): NULL;
        if (f)
            *org = *(Npo__Organization **) ((char *) msg + f->offset);
        if (!*org) {
            log_error ("event %s (%s) does not decode; skipped", event->event_id, event->type);
            if (msg)
                protobuf_c_message_free_unpacked (msg, NULL);
            return NULL;
        }
        return msg;
    }
    return NULL;
}
