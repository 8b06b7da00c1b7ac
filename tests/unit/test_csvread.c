/*
 * Tests for cman/csvread.h: RFC 4180 quoting, embedded commas, quotes and
 * line breaks, CRLF, byte order marks, blank lines, errors with line and
 * column, and gzip-compressed files read across block boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "cman/csvread.h"
#include "cman/err.h"
#include "cman_test.h"

/*
 * Render every record of text as "[f1|f2|...]@LINE:COL" per record (the
 * first field's position), quoted fields as {..}; an error as "ERR <msg>".
 */
static void render(const char *text, size_t len, char *out, size_t n)
{
	struct cman_csv *c = NULL;
	struct cman_error err = { 0 };
	const struct cman_csv_field *f;
	size_t nf, used = 0;
	int rc;

	out[0] = '\0';
	assert_int_equal(cman_csv_open_mem("t.csv", text, len, &c, &err), 0);
	while ((rc = cman_csv_next(c, &f, &nf, &err)) == 1) {
		used += (size_t)snprintf(out + used, n - used, "[");
		for (size_t i = 0; i < nf; i++) {
			assert_int_equal(strlen(f[i].s), f[i].len);
			used += (size_t)snprintf(out + used, n - used, "%s%s%s%s", i ? "|" : "",
						 f[i].quoted ? "{" : "", f[i].s, f[i].quoted ? "}" : "");
		}
		used += (size_t)snprintf(out + used, n - used, "]@%d:%d", f[0].line, f[0].col);
	}
	if (rc < 0)
		snprintf(out + used, n - used, "ERR %s", err.msg);
	cman_csv_close(c);
}

struct ccase {
	const char *text;
	const char *want;
};

static const struct ccase cases[] = {
	/* plain fields, with and without a final line break */
	{ "a,b,c\n1,2,3", "[a|b|c]@1:1[1|2|3]@2:1" },
	{ "a,b,c\n", "[a|b|c]@1:1" },
	/* quoting: embedded comma, doubled quote, empty quoted field */
	{ "x,\"b,c\",\"d\"\"e\",\"\"\n", "[x|{b,c}|{d\"e}|{}]@1:1" },
	{ "\"\"\n", "[{}]@1:1" },
	/* an embedded line break (LF and CRLF) stays in the field; lines count on */
	{ "\"one\ntwo\",z\nnext,1\n", "[{one\ntwo}|z]@1:1[next|1]@3:1" },
	{ "\"one\r\ntwo\",z\r\nnext,1\r\n", "[{one\r\ntwo}|z]@1:1[next|1]@3:1" },
	/* CRLF and lone CR end records; blank lines (any ending) are skipped */
	{ "a,b\r\nc,d\r\n", "[a|b]@1:1[c|d]@2:1" },
	{ "a\rb\r", "[a]@1:1[b]@2:1" },
	{ "a\n\n\r\n\nb\n", "[a]@1:1[b]@5:1" },
	/* empty fields, trailing comma */
	{ ",\n,,x,\n", "[|]@1:1[||x|]@2:1" },
	/* a byte order mark is skipped (columns count from after it) */
	{ "\xef\xbb\xbfh1,h2\nv,w\n", "[h1|h2]@1:1[v|w]@2:1" },
	/* ... only at the very start */
	{ "a\n\xef\xbb\xbf" "b\n", "[a]@1:1[\xef\xbb\xbf" "b]@2:1" },
	/* spaces are data */
	{ " a , b \n", "[ a | b ]@1:1" },
	/* errors, with the position of what is wrong */
	{ "a,\"bc\nd\n", "ERR t.csv:1:3: unterminated quoted field" },
	{ "ok\n\"ab\"x,1\n", "[ok]@1:1ERR t.csv:2:5: expected ',' or the end of the line after a quoted field" },
	{ "ab\"c,1\n", "ERR t.csv:1:3: '\"' inside an unquoted field" },
	{ "a,b\nc,\"x\ny\" ,d\n", "[a|b]@1:1ERR t.csv:3:3: expected ','" },
	{ "\"x\ny\nz\",\"\"\"\nw", "ERR t.csv:3:4: unterminated quoted field" },
};

static void test_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[1024];

		render(cases[i].text, strlen(cases[i].text), got, sizeof(got));
		if (strncmp(got, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu:\n got  '%s'\n want '%s'", i, got, cases[i].want);
	}
}

