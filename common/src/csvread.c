/*
 * csvread.c - the RFC 4180 reader of csvread.h.
 *
 * Input arrives in blocks (gzread, which reads plain files as they are, or
 * one block holding the caller's text); a record's fields are unescaped
 * into one buffer, NUL-separated, that is reused from record to record.
 * Positions are kept as the absolute offset of the current line's start,
 * so columns survive block boundaries.
 */
#include "cman/csvread.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "cman/fsutil.h"
#include "cman/grow.h"

#define BLOCK (256 * 1024)

struct cman_csv {
	char *name;
	gzFile gz;               /* NULL: reading text in memory */
	const char *in;          /* current block */
	char *block;             /* owned block buffer (files) */
	size_t block_size;       /* BLOCK, less for a small file */
	size_t len, pos;         /* block length, read position */
	uint64_t base;           /* absolute offset of in[0] */
	uint64_t line_start;     /* absolute offset where the current line starts */
	int line;
	bool eof, started;
	char *rec;               /* unescaped fields, NUL-separated */
	size_t rec_len, rec_cap;
	struct cman_csv_field *f;
	size_t nf, f_cap;
	size_t *offs;            /* field starts in rec (rec may move) */
	size_t offs_cap;
};

/* zlib's message without the "<fd:N>: " it puts first for gzdopen files. */
static const char *gz_msg(const char *m)
{
	const char *p;

	if (m && strncmp(m, "<fd:", 4) == 0 && (p = strstr(m, ": ")) != NULL)
		return p + 2;
	return m ? m : "unknown error";
}

/* Next block: 1, 0 at the end, or a negative error. */
static int refill(struct cman_csv *c, struct cman_error *err)
{
	int got, zerr;
	const char *m;

	c->base += c->len;
	c->len = c->pos = 0;
	if (c->eof || !c->gz) {
		c->eof = true;
		return 0;
	}
	got = gzread(c->gz, c->block, (unsigned)c->block_size);
	if (got > 0) {
		c->len = (size_t)got;
		return 1;
	}
	c->eof = true;
	m = gzerror(c->gz, &zerr);
	if (got < 0 && zerr == Z_ERRNO)
		return cman_error_set(err, CMAN_EINVAL, "%s: read error: %s", c->name,
				      strerror(errno));
	if (zerr == Z_BUF_ERROR)
		return cman_error_set(err, CMAN_EINVAL, "%s: truncated gzip data (unexpected end"
				      " of file)", c->name);
	if (got < 0 || (zerr != Z_OK && zerr != Z_STREAM_END))
		return cman_error_set(err, CMAN_EINVAL, "%s: corrupt gzip data: %s", c->name,
				      gz_msg(m));
	return 0;
}

#define END 256   /* peek() at the end of the input */

/* The byte at the read position (refilling as needed), END at the end of
 * the input, or a negative cman_err. */
static inline int peek(struct cman_csv *c, struct cman_error *err)
{
	int rc;

	if (c->pos < c->len)
		return (unsigned char)c->in[c->pos];
	rc = refill(c, err);
	if (rc < 0)
		return rc;
	return rc ? (unsigned char)c->in[c->pos] : END;
}

static int col_now(const struct cman_csv *c)
{
	uint64_t d = c->base + c->pos - c->line_start;

	return d >= INT_MAX ? INT_MAX : (int)d + 1;
}

static void new_line(struct cman_csv *c)
{
	c->line++;
	c->line_start = c->base + c->pos;
}

static int put(struct cman_csv *c, const char *s, size_t n, int line, int col,
	       struct cman_error *err)
{
	if (c->rec_len + n > CMAN_CSV_RECORD_MAX)
		return cman_error_at(err, c->name, line, col, "record longer than %d bytes"
				     " (an unterminated quoted field?)", CMAN_CSV_RECORD_MAX);
	if (cman_grow((void **)&c->rec, &c->rec_cap, c->rec_len + n + 1, 1))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", c->name);
	memcpy(c->rec + c->rec_len, s, n);
	c->rec_len += n;
	return 0;
}

static int add_field(struct cman_csv *c, size_t off, int line, int col, bool quoted,
		     struct cman_error *err)
{
	char nul = '\0';
	int rc = put(c, &nul, 1, line, col, err);

