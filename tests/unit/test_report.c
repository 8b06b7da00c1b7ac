/* report.html and daily.csv of a run directory (cman_report_write), on the
 * hand-made run of tests/data/report_run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/reports/report.h"

#define RUN CMAN_SOURCE_DIR "/tests/data/report_run"

static const char *const files[] = { "summary.json", "timeseries.csv", "markets.csv",
				     "instances.csv", "decisions.jsonl" };

static void copy_run(char *dir)
{
	size_t i;

	assert_non_null(cman_test_mkdtemp(dir, 64, "cman-report-"));   /* callers' dir[64] */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char src[4096], dst[4096], buf[8192];
		FILE *in, *out;
		size_t n;

		snprintf(src, sizeof(src), "%s/%s", RUN, files[i]);
		snprintf(dst, sizeof(dst), "%s/%s", dir, files[i]);
		in = fopen(src, "rb");
		out = fopen(dst, "wb");
		assert_non_null(in);
		assert_non_null(out);
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			assert_int_equal(fwrite(buf, 1, n, out), n);
		fclose(in);
		fclose(out);
	}
}

static void remove_run(const char *dir)
{
	static const char *const more[] = { "report.html", "daily.csv" };
	char p[4096];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, more[i]);
		unlink(p);
	}
	rmdir(dir);
}

static char *slurp(const char *dir, const char *name, size_t *n_out)
{
	char p[4096], *text;
	FILE *fp;
	long n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	if (n_out)
		*n_out = (size_t)n;
	return text;
}

static bool exists(const char *dir, const char *name)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &sb) == 0;
}

static void test_report_contents(void **state)
{
	struct cman_error err = { 0 };
	char dir[64], *html;

	copy_run(dir);
	assert_int_equal(cman_report_write(dir, CMAN_REPORT_HTML | CMAN_REPORT_CSV, &err), 0);
	assert_true(exists(dir, "daily.csv"));
	html = slurp(dir, "report.html", NULL);
	assert_non_null(html);
	assert_true(!strncmp(html, "<!DOCTYPE html>", 15));
	assert_non_null(strstr(html, "</html>\n"));
	/* the headline numbers: formatted and exact */
	assert_non_null(strstr(html, "data-key=\"total_cost\" data-value=\"72.0\">$72.00<"));
	assert_non_null(strstr(html, "data-key=\"unused_cpus_cost\" data-value=\"12.0\">$12.00<"));
	assert_non_null(strstr(html, "data-key=\"unused_cpus_cost_share\" "
			       "data-value=\"0.166666666667\">16.7% of the total cost<"));
	assert_non_null(strstr(html, "data-key=\"oversubscribed_cpu_hours\" data-value=\"48.0\">"
			       "48 vCPU-hours<"));
	assert_non_null(strstr(html, "data-key=\"peak_cpus\" data-value=\"16.0\">16 vCPUs<"));
	assert_non_null(strstr(html, "data-key=\"instances_interrupted\" data-value=\"1\">1<"));
	/* the scenario */
	assert_non_null(strstr(html, "2017-12-01 00:00 to 2017-12-03 00:00 UTC (2 days)"));
	assert_non_null(strstr(html, "autoscaler (4 runs)"));
	/* warnings are escaped */
	assert_non_null(strstr(html, "a &lt;b&gt;warning&lt;/b&gt; with markup &amp; an"));
	assert_null(strstr(html, "<b>warning</b>"));
	/* markets, heatmaps, decisions */
	assert_non_null(strstr(html, "&lt;c5.xlarge, us-west-2a&gt;</td><td class=\"n\" "
			       "data-value=\"48\">$48.00</td>"));
	assert_non_null(strstr(html, "id=\"hm-cpus\""));
	assert_non_null(strstr(html, "id=\"hm-target\""));
	assert_non_null(strstr(html, "Autoscaler decisions"));
	assert_non_null(strstr(html, "4 runs recorded in decisions.jsonl: 1 raised the target, 1 "
			       "lowered it, 2 kept it; 1 instance chosen for termination"));
	assert_non_null(strstr(html, "<td>scale down</td>"));
	/* self-contained: nothing fetched from anywhere */
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "<link"));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	/* no path of the run directory in the page */
	assert_null(strstr(html, dir));
	free(html);
	remove_run(dir);
}

static void test_deterministic(void **state)
{
	struct cman_error err = { 0 };
	char a[64], b[64], *h1, *h2, *h3, *d1, *d2;
	size_t n1, n2, n3, m1, m2;

	copy_run(a);
	copy_run(b);
	assert_int_equal(cman_report_write(a, CMAN_REPORT_HTML | CMAN_REPORT_CSV, &err), 0);
	h1 = slurp(a, "report.html", &n1);
	d1 = slurp(a, "daily.csv", &m1);
	assert_int_equal(cman_report_write(a, CMAN_REPORT_HTML | CMAN_REPORT_CSV, &err), 0);
	h2 = slurp(a, "report.html", &n2);
	d2 = slurp(a, "daily.csv", &m2);
	assert_int_equal(cman_report_write(b, CMAN_REPORT_HTML, &err), 0);
	h3 = slurp(b, "report.html", &n3);
	assert_int_equal(n1, n2);
	assert_memory_equal(h1, h2, n1);
	assert_int_equal(n1, n3);
	assert_memory_equal(h1, h3, n1);   /* another folder, the same page */
	assert_int_equal(m1, m2);
	assert_memory_equal(d1, d2, m1);
	assert_false(exists(b, "daily.csv"));   /* only what was asked */
	free(h1);
	free(h2);
	free(h3);
	free(d1);
	free(d2);
	remove_run(a);
	remove_run(b);
}

static void test_without_optional_files(void **state)
{
	struct cman_error err = { 0 };
	char dir[64], p[128], *html;

	copy_run(dir);
	snprintf(p, sizeof(p), "%s/markets.csv", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/decisions.jsonl", dir);
	unlink(p);
	assert_int_equal(cman_report_write(dir, CMAN_REPORT_HTML, &err), 0);
	html = slurp(dir, "report.html", NULL);
	assert_non_null(html);
	assert_null(strstr(html, "Autoscaler decisions"));
	assert_non_null(strstr(html, "No markets.csv in the run directory."));
	assert_non_null(strstr(html, "Warnings (2)"));
	free(html);
	remove_run(dir);
}

static void test_failures_write_nothing(void **state)
{
	struct cman_error err = { 0 };
	char dir[64], p[128];
	FILE *fp;

	copy_run(dir);
	snprintf(p, sizeof(p), "%s/timeseries.csv", dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("time,cpus\n", fp);
	fclose(fp);
	assert_int_equal(cman_report_write(dir, CMAN_REPORT_HTML | CMAN_REPORT_CSV, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "timeseries.csv:1: no column"));
	assert_false(exists(dir, "report.html"));
	assert_false(exists(dir, "daily.csv"));
	remove_run(dir);
	assert_int_equal(cman_report_write("/nonexistent/run", CMAN_REPORT_HTML, &err),
			 CMAN_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_contents),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_without_optional_files),
		cmocka_unit_test(test_failures_write_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
