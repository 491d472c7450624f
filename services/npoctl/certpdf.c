/*  certpdf.c - the printable registration certificate as a one-page PDF
 *
 *  No PDF library: the file is small and fixed in shape, so it is built in
 *  memory (offsets for the xref table are then exact, even when out is a
 *  pipe) and written in one go.
 *
 *  Chinese text needs no embedded font: STSong-Light is one of Adobe's CJK
 *  base fonts, which readers map to a local Song face; with the UniGB-UCS2-H
 *  CMap it takes strings as UTF-16BE code units, and its glyphs other than
 *  ASCII are one em wide. ASCII goes in Times-Roman instead, the usual
 *  pairing in Chinese official documents: readers stand in for STSong-Light
 *  with fonts whose Latin letters differ in width (SimSun: all half an em;
 *  Adobe Song: proportional), so any one /W table crowds or gaps "BCW5" in
 *  some reader, while every reader has Times with Adobe's metrics. The
 *  layout measures with the widths the file declares, so what it wraps is
 *  what the reader draws.
 *
 *  Numbers are written without printf's %f so that a locale cannot put a
 *  comma in them.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <qrencode.h>

#include "certpdf.h"
#include "selftest.h"

//  A4 landscape, in points
#define S_PAGE_W        842.0
#define S_PAGE_H        595.0
//  The body: first baseline, lowest baseline, left edge, right limit
#define S_BODY_TOP      418.0
#define S_BODY_BOTTOM   56.0
#define S_BODY_LEFT     78.0
#define S_BODY_RIGHT    648.0
//  Font sizes tried for the body, largest first
#define S_SIZE_MAX      13
#define S_SIZE_MIN      8
//  QR code: 40 mm square with its quiet zone, bottom right inside the frame
#define S_QR_SIZE       (40.0 * 72.0 / 25.4)
#define S_QR_RIGHT      786.0
#define S_QR_BOTTOM     64.0
#define S_QR_QUIET      4
//  Printed for invalid UTF-8 and for characters outside the BMP
#define S_BAD           0x3Fu

//  Fonts in the page's resources
enum { S_FONT_NONE = 0, S_FONT_CJK = 1, S_FONT_LATIN = 2 };

//  Advance widths (1/1000 em) of Times-Roman for 0x20 .. 0x7E, from Adobe's
//  metrics; written into the file as /Widths and used to measure.
static const short s_latin_widths [95] = {
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541
};

enum { S_OBJ_CATALOG = 1, S_OBJ_PAGES, S_OBJ_PAGE, S_OBJ_CONTENT, S_OBJ_FONT,
       S_OBJ_CIDFONT, S_OBJ_DESCRIPTOR, S_OBJ_LATIN, S_OBJ_INFO, S_OBJ_COUNT };

//  Growing byte buffer; after a failed allocation it stays failed and
//  ignores further appends, so callers check once at the end.
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} s_buf_t;

//  Body layout for one font size
typedef struct {
    double size;            //  font size, points
    double leading;         //  baseline to baseline
    double label_x;         //  left of the labels
    double value_x;         //  left of the values
    double value_em;        //  width for values, in em, less 1 for what hangs
} s_layout_t;


//  --------------------------------------------------------------------------
//  Buffer

static void
s_buf_append (s_buf_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap? b->cap: 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *data = realloc (b->data, cap);
        if (data == NULL) {
            b->failed = true;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy (b->data + b->len, s, n);
    b->len += n;
    b->data [b->len] = '\0';
}

static void
s_buf_printf (s_buf_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_buf_printf (s_buf_t *b, const char *fmt, ...)
{
    char small [256];
    va_list args;
    va_start (args, fmt);
    int n = vsnprintf (small, sizeof small, fmt, args);
    va_end (args);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t) n < sizeof small) {
        s_buf_append (b, small, (size_t) n);
        return;
    }
    char *big = malloc ((size_t) n + 1);
    if (big == NULL) {
        b->failed = true;
        return;
    }
    va_start (args, fmt);
    vsnprintf (big, (size_t) n + 1, fmt, args);
    va_end (args);
    s_buf_append (b, big, (size_t) n);
    free (big);
}

//  Appends value with at most 2 decimals and a space, whatever the locale.
static void
s_buf_num (s_buf_t *b, double value)
{
    long hundredths = (long) (value * 100.0 + (value < 0? -0.5: 0.5));
    const char *sign = hundredths < 0? "-": "";
    unsigned long abs_h = hundredths < 0? 0ul - (unsigned long) hundredths
                                        : (unsigned long) hundredths;
    if (abs_h % 100 == 0)
        s_buf_printf (b, "%s%lu ", sign, abs_h / 100);
    else
    if (abs_h % 10 == 0)
        s_buf_printf (b, "%s%lu.%lu ", sign, abs_h / 100, abs_h % 100 / 10);
    else
        s_buf_printf (b, "%s%lu.%02lu ", sign, abs_h / 100, abs_h % 100);
}

//  Appends count numbers (doubles) then the operator op and a newline.
static void
s_buf_op (s_buf_t *b, const char *op, int count, ...)
{
    va_list args;
    va_start (args, count);
    for (int i = 0; i < count; i++)
        s_buf_num (b, va_arg (args, double));
    va_end (args);
    s_buf_printf (b, "%s\n", op);
}


//  --------------------------------------------------------------------------
//  Text

//  Decodes the code point at *s and moves *s past it, never past a NUL.
//  Returns S_BAD for bytes that are not UTF-8 (overlong forms, surrogates).
static uint32_t
s_utf8_next (const char **s)
{
    const unsigned char *p = (const unsigned char *) *s;
    uint32_t cp;
    int more;
    if (p [0] < 0x80) {
        *s += 1;
        return p [0];
    }
    if (p [0] >= 0xC2 && p [0] <= 0xDF) {
        more = 1;
        cp = p [0] & 0x1F;
    }
    else
    if (p [0] >= 0xE0 && p [0] <= 0xEF) {
        more = 2;
        cp = p [0] & 0x0F;
    }
    else
    if (p [0] >= 0xF0 && p [0] <= 0xF4) {
        more = 3;
        cp = p [0] & 0x07;
    }
    else {
        *s += 1;
        return S_BAD;
    }
    for (int i = 1; i <= more; i++) {
        if ((p [i] & 0xC0) != 0x80) {
            *s += i;
            return S_BAD;
        }
        cp = cp << 6 | (p [i] & 0x3F);
    }
    *s += more + 1;
    if ((more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
    ||  (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
        return S_BAD;
    return cp;
}

//  The UTF-16 code unit printed for cp: one BMP character, no controls.
static uint32_t
s_printable (uint32_t cp)
{
    if (cp > 0xFFFF)
        return S_BAD;
    if (cp < 0x20 || cp == 0x7F)
        return ' ';
    return cp;
}

//  Advance of cp in em, as the font's /W says.
static double
s_em (uint32_t cp)
{
    cp = s_printable (cp);
    return cp < 0x7F? s_latin_widths [cp - 0x20] / 1000.0: 1.0;
}

static double
s_width_em (const char *text, const char *end)
{
    double em = 0;
    for (const char *p = text; p < end && *p; )
        em += s_em (s_utf8_next (&p));
    return em;
}

//  Appends [text, end) as UTF-16BE hex digits.
static void
s_buf_utf16 (s_buf_t *b, const char *text, const char *end)
{
    for (const char *p = text; p < end && *p; )
        s_buf_printf (b, "%04X", (unsigned) s_printable (s_utf8_next (&p)));
}

static int
s_font_of (uint32_t unit)
{
    return unit < 0x7F? S_FONT_LATIN: S_FONT_CJK;
}

//  Appends [text, end) as Tj operators, one per run of characters in the
//  same font: a byte per char in the Latin font, a UTF-16 code unit in the
//  CJK one. *font is the font in force and is updated.
static void
s_text_runs (s_buf_t *b, const char *text, const char *end, double size, int *font)
{
    const char *p = text;
    while (p < end && *p) {
        const char *q = p;
        int run_font = s_font_of (s_printable (s_utf8_next (&q)));
        if (run_font != *font) {
            s_buf_printf (b, "/F%d ", run_font);
            s_buf_op (b, "Tf", 1, size);
            *font = run_font;
        }
        s_buf_printf (b, "<");
        for (q = p; p < end && *p; p = q) {
            uint32_t unit = s_printable (s_utf8_next (&q));
            if (s_font_of (unit) != run_font)
                break;
            s_buf_printf (b, run_font == S_FONT_LATIN? "%02X": "%04X", (unsigned) unit);
        }
        s_buf_printf (b, "> Tj\n");
    }
}

//  One line of text at (x, y): [text, end) then suffix (may be NULL), with
//  char_space points after every glyph.
static void
s_text (s_buf_t *b, double x, double y, double size, double char_space,
        const char *text, const char *end, const char *suffix)
{
    int font = S_FONT_NONE;
    s_buf_printf (b, "BT ");
    s_buf_op (b, "Tc", 1, char_space);
    s_buf_op (b, "Td", 2, x, y);
    s_text_runs (b, text, end, size, &font);
    if (suffix)
        s_text_runs (b, suffix, suffix + strlen (suffix), size, &font);
    s_buf_printf (b, "ET\n");
}

static void
s_text_centered (s_buf_t *b, double center, double y, double size, double char_space,
                 const char *text)
{
    const char *end = text + strlen (text);
    size_t chars = 0;
    for (const char *p = text; *p; chars++)
        s_utf8_next (&p);
    double width = s_width_em (text, end) * size
                 + (chars > 1? (double) (chars - 1) * char_space: 0);
    s_text (b, center - width / 2, y, size, char_space, text, end, NULL);
}

//  Punctuation that may hang past the right edge rather than start a line
static bool
s_closing (uint32_t cp)
{
    static const uint32_t closing [] = {
        0x3001, 0x3002, 0xFF0C, 0xFF0E, 0xFF1B, 0xFF1A, 0xFF01, 0xFF1F, 0xFF09,
        0x300B, 0x300D, 0x300F, 0x3011, 0x201D, 0x2019, ',', '.', ';', ':', ')', ']'
    };
    for (size_t i = 0; i < sizeof closing / sizeof closing [0]; i++)
        if (cp == closing [i])
            return true;
    return false;
}

static bool
s_is_alnum (uint32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
}

//  Finds the line that starts at text and is at most max_em wide; sets *end
//  to its end and returns where the next line starts, or NULL when the text
//  ends with this line. Breaks at a newline, between any two CJK characters,
//  and inside a run of ASCII letters and digits only when the run fills the
//  line; lets one closing punctuation mark hang.
static const char *
s_wrap_next (const char *text, double max_em, const char **end)
{
    double em = 0;
    const char *word = NULL;        //  start of the current ASCII run
    const char *p = text;
    while (*p) {
        const char *at = p;
        uint32_t cp = s_utf8_next (&p);
        if (cp == '\n') {
            *end = at;
            return p;
        }
        double w = s_em (cp);
        //  One closing mark may hang past the edge, never a row of them
        if (em + w > max_em && at > text && !(s_closing (cp) && em <= max_em)) {
            if (s_is_alnum (cp) && word && word > text)
                at = word;
            *end = at;
            return at;
        }
        em += w;
        if (!s_is_alnum (cp))
            word = NULL;
        else
        if (word == NULL)
            word = at;
    }
    *end = p;
    return NULL;
}


//  --------------------------------------------------------------------------
//  Page

static void
s_layout_init (s_layout_t *lay, int size)
{
    lay->size = size;
    lay->leading = size * 1.75;
    lay->label_x = S_BODY_LEFT;
    //  The longest label, 统一社会信用代码, is 8 em; then 1 em of space.
    lay->value_x = S_BODY_LEFT + 9.0 * size;
    lay->value_em = (S_BODY_RIGHT - lay->value_x) / size - 1.0;
}

//  Lays out one labelled field from baseline *y down, at most max_lines
//  lines (the last one cut with "…"), and moves *y below it. Writes to b, or
//  only counts when b is NULL. Returns the lines used.
static int
s_field (s_buf_t *b, const s_layout_t *lay, const char *label, const char *value,
         int max_lines, double *y)
{
    int lines = 0;
    if (b)
        s_text (b, lay->label_x, *y, lay->size, 0, label, label + strlen (label), NULL);
    for (const char *p = value? value: ""; p; lines++) {
        const char *end;
        const char *next = s_wrap_next (p, lay->value_em, &end);
        bool cut = next != NULL && lines + 1 >= max_lines;
        if (cut)
            s_wrap_next (p, lay->value_em - 1.0, &end);
        //  Only what absurd input pushes below the frame is dropped
        if (b && *y >= S_BODY_BOTTOM - 0.01)
            s_text (b, lay->value_x, *y, lay->size, 0, p, end, cut? "\xE2\x80\xA6": NULL);
        *y -= lay->leading;
        p = cut? NULL: next;
    }
    return lines;
}

//  Frame, title and labelled fields.
static void
s_page_text (s_buf_t *b, const npo_cert_t *c)
{
    //  Frame: a heavy outer rule and a thin inner one
    s_buf_printf (b, "q 0.62 0.12 0.1 RG\n");
    s_buf_op (b, "w", 1, 2.0);
    s_buf_op (b, "re S", 4, 28.0, 28.0, S_PAGE_W - 56.0, S_PAGE_H - 56.0);
    s_buf_op (b, "w", 1, 0.6);
    s_buf_op (b, "re S", 4, 34.0, 34.0, S_PAGE_W - 68.0, S_PAGE_H - 68.0);
    s_buf_printf (b, "Q\n0 g\n");

    s_text_centered (b, S_PAGE_W / 2, 510.0, 20.0, 4.0, "中华人民共和国");
    s_text_centered (b, S_PAGE_W / 2, 460.0, 34.0, 10.0, "法人登记证书");

    char validity [256] = "";
    const char *from = c->valid_from? c->valid_from: "";
    const char *to = c->valid_to? c->valid_to: "";
    if (*from || *to)
        snprintf (validity, sizeof validity, "%s 至 %s", from, to);

    enum { SCOPE = 5 };
    const struct {
        const char *label;
        const char *value;
    } fields [] = {
        { "统一社会信用代码", c->uscc },
        { "名称", c->name },
        { "法定代表人", c->legal_representative },
        { "住所", c->address },
        { "注册资金", c->registered_capital },
        { "业务范围", c->business_scope },
        { "活动地域", c->activity_area },
        { "业务主管单位", c->business_unit },
        { "有效期", validity },
        { "登记管理机关", c->issuing_authority },
        { "发证日期", c->issued_on },
        { "证书编号", c->number },
    };
    size_t count = sizeof fields / sizeof fields [0];

    //  Largest size at which everything fits; at the smallest, the business
    //  scope gives way to the other fields.
    s_layout_t lay;
    int scope_max = INT_MAX;
    for (int size = S_SIZE_MAX; size >= S_SIZE_MIN; size--) {
        s_layout_init (&lay, size);
        int capacity = (int) ((S_BODY_TOP - S_BODY_BOTTOM) / lay.leading + 0.001) + 1;
        int others = 0, scope = 0;
        double y = 0;
        for (size_t i = 0; i < count; i++) {
            int lines = s_field (NULL, &lay, fields [i].label, fields [i].value, INT_MAX, &y);
            if (i == SCOPE)
                scope = lines;
            else
                others += lines;
        }
        if (others + scope <= capacity)
            break;
        if (size == S_SIZE_MIN)
            scope_max = capacity - others > 1? capacity - others: 1;
    }
    double y = S_BODY_TOP;
    for (size_t i = 0; i < count; i++)
        s_field (b, &lay, fields [i].label, fields [i].value,
                 i == SCOPE? scope_max: INT_MAX, &y);
}

//  The QR code of url, its quiet zone and caption. Returns -1 when url
//  cannot be encoded.
static int
s_page_qr (s_buf_t *b, const char *url)
{
    QRcode *qr = QRcode_encodeString (url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL)
        return -1;
    int width = qr->width;
    double module = S_QR_SIZE / (width + 2 * S_QR_QUIET);
    double left = S_QR_RIGHT - S_QR_SIZE + S_QR_QUIET * module;
    double top = S_QR_BOTTOM + S_QR_SIZE - S_QR_QUIET * module;

    //  White quiet zone, in case a background is ever drawn beneath
    s_buf_printf (b, "q 1 g\n");
    s_buf_op (b, "re f", 4, S_QR_RIGHT - S_QR_SIZE, S_QR_BOTTOM, S_QR_SIZE, S_QR_SIZE);
    s_buf_printf (b, "0 g\n");
    //  One rectangle per horizontal run of dark modules, one fill for all
    for (int row = 0; row < width; row++) {
        const unsigned char *line = qr->data + (size_t) row * (size_t) width;
        for (int col = 0; col < width; ) {
            if (!(line [col] & 1)) {
                col++;
                continue;
            }
            int run = 1;
            while (col + run < width && (line [col + run] & 1))
                run++;
            s_buf_op (b, "re", 4, left + col * module, top - (row + 1) * module,
                      run * module, module);
            col += run;
        }
    }
    s_buf_printf (b, "f Q\n");
    QRcode_free (qr);

    s_text_centered (b, S_QR_RIGHT - S_QR_SIZE / 2, S_QR_BOTTOM - 14.0, 10.0, 2.0,
                     "扫码验证");
    return 0;
}

//  Starts object number obj and records its offset.
static void
s_obj (s_buf_t *pdf, size_t offsets [], int obj)
{
    offsets [obj] = pdf->len;
    s_buf_printf (pdf, "%d 0 obj\n", obj);
}

int
certpdf_write (FILE *out, const npo_cert_t *c, const char *qr_url)
{
    int rc = -1;
    s_buf_t content = { 0 }, pdf = { 0 };
    size_t offsets [S_OBJ_COUNT] = { 0 };

    if (out == NULL || c == NULL || qr_url == NULL || *qr_url == '\0')
        goto done;
    s_page_text (&content, c);
    if (s_page_qr (&content, qr_url))
        goto done;
    if (content.failed)
        goto done;

    //  The second line's bytes above 127 tell tools the file is binary.
    s_buf_printf (&pdf, "%%PDF-1.4\n%%\xE2\xE3\xCF\xD3\n");
    s_obj (&pdf, offsets, S_OBJ_CATALOG);
    s_buf_printf (&pdf, "<< /Type /Catalog /Pages %d 0 R >>\nendobj\n", S_OBJ_PAGES);
    s_obj (&pdf, offsets, S_OBJ_PAGES);
    s_buf_printf (&pdf, "<< /Type /Pages /Kids [%d 0 R] /Count 1 >>\nendobj\n", S_OBJ_PAGE);
    s_obj (&pdf, offsets, S_OBJ_PAGE);
    s_buf_printf (&pdf, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 842 595]\n"
                  "   /Resources << /Font << /F%d %d 0 R /F%d %d 0 R >> >>\n"
                  "   /Contents %d 0 R >>\nendobj\n",
                  S_OBJ_PAGES, S_FONT_CJK, S_OBJ_FONT, S_FONT_LATIN, S_OBJ_LATIN,
                  S_OBJ_CONTENT);
    s_obj (&pdf, offsets, S_OBJ_CONTENT);
    s_buf_printf (&pdf, "<< /Length %zu >>\nstream\n", content.len);
    s_buf_append (&pdf, content.data, content.len);
    s_buf_printf (&pdf, "\nendstream\nendobj\n");
    s_obj (&pdf, offsets, S_OBJ_FONT);
    s_buf_printf (&pdf, "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light\n"
                  "   /Encoding /UniGB-UCS2-H /DescendantFonts [%d 0 R] >>\nendobj\n",
                  S_OBJ_CIDFONT);
    s_obj (&pdf, offsets, S_OBJ_CIDFONT);
    s_buf_printf (&pdf, "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light\n"
                  "   /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >>\n"
                  "   /FontDescriptor %d 0 R /DW 1000 >>\nendobj\n", S_OBJ_DESCRIPTOR);
    s_obj (&pdf, offsets, S_OBJ_DESCRIPTOR);
    s_buf_printf (&pdf, "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6\n"
                  "   /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 752\n"
                  "   /Descent -271 /CapHeight 737 /StemV 58 >>\nendobj\n");
    s_obj (&pdf, offsets, S_OBJ_LATIN);
    s_buf_printf (&pdf, "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman\n"
                  "   /Encoding /WinAnsiEncoding /FirstChar 32 /LastChar 126 /Widths [");
    for (int i = 0; i < 95; i++)
        s_buf_printf (&pdf, "%s%d", i % 16? " ": "\n   ", s_latin_widths [i]);
    s_buf_printf (&pdf, "] >>\nendobj\n");
    s_obj (&pdf, offsets, S_OBJ_INFO);
    s_buf_printf (&pdf, "<< /Producer (npoctl certpdf) /Title <FEFF");
    const char *title = "法人登记证书 ";
    s_buf_utf16 (&pdf, title, title + strlen (title));
    if (c->number)
        s_buf_utf16 (&pdf, c->number, c->number + strlen (c->number));
    s_buf_printf (&pdf, "> >>\nendobj\n");

    size_t xref = pdf.len;
    s_buf_printf (&pdf, "xref\n0 %d\n0000000000 65535 f \n", S_OBJ_COUNT);
    for (int obj = 1; obj < S_OBJ_COUNT; obj++)
        s_buf_printf (&pdf, "%010zu 00000 n \n", offsets [obj]);
    s_buf_printf (&pdf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\n"
                  "startxref\n%zu\n%%%%EOF\n", S_OBJ_COUNT, S_OBJ_CATALOG, S_OBJ_INFO, xref);
    if (pdf.failed)
        goto done;
    if (fwrite (pdf.data, 1, pdf.len, out) != pdf.len || fflush (out) != 0)
        goto done;
    rc = 0;
done:
    free (content.data);
    free (pdf.data);
    return rc;
}


//  --------------------------------------------------------------------------
//  Self-test

//  Writes c to a temporary file and returns its bytes (caller frees), or
//  NULL when certpdf_write failed.
static char *
s_test_render (const npo_cert_t *c, const char *url, size_t *len)
{
    FILE *file = tmpfile ();
    if (file == NULL)
        return NULL;
    char *data = NULL;
    if (certpdf_write (file, c, url) == 0) {
        long size = ftell (file);
        data = size > 0? malloc ((size_t) size + 1): NULL;
        rewind (file);
        if (data && fread (data, 1, (size_t) size, file) == (size_t) size) {
            data [size] = '\0';
            *len = (size_t) size;
        }
        else {
            free (data);
            data = NULL;
        }
    }
    fclose (file);
    return data;
}

//  True when every xref entry and startxref point where they should.
static bool
s_test_xref_ok (const char *pdf, size_t len)
{
    const char *start = strstr (pdf, "startxref\n");
    if (start == NULL)
        return false;
    size_t xref = strtoul (start + 10, NULL, 10);
    char head [16];
    int head_len = snprintf (head, sizeof head, "xref\n0 %d\n", S_OBJ_COUNT);
    if (xref >= len || strncmp (pdf + xref, head, (size_t) head_len) != 0)
        return false;
    const char *entry = pdf + xref + head_len + 20;    //  past the free entry
    for (int obj = 1; obj < S_OBJ_COUNT; obj++, entry += 20) {
        size_t offset = strtoul (entry, NULL, 10);
        snprintf (head, sizeof head, "%d 0 obj\n", obj);
        if (entry [19] != '\n' || offset >= len
        ||  strncmp (pdf + offset, head, strlen (head)) != 0)
            return false;
    }
    return true;
}

void
certpdf_test (bool verbose)
{
    if (verbose)
        printf (" * certpdf: ");
    npo_cert_t c = {
        .number = "51440106BCW500015F-2",
        .version = 2,
        .uscc = "51440106BCW500015F",
        .name = "广州市天河区青少年科技教育协会",
        .business_scope = "科普宣传、培训交流",
        .valid_from = "2024-03-01",
        .valid_to = "2029-02-28",
    };
    const char *url = "https://npo.example.cn/v/AQAB";
    size_t len = 0;
    char *pdf = s_test_render (&c, url, &len);
    SELFTEST_CHECK (pdf != NULL);
    if (pdf) {
        SELFTEST_CHECK (strncmp (pdf, "%PDF-1.4\n", 9) == 0);
        SELFTEST_CHECK (len > 6 && strcmp (pdf + len - 6, "%%EOF\n") == 0);
        SELFTEST_CHECK (s_test_xref_ok (pdf, len));
        SELFTEST_CHECK (strstr (pdf, "/Encoding /UniGB-UCS2-H") != NULL);
        SELFTEST_CHECK (strstr (pdf, "/BaseFont /Times-Roman") != NULL);
        //  法人登记证书, 扫码验证, and the ASCII of the USCC
        SELFTEST_CHECK (strstr (pdf, "<6CD54EBA767B8BB08BC14E66>") != NULL);
        SELFTEST_CHECK (strstr (pdf, "<626B78019A8C8BC1>") != NULL);
        SELFTEST_CHECK (strstr (pdf, "/F2 13 Tf\n<353134343031303642435735") != NULL);
        //  /Length matches what lies between stream and endstream
        const char *length = strstr (pdf, "/Length ");
        const char *stream = strstr (pdf, "stream\n");
        const char *endstream = strstr (pdf, "\nendstream");
        SELFTEST_CHECK (length && stream && endstream
                        && strtoul (length + 8, NULL, 10)
                           == (size_t) (endstream - stream - 7));
        SELFTEST_CHECK (strstr (pdf, " re\n") != NULL);
        //  The same inputs, the same bytes
        size_t len2 = 0;
        char *again = s_test_render (&c, url, &len2);
        SELFTEST_CHECK (again && len2 == len && memcmp (pdf, again, len) == 0);
        free (again);
        free (pdf);
    }

    //  Runs: one Tj per font
    s_buf_t runs = { 0 };
    int font = S_FONT_NONE;
    const char *mixed = "3万元 (a)";
    s_text_runs (&runs, mixed, mixed + strlen (mixed), 10, &font);
    SELFTEST_CHECK (runs.data && strcmp (runs.data, "/F2 10 Tf\n<33> Tj\n/F1 10 Tf\n"
                                         "<4E075143> Tj\n/F2 10 Tf\n<20286129> Tj\n") == 0);
    free (runs.data);

    //  Wrapping: a newline in a value, an ASCII run kept whole, hanging
    //  punctuation, invalid UTF-8 and a character outside the BMP as '?'
    const char *end;
    const char *text = "ab\ncd";
    const char *next = s_wrap_next (text, 10, &end);
    SELFTEST_CHECK (next == text + 3 && end == text + 2);
    text = "中文 abcdef";
    next = s_wrap_next (text, 3.0, &end);
    SELFTEST_CHECK (next && strcmp (next, "abcdef") == 0);
    text = "一二三，四";
    next = s_wrap_next (text, 3.0, &end);
    SELFTEST_CHECK (next && strcmp (next, "四") == 0);
    text = "，，，，，";
    next = s_wrap_next (text, 2.0, &end);
    SELFTEST_CHECK (next == text + 9 && end == next);
    SELFTEST_CHECK (s_wrap_next ("一二", 2.0, &end) == NULL && *end == '\0');
    const char *odd = "a\xff\xF0\x9F\x98\x80\xE4\xB8";
    s_buf_t hex = { 0 };
    s_buf_utf16 (&hex, odd, odd + strlen (odd));
    SELFTEST_CHECK (hex.data && strcmp (hex.data, "0061003F003F003F") == 0);
    free (hex.data);

    //  A business scope far too long is cut, and the page still ends well
    size_t big = 20000;
    char *scope = malloc (big * 3 + 1);
    SELFTEST_CHECK (scope != NULL);
    if (scope) {
        for (size_t i = 0; i < big; i++)
            memcpy (scope + 3 * i, "业", 3);
        scope [big * 3] = '\0';
        c.business_scope = scope;
        pdf = s_test_render (&c, url, &len);
        SELFTEST_CHECK (pdf && s_test_xref_ok (pdf, len));
        SELFTEST_CHECK (pdf && strstr (pdf, "2026>") != NULL);        //  …
        SELFTEST_CHECK (pdf && strstr (pdf, "/F1 8 Tf") != NULL);
        free (pdf);
        free (scope);
    }

    //  Refusals: no URL, a URL no QR code can hold, a stream that fails
    c.business_scope = "科普宣传";
    SELFTEST_CHECK (certpdf_write (stdout, &c, NULL) == -1);
    SELFTEST_CHECK (certpdf_write (stdout, &c, "") == -1);
    char *huge = malloc (8001);
    if (huge) {
        memset (huge, 'x', 8000);
        huge [8000] = '\0';
        SELFTEST_CHECK (certpdf_write (stdout, &c, huge) == -1);
        free (huge);
    }
    FILE *closed = fopen ("/dev/null", "r");
    if (closed) {
        SELFTEST_CHECK (certpdf_write (closed, &c, url) == -1);
        fclose (closed);
    }
    if (verbose)
        printf ("OK\n");
}