	if (rc)
		return rc;
	if (cman_grow((void **)&c->f, &c->f_cap, c->nf + 1, sizeof(*c->f)) ||
	    cman_grow((void **)&c->offs, &c->offs_cap, c->nf + 1, sizeof(*c->offs)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", c->name);
	c->offs[c->nf] = off;
	c->f[c->nf] = (struct cman_csv_field){ NULL, c->rec_len - 1 - off, line, col, quoted };
	c->nf++;
	return 0;
}

static int quoted_field(struct cman_csv *c, int line, int col, struct cman_error *err)
{
	int ch, rc;

	c->pos++;   /* the opening quote */
	for (;;) {
		const char *s = c->in + c->pos, *e = c->in + c->len, *q = s;

		/* a run of ordinary bytes in this block */
		while (q < e && *q != '"' && *q != '\n' && *q != '\0')
			q++;
		if (q > s) {
			rc = put(c, s, (size_t)(q - s), line, col, err);
			if (rc)
				return rc;
			c->pos += (size_t)(q - s);
		}
		ch = peek(c, err);
		if (ch < 0)
			return ch;
		if (ch == END)
			return cman_error_at(err, c->name, line, col, "unterminated quoted field"
					     " (a '\"' that opens a field needs a closing '\"')");
		if (ch == '\0')
			return cman_error_at(err, c->name, c->line, col_now(c), "NUL byte in the"
					     " input");
		if (ch == '\n') {
			rc = put(c, "\n", 1, line, col, err);
			if (rc)
				return rc;
			c->pos++;
			new_line(c);
			continue;
		}
		if (ch != '"')
			continue;   /* the block ended: refilled by peek */
		c->pos++;
		ch = peek(c, err);
		if (ch < 0)
			return ch;
		if (ch == '"') {
			rc = put(c, "\"", 1, line, col, err);
			if (rc)
				return rc;
			c->pos++;
			continue;
		}
		if (ch != END && ch != ',' && ch != '\n' && ch != '\r')
			return cman_error_at(err, c->name, c->line, col_now(c), "expected ',' or"
					     " the end of the line after a quoted field");
		return 0;
	}
}

static int plain_field(struct cman_csv *c, int line, int col, struct cman_error *err)
{
	int ch, rc;

	for (;;) {
		const char *s = c->in + c->pos, *e = c->in + c->len, *q = s;

		while (q < e && *q != ',' && *q != '\n' && *q != '\r' && *q != '"' && *q != '\0')
			q++;
		if (q > s) {
			rc = put(c, s, (size_t)(q - s), line, col, err);
			if (rc)
				return rc;
			c->pos += (size_t)(q - s);
		}
		ch = peek(c, err);
		if (ch < 0)
			return ch;
		if (ch == '"')
			return cman_error_at(err, c->name, c->line, col_now(c), "'\"' inside an"
					     " unquoted field (quote the whole field and double"
					     " the '\"' in it)");
		if (ch == '\0')
			return cman_error_at(err, c->name, c->line, col_now(c), "NUL byte in the"
					     " input");
		if (ch == END || ch == ',' || ch == '\n' || ch == '\r')
			return 0;
	}
}

int cman_csv_next(struct cman_csv *c, const struct cman_csv_field **fields, size_t *n,
		  struct cman_error *err)
{
	int ch, rc;

	if (!c->started) {
		c->started = true;
		/* a byte order mark: the first three bytes (a block holds them) */
		ch = peek(c, err);
		if (ch < 0)
			return ch;
		if (c->len - c->pos >= 3 && memcmp(c->in + c->pos, "\xef\xbb\xbf", 3) == 0) {
			c->pos += 3;
			c->line_start = c->base + c->pos;
		}
	}
	for (;;) {
		c->rec_len = 0;
		c->nf = 0;
		ch = peek(c, err);
		if (ch < 0)
			return ch;
		if (ch == END)
			return 0;
		for (;;) {
			int line = c->line, col = col_now(c);
			size_t off = c->rec_len;
			bool quoted = ch == '"';

			rc = quoted ? quoted_field(c, line, col, err) : plain_field(c, line, col, err);
			if (!rc)
				rc = add_field(c, off, line, col, quoted, err);
			if (rc)
				return rc;
			ch = peek(c, err);
			if (ch < 0)
				return ch;
			if (ch == ',') {
				c->pos++;
				ch = peek(c, err);
				if (ch < 0)
					return ch;
				continue;
			}
			if (ch == '\r') {
				c->pos++;
				ch = peek(c, err);
				if (ch < 0)
					return ch;
				if (ch == '\n')
					c->pos++;
				new_line(c);
			} else if (ch == '\n') {
				c->pos++;
				new_line(c);
			}
			break;
		}
		if (c->nf == 1 && c->f[0].len == 0 && !c->f[0].quoted)
			continue;   /* a blank line */
		for (size_t i = 0; i < c->nf; i++)
			c->f[i].s = c->rec + c->offs[i];
		*fields = c->f;
		*n = c->nf;
		return 1;
	}
}

static int new_reader(const char *name, struct cman_csv **out, struct cman_error *err)
{
	struct cman_csv *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c || !(c->name = strdup(name))) {
		free(c);
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", name);
	}
	c->line = 1;
	*out = c;
	return 0;
}

int cman_csv_open_fd(int fd, const char *name, struct cman_csv **out, struct cman_error *err)
{
	struct cman_csv *c;
	int rc = new_reader(name, &c, err);

	if (rc) {
		close(fd);
		return rc;
	}
	/* a small file gets small buffers (no megabytes per test or fuzz input) */
	c->block_size = cman_read_buffer_size(fd, BLOCK);
	c->block = malloc(c->block_size);
	c->gz = c->block ? gzdopen(fd, "rb") : NULL;
	if (!c->gz) {
		close(fd);
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", name);
		goto fail;
	}
	gzbuffer(c->gz, (unsigned)(c->block_size < 128 * 1024 ? c->block_size : 128 * 1024));
	c->in = c->block;
	*out = c;
	return 0;
fail:
	cman_csv_close(c);
	return rc;
}

int cman_csv_open(const char *path, struct cman_csv **out, struct cman_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: cannot open: %s", path, strerror(errno));
	return cman_csv_open_fd(fd, path, out, err);
}

int cman_csv_open_mem(const char *name, const char *text, size_t len,
		      struct cman_csv **out, struct cman_error *err)
{
	int rc = new_reader(name, out, err);

	if (rc)
		return rc;
	(*out)->in = text;
	(*out)->len = len;
	(*out)->eof = true;
	return 0;
}

const char *cman_csv_name(const struct cman_csv *c)
{
	return c->name;
}

void cman_csv_close(struct cman_csv *c)
{
	if (!c)
		return;
	if (c->gz)
		gzclose_r(c->gz);
	free(c->block);
	free(c->rec);
	free(c->f);
	free(c->offs);
	free(c->name);
	free(c);
}
