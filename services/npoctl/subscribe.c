/*  subscribe.c - npoctl subscribe: a region's copy of the public stream
 *
 *  Follows publication's PUB socket for one province (or the country),
 *  asks publication's ROUTER for what it missed (PublicReplay: at start, on a
 *  gap, when a heartbeat is ahead, after the publisher fell silent), and
 *  prints each event once, in order, as a JSON line. Its position is the last
 *  line of --out FILE (the file is the state: a line is either written or
 *  not, so a kill at any moment loses and repeats nothing), or the number in
 *  --state FILE (written after each line printed to standard output).
 *  --snapshot starts from the public records (PublicSnapshot pages) and
 *  follows the stream from the position the first page gave.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "config.h"
#include "log.h"
#include "npoctl.h"

typedef struct {
    const char *province;       //  "" for the country
    const char *division;       //  a prefix to print, or ""
    const char *out;            //  the output file, which is the state
    const char *state;          //  or: the state file, events to stdout
    int fd;                     //  where lines go
    uint64_t last;              //  the position: last province_seq (global seq)
    uint64_t until;             //  stop once here (0: never)
    npo_client_t *client;       //  to publication's ROUTER
    const char *actor;
} sub_t;

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Writes one line (text + '\n') in one write: it is there whole or not at all
//  for any later reader of the file but the last, which a restart truncates.
static int
s_write_line (sub_t *self, const char *text)
{
    size_t n = strlen (text);
    char *line = malloc (n + 2);
    if (!line)
        abort ();
    memcpy (line, text, n);
    line [n] = '\n';
    line [n + 1] = 0;
    size_t done = 0;
    while (done < n + 1) {
        ssize_t w = write (self->fd, line + done, n + 1 - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            free (line);
            return -1;
        }
        done += (size_t) w;
    }
    free (line);
    return 0;
}

//  Saves the position in the state file (written whole, then renamed over).
static int
s_save_state (sub_t *self)
{
    if (!self->state)
        return 0;
    char tmp [4096];
    snprintf (tmp, sizeof tmp, "%s.tmp", self->state);
    FILE *f = fopen (tmp, "w");
    if (!f)
        return -1;
    fprintf (f, "%llu\n", (unsigned long long) self->last);
    if (fclose (f) || rename (tmp, self->state))
        return -1;
    return 0;
}

//  An event's position: its province_seq, or its global seq for the country
static uint64_t
s_position (const sub_t *self, const Npo__PublicEvent *e)
{
    return *self->province? e->province_seq: e->seq;
}

//  Prints the event (when its division is wanted) and moves the position.
static int
s_emit (sub_t *self, const Npo__PublicEvent *e)
{
    uint64_t pos = s_position (self, e);
    if (pos != self->last + 1)
        return 0;               //  (the caller replays what is missing)
    if (!*self->division || strncmp (e->division, self->division, strlen (self->division)) == 0) {
        json_t *doc = json_loads (e->doc, JSON_DECODE_ANY, NULL);
        json_t *record = *e->record? json_loads (e->record, 0, NULL): NULL;
        char when [32];
        time_t secs = (time_t) (e->occurred_at_us / 1000000);
        struct tm tm;
        gmtime_r (&secs, &tm);
        strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_t *line = json_pack ("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:o}",
            "seq", (json_int_t) e->seq, "province", e->province,
            "province_seq", (json_int_t) e->province_seq, "type", e->type, "uscc", e->uscc,
            "division", e->division, "occurred_at", when,
            "doc", doc? doc: json_null (), "record", record? record: json_null ());
        char *text = line? json_dumps (line, JSON_COMPACT): NULL;
        json_decref (line);
        int rc = text? s_write_line (self, text): -1;
        free (text);
        if (rc) {
            fprintf (stderr, "npoctl subscribe: cannot write: %s\n", strerror (errno));
            return -1;
        }
    }
    self->last = pos;
    return s_save_state (self);
}

//  True once the position reached --until.
static bool
s_done (const sub_t *self)
{
    return self->until && self->last >= self->until;
}

//  Asks for everything after the position until caught up. Returns 0, 1 when
//  publication did not answer (try later), -1 on a write failure.
static int
s_catch_up (sub_t *self)
{
    while (!s_stop) {
        Npo__PublicReplay replay = NPO__PUBLIC_REPLAY__INIT;
        replay.province = (char *) self->province;
        replay.from_seq = self->last + 1;
        Npo__Request request = NPO__REQUEST__INIT;
        request.body_case = NPO__REQUEST__BODY_PUBLIC_REPLAY;
        request.public_replay = &replay;
        request.actor = (char *) self->actor;
        Npo__Reply *reply = npo_client_call (self->client, &request);
        if (!reply)
            return 1;
        if (reply->status == NPO__STATUS__STATUS_UNAVAILABLE) {
            npo__reply__free_unpacked (reply, NULL);
            return 1;           //  (its database is back in a moment)
        }
        if (reply->status != NPO__STATUS__STATUS_OK) {
            fprintf (stderr, "npoctl subscribe: %s (%s)\n", reply->error_message,
                     reply->error_code);
            npo__reply__free_unpacked (reply, NULL);
            return -1;
        }
        size_t n = reply->public_events->n_events;
        uint64_t before = self->last;
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0 && !s_done (self); i++)
            rc = s_emit (self, reply->public_events->events [i]);
        npo__reply__free_unpacked (reply, NULL);
        if (rc)
            return -1;
        if (n && self->last == before) {
            fprintf (stderr, "npoctl subscribe: the stream does not go on from this position"
                             " (%llu): another province's file?\n",
                     (unsigned long long) self->last);
            return -1;
        }
        if (n == 0 || s_done (self))
            return 0;
    }
    return 0;
}

//  Loads the public records page by page as {"snapshot": record} lines, then
//  {"snapshot_done": true, "province_seq": N}; the position becomes N.
static int
s_snapshot (sub_t *self)
{
    char after [32] = "";
    uint64_t position = 0;
    bool first = true;
    while (!s_stop) {
        Npo__PublicSnapshot cmd = NPO__PUBLIC_SNAPSHOT__INIT;
        cmd.province = (char *) self->province;
        cmd.after_uscc = after;
        Npo__Request request = NPO__REQUEST__INIT;
        request.body_case = NPO__REQUEST__BODY_PUBLIC_SNAPSHOT;
        request.public_snapshot = &cmd;
        request.actor = (char *) self->actor;
        Npo__Reply *reply = npo_client_call (self->client, &request);
        if (!reply || reply->status == NPO__STATUS__STATUS_UNAVAILABLE) {
            if (reply)
                npo__reply__free_unpacked (reply, NULL);
            sleep (1);          //  the same page again
            continue;
        }
        if (reply->status != NPO__STATUS__STATUS_OK) {
            fprintf (stderr, "npoctl subscribe: the snapshot failed: %s (%s)\n",
                     reply->error_message, reply->error_code);
            npo__reply__free_unpacked (reply, NULL);
            return -1;
        }
        const Npo__PublicSnapshotPage *page = reply->public_snapshot;
        if (first)
            position = page->province_seq;
        first = false;
        int rc = 0;
        for (size_t i = 0; i < page->n_records && rc == 0; i++) {
            json_t *record = json_loads (page->records [i], 0, NULL);
            json_t *line = json_pack ("{s:o}", "snapshot", record? record: json_null ());
            char *text = line? json_dumps (line, JSON_COMPACT): NULL;
            json_decref (line);
            rc = text? s_write_line (self, text): -1;
            free (text);
        }
        snprintf (after, sizeof after, "%s", page->last_uscc);
        bool done = page->done;
        npo__reply__free_unpacked (reply, NULL);
        if (rc)
            return -1;
        if (done)
            break;
    }
    if (s_stop)
        return -1;
    char marker [80];
    snprintf (marker, sizeof marker, "{\"snapshot_done\":true,\"province_seq\":%llu}",
              (unsigned long long) position);
    self->last = position;
    return s_write_line (self, marker) || s_save_state (self)? -1: 0;
}

//  The position the output file ends at: its last whole line (an event, or
//  the end of a snapshot), read from the end. A partial last line, cut by a
//  kill, is cut off. Returns 0 when the file holds a position, 1 when it is
//  empty, 2 when it holds an unfinished snapshot (emptied: it starts again),
//  -1 on failure.
static int
s_resume_out (sub_t *self)
{
    self->fd = open (self->out, O_RDWR | O_CREAT | O_APPEND, 0644);
    struct stat st;
    if (self->fd < 0 || fstat (self->fd, &st)) {
        fprintf (stderr, "npoctl subscribe: %s: %s\n", self->out, strerror (errno));
        return -1;
    }
    off_t size = st.st_size, end = size;
    //  The tail, growing until it holds the last whole line
    size_t want = 65536;
    char *tail = NULL;
    off_t from = 0;
    while (true) {
        from = size > (off_t) want? size - (off_t) want: 0;
        free (tail);
        tail = malloc ((size_t) (size - from) + 1);
        if (!tail)
            abort ();
        if (pread (self->fd, tail, (size_t) (size - from), from) != size - from) {
            free (tail);
            return -1;
        }
        tail [size - from] = 0;
        char *last_nl = strrchr (tail, '\n');
        end = last_nl? from + (last_nl - tail) + 1: from;
        //  enough when the tail holds the newline before the last line too
        char *prev = last_nl? last_nl: tail;
        while (prev > tail && prev [-1] != '\n')
            prev--;
        if (from == 0 || prev > tail)
            break;
        want *= 4;
    }
    tail [end - from] = 0;
    char *line_start = tail + (end - from);
    if (line_start > tail)
        line_start--;           //  the newline ending the last line
    while (line_start > tail && line_start [-1] != '\n')
        line_start--;
    json_t *line = end > 0? json_loads (line_start, 0, NULL): NULL;
    free (tail);
    const char *key = json_object_get (line, "snapshot_done")? "province_seq":
                      !json_object_get (line, "seq")? NULL:
                      *self->province? "province_seq": "seq";
    bool snapshot = json_object_get (line, "snapshot") != NULL;
    if (key)
        self->last = (uint64_t) json_integer_value (json_object_get (line, key));
    else
        end = 0;
    json_decref (line);
    if (ftruncate (self->fd, end))
        return -1;
    return key? 0: snapshot? 2: 1;
}

int
ctl_subscribe (ctl_t *ctl, int argc, char **argv)
{
    sub_t self = { .province = NULL, .division = "", .fd = 1, .actor = ctl->actor };
    char *province = NULL, *division = NULL, *from = NULL, *out = NULL, *state = NULL,
         *until = NULL, *idle = NULL;
    protobuf_c_boolean snapshot = 0;
    opt_t opts [] = {
        { "--province", &province, NULL }, { "--division", &division, NULL },
        { "--from", &from, NULL }, { "--out", &out, NULL }, { "--state", &state, NULL },
        { "--until", &until, NULL }, { "--idle", &idle, NULL }, { "--snapshot", NULL, &snapshot },
    };
    int rc = ctl_options ("subscribe", argc, argv, 0, opts, sizeof opts / sizeof opts [0]);
    if (rc)
        return rc;
    if (!province || (strcmp (province, "all") && (strlen (province) != 2
                      || strspn (province, "0123456789") != 2)))
        return ctl_usage_error ("subscribe", "%s", "--province: two digits, or all");
    self.province = strcmp (province, "all") == 0? "": province;
    self.division = division? division: "";
    if (*self.division && strncmp (self.division, self.province, strlen (self.province)))
        return ctl_usage_error ("subscribe", "--division %s: not in the province", self.division);
    if (out && state)
        return ctl_usage_error ("subscribe", "%s", "--out (the file is the state) or --state");
    self.out = out;
    self.state = state;
    self.until = until? strtoull (until, NULL, 10): 0;
    int64_t idle_ms = idle? atoll (idle) * 1000: 0;
    bool fresh = true;
    if (out) {
        int resumed = s_resume_out (&self);
        if (resumed < 0)
            return EXIT_REFUSED;
        if (resumed == 2 && !snapshot)
            return ctl_usage_error ("subscribe", "%s: a snapshot was not finished: run it again"
                                    " with --snapshot", out);
        fresh = resumed != 0;
    }
    else
    if (state) {
        FILE *f = fopen (state, "r");
        unsigned long long last;
        if (f && fscanf (f, "%llu", &last) == 1) {
            self.last = last;
            fresh = false;
        }
        if (f)
            fclose (f);
    }
    if (fresh && from)
        self.last = strtoull (from, NULL, 10) - (strtoull (from, NULL, 10) > 0);
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    self.client = npo_client_new (NULL, npo_config_endpoint ("publication", "router"),
                                  ctl->timeout_ms);
    void *ctx = zmq_ctx_new ();
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    int hwm = 100000, linger = 0;
    int64_t max_size = NPO_MAX_MSG;
    zmq_setsockopt (sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sub, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, self.province, strlen (self.province));
    //  The country's heartbeat says the publisher lives, even while the
    //  province has no events yet
    if (*self.province)
        zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "_hb", 3);
    if (!self.client || zmq_connect (sub, npo_config_endpoint ("publication", "pub"))) {
        fprintf (stderr, "npoctl subscribe: cannot reach publication\n");
        return EXIT_UNREACHABLE;
    }
    rc = 0;
    if (fresh && snapshot && s_snapshot (&self))
        rc = EXIT_REFUSED;
    int64_t heard = s_now_ms (), active = s_now_ms ();
    bool behind = true, warned = false;
    while (rc == 0 && !s_stop && !s_done (&self)) {
        if (behind) {
            uint64_t before = self.last;
            int c = s_catch_up (&self);
            if (c < 0)
                rc = EXIT_REFUSED;
            behind = c == 1;
            if (self.last != before)
                active = s_now_ms ();
            if (behind && idle_ms && s_now_ms () - active > idle_ms)
                break;          //  (publication away all along)
            continue;
        }
        zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 500) < 0 && errno != EINTR)
            break;
        int64_t now = s_now_ms ();
        if (!(item.revents & ZMQ_POLLIN)) {
            //  A silent publisher: ask, and say so once
            if (now - heard > 3000) {
                if (!warned)
                    fprintf (stderr, "npoctl subscribe: no heartbeat for 3 s; asking"
                                     " publication directly\n");
                warned = true;
                behind = true;
                heard = now;
            }
            if (idle_ms && now - active > idle_ms)
                break;
            continue;
        }
        zmq_msg_t topic, body;
        zmq_msg_init (&topic);
        zmq_msg_init (&body);
        if (zmq_msg_recv (&topic, sub, 0) < 0 || !zmq_msg_more (&topic)
        ||  zmq_msg_recv (&body, sub, 0) < 0) {
            zmq_msg_close (&topic);
            zmq_msg_close (&body);
            continue;
        }
        size_t tlen = zmq_msg_size (&topic);
        const char *t = zmq_msg_data (&topic);
        heard = now;
        warned = false;
        if (tlen >= 3 && memcmp (t + tlen - 3, "_hb", 3) == 0) {
            Npo__PublicHeartbeat *hb = npo__public_heartbeat__unpack (NULL,
                zmq_msg_size (&body), zmq_msg_data (&body));
            //  The country's follows "_hb"; a province's "<province>._hb"
            bool ours = hb && (*self.province? strcmp (hb->province, self.province) == 0:
                                               !*hb->province);
            uint64_t there = !ours? 0: *self.province? hb->last_province_seq: hb->last_seq;
            if (there > self.last)
                behind = true;
            if (hb)
                npo__public_heartbeat__free_unpacked (hb, NULL);
        }
        else {
            Npo__PublicEvent *e = npo__public_event__unpack (NULL, zmq_msg_size (&body),
                                                             zmq_msg_data (&body));
            if (e && (!*self.province || strcmp (e->province, self.province) == 0)) {
                uint64_t pos = s_position (&self, e);
                if (pos == self.last + 1) {
                    if (s_emit (&self, e))
                        rc = EXIT_REFUSED;
                    active = now;
                }
                else
                if (pos > self.last + 1)
                    behind = true;      //  a gap: replay it
            }
            if (e)
                npo__public_event__free_unpacked (e, NULL);
        }
        zmq_msg_close (&topic);
        zmq_msg_close (&body);
    }
    zmq_close (sub);
    zmq_ctx_term (ctx);
    npo_client_destroy (&self.client);
    if (self.fd > 2)
        close (self.fd);
    return rc;
}
