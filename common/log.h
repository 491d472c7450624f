/*  log.h - JSON-lines logging on stderr
 *
 *  One JSON object per line: {"ts":"2026-11-21T22:39:22.123Z","level":"info",
 *  "service":"registry","request_id":"...","msg":"..."}. The level is checked
 *  before the message is formatted. Never log a personal field.
 */
#ifndef NPO_LOG_H
#define NPO_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum { NPO_LOG_DEBUG = 0, NPO_LOG_INFO = 1, NPO_LOG_WARN = 2, NPO_LOG_ERROR = 3 };

//  Sets the service name and reads NPO_LOG_LEVEL (debug|info|warn|error).
void
    npo_log_init (const char *service);

//  True when messages of this level are written.
bool
    npo_log_enabled (int level);

//  Writes one line; request_id may be NULL. Use the macros below.
void
    npo_log_write (int level, const char *request_id, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#define npo_log(level, rid, ...) \
    do { if (npo_log_enabled (level)) npo_log_write ((level), (rid), __VA_ARGS__); } while (0)
#define log_debug(...)  npo_log (NPO_LOG_DEBUG, NULL, __VA_ARGS__)
#define log_info(...)   npo_log (NPO_LOG_INFO, NULL, __VA_ARGS__)
#define log_warn(...)   npo_log (NPO_LOG_WARN, NULL, __VA_ARGS__)
#define log_error(...)  npo_log (NPO_LOG_ERROR, NULL, __VA_ARGS__)

//  Appends s to buf (capacity cap, always NUL-terminated) as the inside of a
//  JSON string: quotes, backslashes and control characters escaped, invalid
//  UTF-8 replaced by U+FFFD. Returns the length written.
size_t
    npo_json_escape (char *buf, size_t cap, const char *s);

//  Returns true when s is valid UTF-8 without control characters (tab and
//  newline allowed when multiline); *chars, when not NULL, gets the number of
//  characters.
bool
    npo_utf8_valid (const char *s, bool multiline, size_t *chars);

//  Returns true when s is one of the n strings of list.
bool
    npo_str_in (const char *s, const char *const *list, size_t n);
#define NPO_STR_IN(s, array)  npo_str_in ((s), (array), sizeof (array) / sizeof (array) [0])

void
    npo_log_test (bool verbose);

#endif
