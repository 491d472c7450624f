/*  config.c - configuration from environment variables with defaults
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include "config.h"
#include "selftest.h"

//  Default endpoints from DESIGN.md ("Sockets").
static const struct {
    const char *service;
    const char *router;
    const char *pub;
} s_endpoints [] = {
    { "registry",    "tcp://127.0.0.1:7101", "tcp://127.0.0.1:7102" },
    { "inspection",  "tcp://127.0.0.1:7111", "tcp://127.0.0.1:7112" },
    { "party",       "tcp://127.0.0.1:7121", "tcp://127.0.0.1:7122" },
    { "credit",      "tcp://127.0.0.1:7131", "tcp://127.0.0.1:7132" },
    { "publication", "tcp://127.0.0.1:7141", "tcp://127.0.0.1:7142" },
};

const char *
npo_config_str (const char *name, const char *dflt)
{
    char var [128];
    if (snprintf (var, sizeof var, "NPO_%s", name) >= (int) sizeof var)
        return dflt;
    const char *value = getenv (var);
    return value && *value? value: dflt;
}

long long
npo_config_int (const char *name, long long dflt, long long min, long long max)
{
    const char *value = npo_config_str (name, NULL);
    if (!value)
        return dflt;
    char *end;
    errno = 0;
    long long n = strtoll (value, &end, 10);
    if (errno || end == value || *end || n < min || n > max) {
        fprintf (stderr, "invalid NPO_%s=\"%s\": expected an integer in [%lld, %lld]\n",
                 name, value, min, max);
        exit (2);
    }
    return n;
}

const char *
npo_config_endpoint (const char *service, const char *socket)
{
    if (!service || !socket)
        return NULL;
    char name [64];
    size_t i, n = 0;
    for (i = 0; service [i] && n < sizeof name - 1; i++)
        name [n++] = (char) toupper ((unsigned char) service [i]);
    if (n < sizeof name - 1)
        name [n++] = '_';
    for (i = 0; socket [i] && n < sizeof name - 1; i++)
        name [n++] = (char) toupper ((unsigned char) socket [i]);
    name [n] = 0;

    for (i = 0; i < sizeof s_endpoints / sizeof s_endpoints [0]; i++) {
        if (strcmp (s_endpoints [i].service, service))
            continue;
        const char *dflt = strcmp (socket, "router") == 0? s_endpoints [i].router:
                           strcmp (socket, "pub") == 0?    s_endpoints [i].pub: NULL;
        return dflt? npo_config_str (name, dflt): NULL;
    }
    return NULL;
}

int
npo_config_usage (int argc, char **argv, const char *usage)
{
    if (argc < 2)
        return -1;
    bool help = strcmp (argv [1], "--help") == 0 || strcmp (argv [1], "-h") == 0;
    if (!help)
        fprintf (stderr, "%s: unexpected argument \"%s\"\n", argv [0], argv [1]);
    fputs (usage, help? stdout: stderr);
    return help? 0: 2;
}

void
npo_config_test (bool verbose)
{
    if (verbose)
        printf (" * config: ");
    setenv ("NPO_SELFTEST_X", "42", 1);
    SELFTEST_CHECK (npo_config_int ("SELFTEST_X", 7, 0, 100) == 42);
    SELFTEST_CHECK (npo_config_int ("SELFTEST_UNSET", 7, 0, 100) == 7);
    SELFTEST_CHECK (strcmp (npo_config_str ("SELFTEST_X", "d"), "42") == 0);
    setenv ("NPO_SELFTEST_X", "", 1);
    SELFTEST_CHECK (strcmp (npo_config_str ("SELFTEST_X", "d"), "d") == 0);
    unsetenv ("NPO_REGISTRY_ROUTER");
    SELFTEST_CHECK (strcmp (npo_config_endpoint ("registry", "router"),
                            "tcp://127.0.0.1:7101") == 0);
    setenv ("NPO_REGISTRY_ROUTER", "tcp://127.0.0.1:9", 1);
    SELFTEST_CHECK (strcmp (npo_config_endpoint ("registry", "router"),
                            "tcp://127.0.0.1:9") == 0);
    unsetenv ("NPO_REGISTRY_ROUTER");
    SELFTEST_CHECK (npo_config_endpoint ("nosuch", "router") == NULL);
    SELFTEST_CHECK (npo_config_endpoint ("registry", "nosuch") == NULL);
    unsetenv ("NPO_SELFTEST_X");
    if (verbose)
        printf ("OK\n");
}
