/*  certpdf.h - the printable registration certificate (法人登记证书)
 *
 *  One A4 landscape page, PDF 1.4, written by hand: Chinese in the readers'
 *  STSong-Light (Adobe-GB1) and ASCII in Times-Roman, neither embedded; a QR
 *  code of the verification URL drawn as filled squares. The same inputs give
 *  the same bytes (no date, no random ID in the file).
 */
#ifndef NPO_CERTPDF_H
#define NPO_CERTPDF_H

#include <stdbool.h>
#include <stdio.h>

#include "cert.h"

//  Writes the certificate c, with a QR code of qr_url (printable, at most a
//  few hundred bytes) at the bottom right, to out and flushes it. Long values
//  wrap; when they do not fit the font shrinks, and a business scope that
//  still does not fit is cut with "…". Characters outside the BMP print as
//  '?'. Returns 0, or -1 when qr_url cannot be encoded, memory ran out or a
//  write failed. The caller keeps c, qr_url and out.
int
    certpdf_write (FILE *out, const npo_cert_t *c, const char *qr_url);

void
    certpdf_test (bool verbose);

#endif
