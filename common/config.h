/*  config.h - configuration from environment variables with defaults
 *
 *  Every setting is an environment variable NPO_<NAME>; the defaults are those
 *  of `make run` (docs/operations.md lists them all). Read once at start.
 */
#ifndef NPO_CONFIG_H
#define NPO_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

//  Returns the value of NPO_<name>, or dflt when unset or empty. Not owned.
const char *
    npo_config_str (const char *name, const char *dflt);

//  Returns NPO_<name> as an integer in [min, max], or dflt when unset.
//  An unparsable or out-of-range value is reported on stderr and exits(2):
//  a misconfigured service must not start.
long long
    npo_config_int (const char *name, long long dflt, long long min, long long max);

//  Returns the ZeroMQ endpoint of a service socket: NPO_<SERVICE>_<SOCKET>
//  (e.g. NPO_REGISTRY_ROUTER), else the design's default. service and socket
//  are lower case ("registry", "router" | "pub"). NULL if unknown. Not owned.
const char *
    npo_config_endpoint (const char *service, const char *socket);

//  For a service's main: services take no arguments. With none, returns -1
//  (go on); with --help or -h, prints usage to stdout and returns 0; with
//  anything else, prints usage to stderr and returns 2 (the exit status).
int
    npo_config_usage (int argc, char **argv, const char *usage);

//  Self-test.
void
    npo_config_test (bool verbose);

#endif
