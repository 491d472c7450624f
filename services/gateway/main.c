/*  main.c - npo-gateway: the public, read-only HTTP gateway
 *
 *  Wiring only: configuration, logging, event base, signals, start and stop.
 *  NPO_GATEWAY_HTTP (host:port, port 0 picks a free one), NPO_REDIS_HOST,
 *  NPO_REDIS_PORT, NPO_GATEWAY_RATE and NPO_GATEWAY_BURST.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "gateway.h"

//  Splits "host:port" or "[v6 host]:port" into host (cap bytes) and port.
//  Returns 0, or -1 when text is malformed.
static int
s_parse_listen (const char *text, char *host, size_t cap, int *port)
{
    const char *colon = strrchr (text, ':');
    if (!colon)
        return -1;
    const char *start = text, *end = colon;
    if (*start == '[') {
        if (end - start < 2 || end [-1] != ']')
            return -1;
        start++;
        end--;
    }
    size_t len = (size_t) (end - start);
    char *tail;
    errno = 0;
    long n = strtol (colon + 1, &tail, 10);
    if (len == 0 || len >= cap || errno || tail == colon + 1 || *tail || n < 0 || n > 65535)
        return -1;
    memcpy (host, start, len);
    host [len] = 0;
    *port = (int) n;
    return 0;
}

//  Sends libevent's own messages through our JSON log.
static void
s_on_libevent_log (int severity, const char *msg)
{
    int level = severity == EVENT_LOG_DEBUG? NPO_LOG_DEBUG:
                severity == EVENT_LOG_MSG?   NPO_LOG_INFO:
                severity == EVENT_LOG_WARN?  NPO_LOG_WARN: NPO_LOG_ERROR;
    npo_log (level, NULL, "libevent: %s", msg);
}

static void
s_on_signal (evutil_socket_t signum, short events, void *arg)
{
    (void) events;
    log_info ("received %s: shutting down", signum == SIGTERM? "sigterm": "sigint");
    event_base_loopexit (arg, NULL);
}

int
main (int argc, char *argv [])
{
    if (argc == 2 && strcmp (argv [1], "--routes") == 0) {
        gateway_print_routes (stdout);
        return 0;
    }
    int usage = npo_config_usage (argc, argv,
        "usage: npo-gateway [--routes]\n\n"
        "The public HTTP gateway: serves the public records from Redis.\n"
        "--routes prints the paths it serves (docs/openapi.yaml describes them).\n"
        "Configured by environment (docs/operations.md): NPO_GATEWAY_HTTP (default\n"
        "127.0.0.1:8080; port 0 picks one), NPO_REDIS_HOST, NPO_REDIS_PORT,\n"
        "NPO_GATEWAY_RATE (requests a second per client address, default 50; 0: no\n"
        "limit), NPO_GATEWAY_BURST (requests at once, default 100), NPO_LOG_LEVEL.\n");
    if (usage >= 0)
        return usage;
    npo_log_init ("gateway");
    event_set_log_callback (s_on_libevent_log);
    const char *listen = npo_config_str ("GATEWAY_HTTP", "127.0.0.1:8080");
    const char *redis_host = npo_config_str ("REDIS_HOST", "127.0.0.1");
    int redis_port = (int) npo_config_int ("REDIS_PORT", 7191, 1, 65535);
    int rate = (int) npo_config_int ("GATEWAY_RATE", 50, 0, 1000000);
    int burst = (int) npo_config_int ("GATEWAY_BURST", 100, 1, 1000000);
    char host [256];
    int port;
    if (s_parse_listen (listen, host, sizeof host, &port)) {
        fprintf (stderr, "invalid NPO_GATEWAY_HTTP=\"%s\": expected host:port\n", listen);
        return 2;
    }
    //  A client that hangs up must cost a write error, not the process.
    signal (SIGPIPE, SIG_IGN);

    int rc = 1;
    gateway_t *gateway = NULL;
    struct event *sigterm = NULL, *sigint = NULL;
    struct event_base *base = event_base_new ();
    if (!base) {
        log_error ("could not create the event base");
        goto done;
    }
    sigterm = evsignal_new (base, SIGTERM, s_on_signal, base);
    sigint = evsignal_new (base, SIGINT, s_on_signal, base);
    if (!sigterm || !sigint || event_add (sigterm, NULL) || event_add (sigint, NULL)) {
        log_error ("could not watch signals");
        goto done;
    }
    gateway = gateway_new (base, host, port, redis_host, redis_port, rate, burst);
    if (!gateway)
        goto done;
    log_info (strchr (host, ':')? "listening on http://[%s]:%d": "listening on http://%s:%d",
              host, gateway_port (gateway));
    if (event_base_dispatch (base) == -1) {
        log_error ("could not run the event loop");
        goto done;
    }
    rc = 0;
done:
    gateway_destroy (&gateway);
    if (sigterm)
        event_free (sigterm);
    if (sigint)
        event_free (sigint);
    if (base)
        event_base_free (base);
    libevent_global_shutdown ();
    if (rc == 0)
        log_info ("stopped");
    return rc;
}
