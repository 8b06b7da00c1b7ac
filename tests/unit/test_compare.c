/* Comparing runs (reports/src/compare.c) on hand-made run directories with
 * known differences. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/reports/compare.h"

static char root[128];

/* A run of n steps: constant cpus, cost per step `cost`; named name. */
static void make_run(const char *sub, const char *name, long long start, int step, int n,
		     double cpus, double cost)
{
	char dir[256], p[300];
	FILE *fp;
	int i;

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	mkdir(dir, 0755);
	snprintf(p, sizeof(p), "%s/summary.json", dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fprintf(fp, "{\"name\": \"%s\", \"start_time\": %lld, \"end_time\": %lld, "
		"\"step_seconds\": %d, \"billing\": \"per-second\", \"total_cost\": %.17g, "
		"\"unused_cpus_cost\": %.17g, \"mean_cpus\": %.17g, \"peak_cpus\": %.17g, "
		"\"running_cpu_hours\": %.17g, \"cost_per_cpu_hour\": %.17g, "
		"\"instances_launched\": %d, \"warnings\": []}\n", name, start,
		start + (long long)step * n, step, cost * n, cost * n / 2, cpus, cpus,
		cpus * step * n / 3600.0, cpus > 0 ? cost * n / (cpus * step * n / 3600.0) : 0,
		(int)cpus);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/timeseries.csv", dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("time,cpus,cpus_allocated,unused_cpus,cost,unused_cpus_cost,cost_per_cpu,"
	      "oversubscribed,target_capacity,fulfilled_capacity\n", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "%lld,%g,%g,%g,%.17g,%.17g,1,0,,%g\n", start + (long long)i * step, cpus,
			cpus / 2, cpus / 2, cost, cost / 2, i == 0 ? 0.0 : cpus);
	fclose(fp);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *text;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return text;
}

