/*  log.c - JSON-lines logging on stderr
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "selftest.h"

//  Set once at start by npo_log_init, read-only afterwards.
static const char *s_service = "npo";
static int s_level = NPO_LOG_INFO;

void
npo_log_init (const char *service)
{
    static const char *names [] = { "debug", "info", "warn", "error" };
    s_service = service;
    const char *level = npo_config_str ("LOG_LEVEL", "info");
    for (int i = 0; i < 4; i++)
        if (strcmp (level, names [i]) == 0)
            s_level = i;
}

bool
npo_log_enabled (int level)
{
    return level >= s_level;
}

//  Returns the length of the valid UTF-8 sequence at s, or 0 if invalid.
static size_t
s_utf8_len (const unsigned char *s)
{
    if (s [0] < 0x80)
        return 1;
    size_t n = s [0] >= 0xF0 && s [0] <= 0xF4? 4:
               s [0] >= 0xE0? 3: s [0] >= 0xC2 && s [0] < 0xE0? 2: 0;
    if (n == 0 || (s [0] >= 0xF0 && n != 4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s [i] & 0xC0) != 0x80)
            return 0;
    //  Overlong 3-byte forms, surrogates, and code points above U+10FFFF
    if (n == 3 && ((s [0] == 0xE0 && s [1] < 0xA0) || (s [0] == 0xED && s [1] >= 0xA0)))
        return 0;
    if (n == 4 && ((s [0] == 0xF0 && s [1] < 0x90) || (s [0] == 0xF4 && s [1] >= 0x90)))
        return 0;
    return n;
}

size_t
npo_json_escape (char *buf, size_t cap, const char *str)
{
    size_t n = 0;
    const unsigned char *s = (const unsigned char *) (str? str: "");
    if (cap == 0)
        return 0;
    while (*s) {
        char tmp [8];
        const char *out = tmp;
        size_t len;
        if (*s == '"' || *s == '\\') {
            tmp [0] = '\\'; tmp [1] = (char) *s; len = 2; s++;
        }
        else
        if (*s == '\n') { out = "\\n"; len = 2; s++; }
        else
        if (*s < 0x20) {
            len = (size_t) snprintf (tmp, sizeof tmp, "\\u%04x", *s);
            s++;
        }
        else {
            len = s_utf8_len (s);
            if (len == 0) {
                out = "\xEF\xBF\xBD";       //  U+FFFD
                len = 3;
                s++;
            }
            else {
                out = (const char *) s;
                s += len;
            }
        }
        if (n + len >= cap)
            break;
        memcpy (buf + n, out, len);
        n += len;
    }
    buf [n] = 0;
    return n;
}

bool
npo_utf8_valid (const char *str, bool multiline, size_t *chars)
{
    const unsigned char *s = (const unsigned char *) (str? str: "");
    size_t n = 0;
    while (*s) {
        if (*s < 0x20 && !(multiline && (*s == '\n' || *s == '\t' || *s == '\r')))
            return false;
        if (*s == 0x7F)
            return false;
        size_t len = s_utf8_len (s);
        if (len == 0)
            return false;
        s += len;
        n++;
    }
    if (chars)
        *chars = n;
    return true;
}

bool
npo_str_in (const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (s, list [i]) == 0)
            return true;
    return false;
}

void
npo_log_write (int level, const char *request_id, const char *fmt, ...)
{
    static const char *names [] = { "debug", "info", "warn", "error" };
    char msg [2048], line [4608], ts [32];
    va_list args;
    va_start (args, fmt);
    vsnprintf (msg, sizeof msg, fmt, args);
    va_end (args);

    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    gmtime_r (&tv.tv_sec, &tm);
    size_t tl = strftime (ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (ts + tl, sizeof ts - tl, ".%03dZ", (int) (tv.tv_usec / 1000));

    int n = snprintf (line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":\"%s\"",
                      ts, names [level < 0? 0: level > 3? 3: level], s_service);
    if (request_id && *request_id) {
        n += snprintf (line + n, sizeof line - (size_t) n, ",\"request_id\":\"");
        n += (int) npo_json_escape (line + n, 128, request_id);
        n += snprintf (line + n, sizeof line - (size_t) n, "\"");
    }
    n += snprintf (line + n, sizeof line - (size_t) n, ",\"msg\":\"");
    n += (int) npo_json_escape (line + n, sizeof line - (size_t) n - 4, msg);
    n += snprintf (line + n, sizeof line - (size_t) n, "\"}\n");
    fwrite (line, 1, (size_t) n, stderr);
}

void
npo_log_test (bool verbose)
{
    if (verbose)
        printf (" * log: ");
    char buf [64];
    npo_json_escape (buf, sizeof buf, "a\"b\\c\nd\x01");
    SELFTEST_CHECK (strcmp (buf, "a\\\"b\\\\c\\nd\\u0001") == 0);
    npo_json_escape (buf, sizeof buf, "中文");
    SELFTEST_CHECK (strcmp (buf, "中文") == 0);
    npo_json_escape (buf, sizeof buf, "x\xff\xc0y");
    SELFTEST_CHECK (strcmp (buf, "x\xEF\xBF\xBD\xEF\xBF\xBDy") == 0);
    npo_json_escape (buf, sizeof buf, "\xed\xa0\x80");     //  a surrogate
    SELFTEST_CHECK (strncmp (buf, "\xEF\xBF\xBD", 3) == 0);
    SELFTEST_CHECK (npo_json_escape (buf, 4, "abcdef") == 3);
    SELFTEST_CHECK (strcmp (buf, "abc") == 0);
    SELFTEST_CHECK (npo_json_escape (buf, sizeof buf, NULL) == 0);
    SELFTEST_CHECK (npo_log_enabled (NPO_LOG_ERROR));
    size_t chars;
    SELFTEST_CHECK (npo_utf8_valid ("中国社会福利基金会", false, &chars) && chars == 9);
    SELFTEST_CHECK (!npo_utf8_valid ("a\xff", false, NULL));
    SELFTEST_CHECK (!npo_utf8_valid ("a\nb", false, NULL));
    SELFTEST_CHECK (npo_utf8_valid ("a\nb", true, NULL));
    SELFTEST_CHECK (!npo_utf8_valid ("a\x01", true, NULL));
    static const char *const list [] = { "a", "bc" };
    SELFTEST_CHECK (NPO_STR_IN ("bc", list) && !NPO_STR_IN ("b", list));
    if (verbose)
        printf ("OK\n");
}
