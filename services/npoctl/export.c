/*  export.c - npoctl export: the open data set, snapshots and deltas
 *
 *  snapshot: every public record (PublicSnapshot pages of the whole country)
 *  into snapshot-<W>.<format>, W the global seq the set stands at. delta
 *  --since N: the records changed after N up to now (the last record of each
 *  organization among the events PublicReplay gives) into
 *  delta-<N>-<W>.<format>. Each file comes with a manifest (kind, seqs,
 *  records, SHA-256) and latest.json names the newest. Applying a snapshot and
 *  then the deltas that follow it, in order (a record replaces the one with
 *  the same uscc), gives the public data set as of the last delta's W.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sodium.h>

#include "config.h"
#include "npoctl.h"

//  The CSV columns: a flat view of the public record
static const char *s_columns [] = {
    "uscc", "name", "type", "status", "legal_representative", "registered_capital", "address",
    "division", "registration_authority", "business_scope", "established_on",
    "certificate.number", "latest_inspection.year", "latest_inspection.result",
    "evaluation.grade", "credit.abnormal", "credit.serious", "party_organization",
    "updated_at",
};
#define COLUMNS (sizeof s_columns / sizeof s_columns [0])

typedef struct {
    const char *dir;
    bool csv;
    FILE *file;
    char path [4096];
    char name [256];
    uint64_t records;
    npo_client_t *client;
    const char *actor;
} export_t;

//  A field of record by a dotted path, as CSV text (quoted when needed)
static void
s_csv_field (FILE *f, json_t *record, const char *path)
{
    char head [64];
    const char *dot = strchr (path, '.');
    json_t *value = record;
    if (dot) {
        snprintf (head, sizeof head, "%.*s", (int) (dot - path), path);
        value = json_object_get (json_object_get (record, head), dot + 1);
    }
    else
        value = json_object_get (record, path);
    char number [32];
    const char *text = json_is_string (value)? json_string_value (value):
                       json_is_true (value)? "true": json_is_false (value)? "false": "";
    if (json_is_integer (value)) {
        snprintf (number, sizeof number, "%lld", (long long) json_integer_value (value));
        text = number;
    }
    if (!strpbrk (text, ",\"\n\r")) {
        fputs (text, f);
        return;
    }
    fputc ('"', f);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc ('"', f);
        fputc (*p, f);
    }
    fputc ('"', f);
}

static int
s_open (export_t *self, const char *stem)
{
    snprintf (self->name, sizeof self->name, "%s.%s", stem, self->csv? "csv": "jsonl");
    snprintf (self->path, sizeof self->path, "%s/%s.part", self->dir, self->name);
    self->file = fopen (self->path, "w");
    if (!self->file) {
        fprintf (stderr, "npoctl export: %s: %s\n", self->path, strerror (errno));
        return -1;
    }
    if (self->csv)
        for (size_t i = 0; i < COLUMNS; i++)
            fprintf (self->file, "%s%s", s_columns [i], i + 1 < COLUMNS? ",": "\n");
    self->records = 0;
    return 0;
}

//  Writes one record (JSON text). Returns 0 or -1.
static int
s_write (export_t *self, const char *text)
{
    if (!self->csv) {
        fputs (text, self->file);
        fputc ('\n', self->file);
    }
    else {
        json_t *record = json_loads (text, 0, NULL);
        if (!record)
            return -1;
        for (size_t i = 0; i < COLUMNS; i++) {
            s_csv_field (self->file, record, s_columns [i]);
            fputc (i + 1 < COLUMNS? ',': '\n', self->file);
        }
        json_decref (record);
    }
    self->records++;
    return ferror (self->file)? -1: 0;
}

//  SHA-256 of a file, as hex into out (65 bytes). Returns 0 or -1.
static int
s_sha256 (const char *path, char *out)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return -1;
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    unsigned char buf [65536];
    size_t n;
    while ((n = fread (buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update (&state, buf, n);
    fclose (f);
    unsigned char hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&state, hash);
    sodium_bin2hex (out, 65, hash, sizeof hash);
    return 0;
}

//  Finishes the data file (renamed into place) and writes its manifest and
//  latest.json. Returns the exit status.
static int
s_finish (export_t *self, const char *kind, uint64_t since, uint64_t seq)
{
    if (fclose (self->file)) {
        fprintf (stderr, "npoctl export: %s: %s\n", self->path, strerror (errno));
        return EXIT_REFUSED;
    }
    char final [4096], sha [65];
    snprintf (final, sizeof final, "%s/%s", self->dir, self->name);
    if (s_sha256 (self->path, sha) || rename (self->path, final)) {
        fprintf (stderr, "npoctl export: %s: %s\n", final, strerror (errno));
        return EXIT_REFUSED;
    }
    char when [32];
    time_t now = time (NULL);
    strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime (&now));
    json_t *manifest = json_pack ("{s:s, s:I, s:I, s:s, s:s, s:[{s:s, s:I, s:s}]}",
        "kind", kind, "since_seq", (json_int_t) since, "seq", (json_int_t) seq,
        "format", self->csv? "csv": "jsonl", "created_at", when,
        "files", "name", self->name, "records", (json_int_t) self->records, "sha256", sha);
    char path [4096], tmp [4200];
    snprintf (path, sizeof path, "%s/manifest-%s.json", self->dir, self->name);
    int rc = json_dump_file (manifest, path, JSON_INDENT (2));
    //  latest.json: the newest manifest, at a stable name (replaced whole)
    snprintf (tmp, sizeof tmp, "%s/latest.json.part", self->dir);
    snprintf (path, sizeof path, "%s/latest.json", self->dir);
    rc = rc || json_dump_file (manifest, tmp, JSON_INDENT (2)) || rename (tmp, path);
    if (rc == 0)
        ctl_print_json (manifest);
    json_decref (manifest);
    if (rc) {
        fprintf (stderr, "npoctl export: cannot write the manifest in %s\n", self->dir);
        return EXIT_REFUSED;
    }
    return 0;
}

//  Sends request to publication: the reply, or NULL with the failure printed.
static Npo__Reply *
s_ask (export_t *self, Npo__Request *request)
{
    request->actor = (char *) self->actor;
    Npo__Reply *reply = npo_client_call (self->client, request);
    if (!reply)
        fprintf (stderr, "npoctl export: publication did not answer\n");
    else
    if (reply->status != NPO__STATUS__STATUS_OK) {
        fprintf (stderr, "npoctl export: %s (%s)\n", reply->error_message, reply->error_code);
        npo__reply__free_unpacked (reply, NULL);
        reply = NULL;
    }
    return reply;
}

static int
s_snapshot (export_t *self)
{
    char after [32] = "";
    uint64_t seq = 0;
    bool first = true;
    while (true) {
        Npo__PublicSnapshot cmd = NPO__PUBLIC_SNAPSHOT__INIT;
        cmd.province = "";
        cmd.after_uscc = after;
        Npo__Request request = NPO__REQUEST__INIT;
        request.body_case = NPO__REQUEST__BODY_PUBLIC_SNAPSHOT;
        request.public_snapshot = &cmd;
        Npo__Reply *reply = s_ask (self, &request);
        if (!reply)
            return EXIT_UNREACHABLE;
        const Npo__PublicSnapshotPage *page = reply->public_snapshot;
        if (first) {
            //  The set stands at the first page's seq: every later change
            //  is in the deltas from it
            seq = page->province_seq;
            char stem [64];
            snprintf (stem, sizeof stem, "snapshot-%llu", (unsigned long long) seq);
            if (s_open (self, stem)) {
                npo__reply__free_unpacked (reply, NULL);
                return EXIT_REFUSED;
            }
            first = false;
        }
        int rc = 0;
        for (size_t i = 0; i < page->n_records && rc == 0; i++)
            rc = s_write (self, page->records [i]);
        snprintf (after, sizeof after, "%s", page->last_uscc);
        bool done = page->done;
        npo__reply__free_unpacked (reply, NULL);
        if (rc) {
            fprintf (stderr, "npoctl export: cannot write %s\n", self->path);
            return EXIT_REFUSED;
        }
        if (done)
            break;
    }
    return s_finish (self, "snapshot", 0, seq);
}

static int
s_cmp_keys (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
s_delta (export_t *self, uint64_t since)
{
    //  The last record of each organization among the events after since
    json_t *latest = json_object ();
    uint64_t from = since + 1, seq = since;
    while (true) {
        Npo__PublicReplay cmd = NPO__PUBLIC_REPLAY__INIT;
        cmd.province = "";
        cmd.from_seq = from;
        Npo__Request request = NPO__REQUEST__INIT;
        request.body_case = NPO__REQUEST__BODY_PUBLIC_REPLAY;
        request.public_replay = &cmd;
        Npo__Reply *reply = s_ask (self, &request);
        if (!reply) {
            json_decref (latest);
            return EXIT_UNREACHABLE;
        }
        const Npo__PublicEvents *events = reply->public_events;
        for (size_t i = 0; i < events->n_events; i++) {
            const Npo__PublicEvent *e = events->events [i];
            if (*e->record)
                json_object_set_new (latest, e->uscc, json_string (e->record));
            seq = e->seq;
        }
        size_t n = events->n_events;
        npo__reply__free_unpacked (reply, NULL);
        if (n == 0)
            break;
        from = seq + 1;
    }
    char stem [80];
    snprintf (stem, sizeof stem, "delta-%llu-%llu", (unsigned long long) since,
              (unsigned long long) seq);
    if (s_open (self, stem)) {
        json_decref (latest);
        return EXIT_REFUSED;
    }
    //  In uscc order, like a snapshot
    size_t n = json_object_size (latest), k = 0;
    const char **keys = calloc (n + 1, sizeof *keys);
    if (!keys)
        abort ();
    const char *key;
    json_t *value;
    json_object_foreach (latest, key, value)
        keys [k++] = key;
    qsort (keys, n, sizeof *keys, s_cmp_keys);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s_write (self, json_string_value (json_object_get (latest, keys [i])));
    free (keys);
    json_decref (latest);
    if (rc) {
        fprintf (stderr, "npoctl export: cannot write %s\n", self->path);
        return EXIT_REFUSED;
    }
    return s_finish (self, "delta", since, seq);
}

int
ctl_export (ctl_t *ctl, int argc, char **argv)
{
    const char *what = argc > 0? argv [0]: "";
    char *since = NULL, *format = NULL, *out = NULL;
    opt_t opts [] = { { "--since", &since, NULL }, { "--format", &format, NULL },
                      { "--out", &out, NULL } };
    int rc = ctl_options ("export", argc, argv, 1, opts, 3);
    if (rc)
        return rc;
    if (strcmp (what, "snapshot") && strcmp (what, "delta"))
        return ctl_usage_error ("export", "%s", "expected snapshot or delta");
    if (!out)
        return ctl_usage_error ("export", "%s", "--out DIR is required");
    if (format && strcmp (format, "jsonl") && strcmp (format, "csv"))
        return ctl_usage_error ("export", "--format %s: jsonl or csv", format);
    char *end = "";
    uint64_t since_seq = since? strtoull (since, &end, 10): 0;
    if (strcmp (what, "delta") == 0 && (!since || *end))
        return ctl_usage_error ("export", "%s", "delta needs --since SEQ (a manifest's seq)");
    if (mkdir (out, 0755) && errno != EEXIST) {
        fprintf (stderr, "npoctl export: %s: %s\n", out, strerror (errno));
        return EXIT_REFUSED;
    }
    if (sodium_init () < 0)
        return EXIT_REFUSED;
    export_t self = { .dir = out, .csv = format && strcmp (format, "csv") == 0,
                      .actor = ctl->actor };
    self.client = npo_client_new (NULL, npo_config_endpoint ("publication", "router"),
                                  ctl->timeout_ms);
    if (!self.client)
        return EXIT_UNREACHABLE;
    rc = strcmp (what, "snapshot") == 0? s_snapshot (&self): s_delta (&self, since_seq);
    npo_client_destroy (&self.client);
    return rc;
}
