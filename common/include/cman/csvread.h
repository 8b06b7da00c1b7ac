/*
 * csvread.h - the project's one CSV reader (RFC 4180), for every CSV it reads:
 * metrics CSV, AWS spot CSV, time-series CSV, the catalog's CSVs.
 *
 * Records come one at a time from a file (gzip-compressed or plain, read in
 * blocks: memory follows the longest record, not the file) or from text in
 * memory.  The rules:
 *   - fields are separated by ','; a record ends at LF, CRLF or a lone CR,
 *     or at the end of the input (no final line break needed);
 *   - a field starting with '"' is quoted: it ends at the next '"' that is
 *     not doubled ("" stands for one '"') and may hold ',', CR and LF;
 *     after its closing '"' only ',' or the end of the record may follow;
 *   - a '"' inside an unquoted field, a NUL byte, an unterminated quoted
 *     field and a record longer than CMAN_CSV_RECORD_MAX bytes are errors;
 *   - a UTF-8 byte order mark at the very start is skipped;
 *   - blank lines (a record of one empty unquoted field) are skipped.
 * Every field knows where it starts (1-based line and byte column; for a
 * quoted field, its opening quote).  Errors are CMAN_EINVAL
 * "NAME:LINE:COL: what is wrong" (NAME: the path or the name given), or
 * "NAME: cannot open: ...", "NAME: read error: ...", "NAME: corrupt gzip
 * data: ...", "NAME: truncated gzip data (unexpected end of file)";
 * CMAN_ENOMEM when out of memory.
 */
#ifndef CMAN_CSVREAD_H
#define CMAN_CSVREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "cman/err.h"

#define CMAN_CSV_RECORD_MAX (1 << 20)

struct cman_csv;

struct cman_csv_field {
	const char *s;     /* unescaped, NUL-terminated (may hold no NUL) */
	size_t len;
	int line, col;     /* where the field starts */
	bool quoted;
};

/* Read the file at path (gzip or plain).  Caller closes. */
int cman_csv_open(const char *path, struct cman_csv **out, struct cman_error *err);

/* Read the open descriptor fd (gzip or plain), which the reader takes over:
 * it is closed by cman_csv_close(), or here on failure.  name is used in
 * messages. */
int cman_csv_open_fd(int fd, const char *name, struct cman_csv **out, struct cman_error *err);

/* Read text[0..len) (not copied: it must outlive the reader); name is used
 * in messages.  Caller closes. */
int cman_csv_open_mem(const char *name, const char *text, size_t len,
		      struct cman_csv **out, struct cman_error *err);

/*
 * The next record: 1 with *fields (n of them, n >= 1) valid until the next
 * call, 0 at the end of the input, or a negative cman_err.
 */
int cman_csv_next(struct cman_csv *c, const struct cman_csv_field **fields, size_t *n,
		  struct cman_error *err);

/* The name used in messages (the path). */
const char *cman_csv_name(const struct cman_csv *c);

void cman_csv_close(struct cman_csv *c);   /* NULL is fine */

#endif