static int setup(void **state)
{
	if (!cman_test_mkdtemp(root, sizeof(root), "cman-compare-"))
		return -1;
	/* the worked example: per-second $3.50 and per-hour $3.00 over 2 h */
	make_run("a", "worked", 1512086400, 600, 12, 2, 3.5 / 12);
	make_run("b", "worked", 1512086400, 600, 12, 2, 3.0 / 12);
	make_run("c", "bigger", 1512086400, 600, 12, 4, 7.0 / 12);
	make_run("late", "late", 1512086400 + 86400, 600, 12, 2, 0.25);
	make_run("coarse", "coarse", 1512086400, 1200, 6, 2, 0.5);
	make_run("zero", "zero", 1512086400, 600, 12, 0, 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t n, const char *sub)
{
	snprintf(out, n, "%s/%s", root, sub);
}

static void test_two_runs(void **state)
{
	struct cman_compare_opts o = { CMAN_COMPARE_SUB, false, NULL };
	struct cman_error err = { 0 };
	char a[128], b[128], out[128], p[160], *csv, *html, *series;
	const char *runs[2];

	path_of(a, sizeof(a), "a");
	path_of(b, sizeof(b), "b");
	path_of(out, sizeof(out), "out-ab");
	runs[0] = a;
	runs[1] = b;
	assert_int_equal(cman_compare_write(runs, 2, out, &o, &err), 0);
	snprintf(p, sizeof(p), "%s/compare.csv", out);
	csv = slurp(p);
	assert_non_null(csv);
	assert_true(!strncmp(csv, "metric,unit,run,value,difference,relative_difference,ratio\n", 59));
	/* same names: labels get the folders' names */
	assert_non_null(strstr(csv, "total_cost,$,worked (a),3.5,0,0,1\n"));
	assert_non_null(strstr(csv, "total_cost,$,worked (b),3,-0.5,-0.1428571429,0.8571428571\n"));
	assert_non_null(strstr(csv, "unused_cpus_cost,$,worked (b),1.5,-0.25,-0.1428571429,0.8571428571\n"));
	assert_non_null(strstr(csv, "mean_cpus,vCPUs,worked (b),2,0,0,1\n"));
	free(csv);
	snprintf(p, sizeof(p), "%s/compare.html", out);
	html = slurp(p);
	assert_non_null(html);
	assert_non_null(strstr(html, "<tr data-metric=\"total_cost\"><td>Total cost</td>"
			       "<td class=\"n\" data-value=\"3.5\">$3.50</td><td class=\"n\" "
			       "data-value=\"3\">$3.00</td><td class=\"n neg\" data-diff=\"-0.5\">"
			       "-$0.50</td><td class=\"n neg\" data-rel=\"-0.142857142857\">-14.3%"));
	assert_non_null(strstr(html, "id=\"cmp-cost\""));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	free(html);
	snprintf(p, sizeof(p), "%s/series.csv", out);
	series = slurp(p);
	assert_non_null(series);
	assert_true(!strncmp(series, "time,offset_seconds,run,cpus,cpus_allocated,unused_cpus,"
			     "cost,unused_cpus_cost,cost_per_cpu,oversubscribed,target_capacity,"
			     "fulfilled_capacity\n1512086400,0,worked (b),0,0,0,-0.04166666667,"
			     "-0.02083333333,0,0,,0\n", 192));
	free(series);
	/* the ratio: 3.0 / 3.5 per step */
	o.op = CMAN_COMPARE_DIV;
	path_of(out, sizeof(out), "out-ab-div");
	assert_int_equal(cman_compare_write(runs, 2, out, &o, &err), 0);
	snprintf(p, sizeof(p), "%s/series.csv", out);
	series = slurp(p);
	assert_non_null(strstr(series, "\n1512086400,0,worked (b),1,1,1,0.8571428571,0.8571428571,"
			       "1,,,\n"));   /* 0/0 is empty, so is a missing target */
	assert_non_null(strstr(series, "\n1512086400,0,worked (b),1,1,1,"));
	free(series);
}

static void test_many_runs(void **state)
{
	struct cman_compare_opts o = { CMAN_COMPARE_SUB, false, NULL };
	struct cman_error err = { 0 };
	char a[128], b[128], c[128], z[128], out[128], p[160], *csv, *series;
	const char *runs[4];
	int lines = 0;
	char *q;

	path_of(a, sizeof(a), "a");
	path_of(b, sizeof(b), "b");
	path_of(c, sizeof(c), "c");
	path_of(z, sizeof(z), "zero");
	runs[0] = a;
	runs[1] = b;
	runs[2] = c;
	runs[3] = z;
	path_of(out, sizeof(out), "out-many");
	if (cman_compare_write(runs, 4, out, &o, &err))
		fail_msg("%s", err.msg);
	snprintf(p, sizeof(p), "%s/compare.csv", out);
	csv = slurp(p);
	assert_non_null(strstr(csv, "total_cost,$,bigger,7,3.5,1,2\n"));
	assert_non_null(strstr(csv, "total_cost,$,zero,0,-3.5,-1,0\n"));
	free(csv);
	snprintf(p, sizeof(p), "%s/series.csv", out);
	series = slurp(p);
	for (q = series; (q = strchr(q, '\n')); q++)
		lines++;
	assert_int_equal(lines, 1 + 12 * 3);   /* header + 12 steps x 3 candidates */
	free(series);
	/* a zero baseline: relative differences are empty */
	runs[0] = z;
	runs[1] = a;
	path_of(out, sizeof(out), "out-zero");
	assert_int_equal(cman_compare_write(runs, 2, out, &o, &err), 0);
	snprintf(p, sizeof(p), "%s/compare.csv", out);
	csv = slurp(p);
	assert_non_null(strstr(csv, "total_cost,$,worked,3.5,3.5,,\n"));
	assert_non_null(strstr(csv, "instances_terminated,instances,worked,0,0,0,1\n"));
	free(csv);
}

static void test_refusals(void **state)
{
	struct cman_compare_opts o = { CMAN_COMPARE_SUB, false, NULL };
	struct cman_error err = { 0 };
	char a[128], late[128], coarse[128], out[128], p[160];
	const char *runs[2];
	struct stat sb;
	char *series;

	path_of(a, sizeof(a), "a");
	path_of(late, sizeof(late), "late");
	path_of(coarse, sizeof(coarse), "coarse");
	path_of(out, sizeof(out), "out-refused");
	runs[0] = a;
	runs[1] = late;
	assert_int_equal(cman_compare_write(runs, 2, out, &o, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "different windows"));
	assert_non_null(strstr(err.msg, "2017-12-01 00:00 to 2017-12-01 02:00 UTC"));
	assert_non_null(strstr(err.msg, "2017-12-02 00:00 to 2017-12-02 02:00 UTC"));
	assert_non_null(strstr(err.msg, "--allow-different-windows"));
	assert_int_equal(stat(out, &sb), -1);   /* nothing written */
	/* allowed: step by step from each start */
	o.allow_different_windows = true;
	assert_int_equal(cman_compare_write(runs, 2, out, &o, &err), 0);
	snprintf(p, sizeof(p), "%s/series.csv", out);
	series = slurp(p);
	assert_non_null(strstr(series, "\n1512087000,600,late,0,0,0,-0.04166666667,"));
	free(series);
	/* different steps: always refused */
	runs[1] = coarse;
	assert_int_equal(cman_compare_write(runs, 2, out, &o, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "step_seconds 1200 but the baseline"));
	/* one run is not a comparison */
	assert_int_equal(cman_compare_write(runs, 1, out, &o, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "at least two runs"));
	/* a run that is not one */
	runs[1] = "/nonexistent/run";
	assert_int_equal(cman_compare_write(runs, 2, out, &o, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "/nonexistent/run/summary.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_runs),
		cmocka_unit_test(test_many_runs),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