static void test_nul_and_columns(void **state)
{
	const char text[] = "a,b\nxy,z\0w\n";
	const char text2[] = "\"a\nbc\",d,\"e\"\n";
	struct cman_csv *c = NULL;
	struct cman_error err = { 0 };
	const struct cman_csv_field *f;
	size_t nf;
	char got[256];

	render(text, sizeof(text) - 1, got, sizeof(got));
	assert_string_equal(got, "[a|b]@1:1ERR t.csv:2:5: NUL byte in the input");
	/* fields after an embedded line break: line 2, columns of line 2 */
	assert_int_equal(cman_csv_open_mem("t.csv", text2, sizeof(text2) - 1, &c, &err), 0);
	assert_int_equal(cman_csv_next(c, &f, &nf, &err), 1);
	assert_int_equal(nf, 3);
	assert_int_equal(f[0].line, 1);
	assert_int_equal(f[0].col, 1);
	assert_int_equal(f[1].line, 2);
	assert_int_equal(f[1].col, 5);   /* bc",d: d is the 5th byte of line 2 */
	assert_int_equal(f[2].line, 2);
	assert_int_equal(f[2].col, 7);
	assert_true(f[2].quoted);
	assert_int_equal(cman_csv_next(c, &f, &nf, &err), 0);
	assert_int_equal(cman_csv_next(c, &f, &nf, &err), 0);   /* stays at the end */
	cman_csv_close(c);
}

static void test_empty_input(void **state)
{
	char got[64];

	render("", 0, got, sizeof(got));
	assert_string_equal(got, "");
	render("\n\n\r\n", 4, got, sizeof(got));
	assert_string_equal(got, "");
}

static void test_record_cap(void **state)
{
	size_t n = CMAN_CSV_RECORD_MAX + 100;
	char *text = malloc(n);
	char got[256];

	assert_non_null(text);
	memset(text, 'x', n);
	text[0] = '"';   /* an opening quote never closed */
	render(text, n, got, sizeof(got));
	assert_string_equal(got, "ERR t.csv:1:1: record longer than 1048576 bytes (an unterminated"
			    " quoted field?)");
	free(text);
}

/* A gzip file and the same text plain: records cross the 256 KiB blocks. */
static void test_files(void **state)
{
	char dir[256], gzp[300], plain[300];
	size_t rows = 40000, total[2] = { 0, 0 };
	struct cman_error err = { 0 };
	gzFile gz;
	FILE *fp;

	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman_test_csvread_"));
	snprintf(gzp, sizeof(gzp), "%s/t.csv.gz", dir);
	snprintf(plain, sizeof(plain), "%s/t.csv", dir);
	gz = gzopen(gzp, "wb");
	fp = fopen(plain, "wb");
	assert_non_null(gz);
	assert_non_null(fp);
	gzputs(gz, "id,\"text\"\r\n");
	fputs("id,\"text\"\r\n", fp);
	for (size_t i = 0; i < rows; i++) {
		char line[128];

		snprintf(line, sizeof(line), "%zu,\"row %zu, with \"\"quotes\"\"\nand a break\"\r\n",
			 i, i);
		gzputs(gz, line);
		fputs(line, fp);
	}
	assert_int_equal(gzclose(gz), Z_OK);
	assert_int_equal(fclose(fp), 0);
	for (int k = 0; k < 2; k++) {
		struct cman_csv *c = NULL;
		const struct cman_csv_field *f;
		size_t nf, i = 0;
		int rc;

		assert_int_equal(cman_csv_open(k ? plain : gzp, &c, &err), 0);
		assert_int_equal(cman_csv_next(c, &f, &nf, &err), 1);
		assert_string_equal(f[1].s, "text");
		while ((rc = cman_csv_next(c, &f, &nf, &err)) == 1) {
			char want[128];

			assert_int_equal(nf, 2);
			snprintf(want, sizeof(want), "row %zu, with \"quotes\"\nand a break", i);
			assert_string_equal(f[1].s, want);
			assert_int_equal(f[0].line, 2 + 2 * (int)i);
			assert_int_equal(f[1].col, (int)strlen(f[0].s) + 2);
			i++;
		}
		assert_int_equal(rc, 0);
		total[k] = i;
		cman_csv_close(c);
	}
	assert_int_equal(total[0], rows);
	assert_int_equal(total[1], rows);
	/* a truncated gzip file is an error, not a short read */
	{
		FILE *in = fopen(gzp, "rb");
		char cut[300], buf[4096];
		size_t got = fread(buf, 1, sizeof(buf), in);
		struct cman_csv *c = NULL;
		const struct cman_csv_field *f;
		size_t nf;
		int rc;

		fclose(in);
		snprintf(cut, sizeof(cut), "%s/cut.csv.gz", dir);
		fp = fopen(cut, "wb");
		fwrite(buf, 1, got, fp);
		fclose(fp);
		assert_int_equal(cman_csv_open(cut, &c, &err), 0);
		while ((rc = cman_csv_next(c, &f, &nf, &err)) == 1)
			;
		assert_int_equal(rc, CMAN_EINVAL);
		assert_non_null(strstr(err.msg, "truncated gzip data"));
		cman_csv_close(c);
		unlink(cut);
	}
	assert_int_equal(cman_csv_open("/nonexistent/x.csv", &(struct cman_csv *){ NULL }, &err),
			 CMAN_EINVAL);
	assert_string_equal(err.msg, "/nonexistent/x.csv: cannot open: No such file or directory");
	unlink(gzp);
	unlink(plain);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_nul_and_columns),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_record_cap),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
