/*  orgevent.h - the registry's organization events, for their consumers
 */
#ifndef NPO_ORGEVENT_H
#define NPO_ORGEVENT_H

#include <stdbool.h>
#include "envelope.pb-c.h"

//  Unpacks a registry event that carries an organization as it is after the
//  event (registry.org_registered, _changed, _deregistered, _revoked). Returns
//  the message (the caller frees it with protobuf_c_message_free_unpacked)
//  with *org pointing into it; NULL for any other type, or for a payload that
//  does not decode (logged: retrying cannot help, the consumer moves on).
ProtobufCMessage *
    npo_org_event_unpack (const Npo__Envelope *event, const Npo__Organization **org);

#endif
