/*
 * gen_cli.c - the command lines of `clusterman-sim generate`, `clusterman-sim
 * fit-prices` and the extra formats of `clusterman-sim import`
 * (generate.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cman/catalog.h"
#include "cman/err.h"
#include "cman/fsutil.h"
#include "cman/import.h"
#include "cman/metrics.h"
#include "cman/sim/generate.h"
#include "cman/sim/pricefit.h"
#include "cman/store.h"
#include "cman/time.h"

static const char usage_generate[] =
	"usage: clusterman-sim generate SPEC.yaml [--db OUT.sqlite] [--csv OUT.csv]\n"
	"                               [--json OUT.json.gz] [--seed N] [-q]\n"
	"\n"
	"  --db FILE      write a SQLite metrics store (replaced if it exists)\n"
	"  --csv FILE     write the metrics CSV layout (README \"Metrics CSV\")\n"
	"  --json FILE    write Clusterman's gzipped JSON (a scenario's clusterman_json)\n"
	"  --seed N       override the spec's seed\n"
	"  -q, --quiet    print nothing but errors\n"
	"\n"
	"Generates the series of SPEC.yaml (README \"Synthetic data and real-data\n"
	"import\"): event times from fixed intervals or random processes, values\n"
	"from distributions or recorded history, daily/weekly shapes with noise,\n"
	"spot prices from a mean-reverting model with jumps, fleets that follow a\n"
	"load.  The same spec and seed give the same samples.  At least one output\n"
	"is needed; each appears complete or not at all.\n";

static const char usage_fit[] =
	"usage: clusterman-sim fit-prices METRICS... --market \"<type, az>\" [--out FILE.yaml]\n"
	"                                 [--name NAME] [--format F] [--start T] [--end T]\n"
	"                                 [--dt SECONDS] [--jump-k K] [--min-jump-log L]\n"
	"                                 [--spike-factor F] [--check-days D] [--check-seed S]\n"
	"\n"
	"  METRICS         metrics files: SQLite, Clusterman JSON, metrics CSV, AWS\n"
	"                  describe-spot-price-history JSON or the AWS spot CSV layout\n"
	"                  (detected by content unless --format is given)\n"
	"  --market M      the market whose spot_prices series is fitted\n"
	"  --out FILE      write the YAML snippet there (default: standard output)\n"
	"  --name NAME     the snippet's series name (default: <type>-<az>)\n"
	"  --format F      auto|clusterman|csv|aws-json|aws-csv|sqlite (default auto)\n"
	"  --start, --end  the window fitted (default: first to last sample)\n"
	"  --dt SECONDS    resampling step and the model's grid (default 300)\n"
	"  --jump-k K      jump threshold in robust standard deviations (default 5)\n"
	"  --min-jump-log L  smallest |log move| counted as a jump (default 0.1)\n"
	"  --spike-factor F  spike regime: prices above F x the median are spikes\n"
	"                  (default 2; 0 fits the single-regime jump model)\n"
	"  --check-days D  days of the fitted model simulated for the goodness-of-fit\n"
	"                  check (default 200)\n"
	"  --check-seed S  its seed (default 1)\n"
	"\n"
	"Prints the fitted spot-price model as a series item for a generate spec,\n"
	"with the recorded mean, spread and jump count as comments, then a\n"
	"goodness-of-fit table (recorded against simulated: mean, spread, quantiles,\n"
	"KS distance, spike rate and durations); warns on standard error when the\n"
	"fit is poor.\n";

const char cman_import_cli_usage[] =
	"  --format F           auto (default: by content), clusterman, csv, aws-json,\n"
	"                       aws-csv, timeseries or sqlite\n"
	"  --product P          AWS formats: ProductDescription to keep (default\n"
	"                       Linux/UNIX, '*' for all)\n"
	"  time series (--format timeseries): one time and one value column\n"
	"  --time-column NAME   (default: the first column)\n"
	"  --value-column NAME  (default: the second column)\n"
	"  --scale X            multiply values by X (default 1)\n"
	"  --offset Y           then add Y (default 0)\n"
	"  --start-time T       times are seconds after T (e.g. the Azure trace's t_s)\n"
	"  --key KEY            target metric key, e.g. 'cpus_allocated|cluster=c,pool=p.mesos'\n"
	"  --metric NAME --cluster C --pool P [--scheduler S]\n"
	"                       the same as a pool key\n"
	"  --kind KIND          system_metrics (default), app_metrics or metadata\n";

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "clusterman-sim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

static int fail(const struct cman_error *err)
{
	fprintf(stderr, "clusterman-sim: %s\n", err->msg[0] ? err->msg : cman_strerror(err->code));
	return cman_exit_status(err->code ? err->code : CMAN_EINTERNAL);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || !s[0] || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* generate                                                            */
/* ------------------------------------------------------------------ */

/* Write a SQLite store at a temporary name and rename it into place. */
static int write_db(struct cman_store *mem, const char *path, struct cman_error *err)
{
	struct cman_store *db = NULL;
	char tmp[4200];
	bool in_tx = false;
	int rc;

	/* an empty file made with O_EXCL|O_NOFOLLOW: never a planted link */
	rc = cman_tmp_create(path, tmp, sizeof(tmp), err);
	if (rc < 0)
		return rc;
	close(rc);
	rc = cman_store_sqlite_open(tmp, true, &db, err);
	if (!rc)
		rc = cman_store_begin(db, err);
	in_tx = !rc;
	if (!rc)
		rc = cman_import_store(mem, db, NULL, NULL, err);
	if (!rc) {
		rc = cman_store_commit(db, err);
		in_tx = false;
	}
	if (in_tx)
		cman_store_rollback(db);
	cman_store_free(db);
	if (!rc && rename(tmp, path) != 0)
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot rename into place: %s", path,
				    strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

int cman_generate_main(int argc, char **argv)
{
	struct cman_error err = { 0 };
	struct cman_gen_spec *spec = NULL;
	struct cman_store *mem = NULL;
	struct cman_import_stats st = { 0 };
	const char *specf = NULL, *db = NULL, *csv = NULL, *json = NULL;
	uint64_t seed = 0;
	bool have_seed = false, quiet = false;
	int i, rc;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_generate, stdout);
			return 0;
		} else if (!strcmp(a, "--db")) {
			dst = &db;
		} else if (!strcmp(a, "--csv")) {
			dst = &csv;
		} else if (!strcmp(a, "--json")) {
			dst = &json;
		} else if (!strcmp(a, "--seed")) {
			if (++i >= argc)
				return usage_error(usage_generate, "%s needs a number", a);
			if (parse_u64(argv[i], &seed))
				return usage_error(usage_generate, "--seed '%s': expected a"
						   " non-negative integer", argv[i]);
			have_seed = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = true;
		} else if (a[0] == '-' && a[1]) {
			return usage_error(usage_generate, "unknown option '%s'", a);
		} else if (!specf) {
			specf = a;
		} else {
			return usage_error(usage_generate, "unexpected argument '%s'", a);
		}
		if (dst) {
			if (++i >= argc)
				return usage_error(usage_generate, "%s needs a file", a);
			*dst = argv[i];
		}
	}
	if (!specf)
		return usage_error(usage_generate, "%s", "missing SPEC.yaml");
	if (!db && !csv && !json)
		return usage_error(usage_generate, "%s", "no output: give --db, --csv or --json");
	rc = cman_gen_spec_load(specf, &spec, &err);
	if (rc)
		goto out;
	if (have_seed)
		cman_gen_spec_set_seed(spec, seed);
	rc = cman_store_memory_new(&mem, &err);
	if (!rc)
		rc = cman_gen_run(spec, mem, &st, &err);
	if (!rc && db)
		rc = write_db(mem, db, &err);
	if (!rc && csv)
		rc = cman_metrics_write_csv(mem, csv, &err);
	if (!rc && json)
		rc = cman_metrics_write_json(mem, json, &err);
	if (!rc && !quiet)
		printf("generated %zu samples of %zu series ->%s%s%s%s%s%s\n", st.samples, st.series,
		       db ? " " : "", db ? db : "", csv ? " " : "", csv ? csv : "",
		       json ? " " : "", json ? json : "");
out:
	cman_store_free(mem);
	cman_gen_spec_free(spec);
	return rc ? fail(&err) : 0;
}

/* ------------------------------------------------------------------ */
/* fit-prices                                                          */
/* ------------------------------------------------------------------ */

struct pts {
	struct cman_price_point *v;
	size_t n, cap;
};

struct ipt {
	struct cman_price_point p;
	size_t idx;
};

static int ipt_cmp(const void *a, const void *b)
{
	const struct ipt *x = a, *y = b;

	if (x->p.t != y->p.t)
		return x->p.t < y->p.t ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sort by time, equal times keeping their order (files given later last). */
static int sort_stable(struct pts *p, struct cman_error *err)
{
	struct ipt *w = malloc(p->n * sizeof(*w));

	if (!w)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (size_t k = 0; k < p->n; k++)
		w[k] = (struct ipt){ p->v[k], k };
	qsort(w, p->n, sizeof(*w), ipt_cmp);
	for (size_t k = 0; k < p->n; k++)
		p->v[k] = w[k].p;
	free(w);
	return 0;
}

int cman_fit_prices_main(int argc, char **argv)
{
	struct cman_error err = { 0 };
	struct cman_price_fit_opts o;
	struct cman_price_fit fit;
	struct cman_price_gof gof;
	double check_days = 200;
	unsigned long long check_seed = 1;
	const struct cman_catalog *cat;
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	const char *market = NULL, *outf = NULL, *name = NULL;
	char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX], key[CMAN_KEY_MAX], mk[128], nm[128];
	char region[64];
	enum cman_import_format fmt = CMAN_FMT_AUTO;
	struct pts p = { 0 };
	size_t nf = 0;
	int i, rc = 0, status = 0;
	FILE *fp = NULL;

	if (!files)
		return 1;
	cman_price_fit_opts_init(&o);
	o.spike_factor = 2;
	for (i = 0; i < argc && !status; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_fit, stdout);
			free(files);
			return 0;
		}
		if (a[0] != '-' || !a[1]) {
			files[nf++] = a;
			continue;
		}
		if (!v) {
			status = usage_error(usage_fit, "%s needs a value", a);
			break;
		}
		i++;
		errno = 0;
		if (!strcmp(a, "--market")) {
			market = v;
		} else if (!strcmp(a, "--out") || !strcmp(a, "-o")) {
			outf = v;
		} else if (!strcmp(a, "--name")) {
			name = v;
		} else if (!strcmp(a, "--format")) {
			if (cman_import_format_parse(v, &fmt) || fmt == CMAN_FMT_TIMESERIES)
				status = usage_error(usage_fit, "--format '%s': expected auto,"
						     " clusterman, csv, aws-json, aws-csv or sqlite", v);
		} else if (!strcmp(a, "--start") || !strcmp(a, "--end")) {
			if (cman_time_parse(v, a[2] == 's' ? &o.t0 : &o.t1))
				status = usage_error(usage_fit, "bad time '%s'", v);
		} else if (!strcmp(a, "--dt")) {
			long long d = strtoll(v, &end, 10);

			if (errno || *end || d < 1 || d > 86400)
				status = usage_error(usage_fit, "--dt '%s': expected seconds in"
						     " 1..86400", v);
			o.dt = d;
		} else if (!strcmp(a, "--jump-k") || !strcmp(a, "--min-jump-log")) {
			double d = strtod(v, &end);

			if (errno || *end || !(d >= 0) || d > 1e6 || (a[2] == 'j' && d <= 0))
				status = usage_error(usage_fit, "bad number '%s'", v);
			if (a[2] == 'j')
				o.jump_k = d;
			else
				o.min_jump_log = d;
		} else if (!strcmp(a, "--spike-factor") || !strcmp(a, "--check-days")) {
			double d = strtod(v, &end);

			if (errno || *end || !(d >= 0) || d > 1e5 || (a[2] == 'c' && d <= 0) ||
			    (a[2] == 's' && d > 0 && d <= 1))
				status = usage_error(usage_fit, a[2] == 's'
						     ? "--spike-factor '%s': expected 0 or a factor above 1"
						     : "--check-days '%s': expected days in (0, 100000]", v);
			if (a[2] == 's')
				o.spike_factor = d;
			else
				check_days = d;
		} else if (!strcmp(a, "--check-seed")) {
			check_seed = strtoull(v, &end, 10);
			if (errno || *end || v[0] == '-' || !v[0])
				status = usage_error(usage_fit, "--check-seed '%s': expected a "
						     "non-negative integer", v);
		} else {
			status = usage_error(usage_fit, "unknown option '%s'", a);
		}
	}
	if (!status && !nf)
		status = usage_error(usage_fit, "%s", "missing METRICS file");
	if (!status && !market)
		status = usage_error(usage_fit, "%s", "missing --market \"<type, az>\"");
	if (!status && (cman_market_parse(market, type, sizeof(type), az, sizeof(az)) ||
			cman_region_of_az(az, region, sizeof(region))))
		status = usage_error(usage_fit, "--market '%s': expected \"<type, az>\" with a"
				     " known availability zone", market);
	if (!status && (o.t0 || o.t1) && o.t1 <= o.t0 && o.t1)
		status = usage_error(usage_fit, "%s", "--end must be after --start");
	if (status) {
		free(files);
		return status;
	}
	if (o.t0 && !o.t1)
		o.t1 = INT64_MAX / 2;
	rc = cman_catalog_builtin(&cat, &err);
	if (rc)
		goto out;
	cman_metric_key_spot_price(key, sizeof(key), type, az);
	for (size_t k = 0; k < nf && !rc; k++) {
		struct cman_store *st = NULL;
		struct cman_cursor *cur = NULL;
		struct cman_sample s;

		rc = cman_metrics_open(files[k], fmt, NULL, NULL, cat, &st, &err);
		if (!rc)
			rc = cman_store_open_cursor(st, CMAN_METADATA, key, INT64_MIN, INT64_MAX, 0,
						    &cur, &err);
		while (!rc && (rc = cman_cursor_next(cur, &s, &err)) == 1) {
			if (p.n == p.cap) {
				size_t cap = p.cap ? p.cap * 2 : 1024;
				void *q = realloc(p.v, cap * sizeof(*p.v));

				if (!q) {
					rc = cman_error_set(&err, CMAN_ENOMEM, "out of memory");
					break;
				}
				p.v = q;
				p.cap = cap;
			}
			p.v[p.n].t = s.t;
			p.v[p.n++].price = s.value;
			rc = 0;
		}
		if (rc > 0)
			rc = 0;
		cman_cursor_close(cur);
		cman_store_free(st);
	}
	if (rc)
		goto out;
	if (!p.n) {
		rc = cman_error_set(&err, CMAN_EINVAL, "no spot prices of <%s, %s> in the metrics"
				    " given", type, az);
		goto out;
	}
	/* several files: merge them by time */
	if (nf > 1 && (rc = sort_stable(&p, &err)) != 0)
		goto out;
	if (o.t1 == INT64_MAX / 2)
		o.t1 = p.v[p.n - 1].t;
	rc = cman_price_fit(p.v, p.n, &o, &fit, &err);
	if (!rc)
		rc = cman_price_fit_check(&fit, p.v, p.n, check_seed, check_days, &gof, &err);
	if (rc)
		goto out;
	cman_market_format(mk, sizeof(mk), type, az);
	if (!name) {
		snprintf(nm, sizeof(nm), "%s-%s", type, az);
		name = nm;
	}
	if (outf) {
		fp = fopen(outf, "w");
		if (!fp) {
			rc = cman_error_set(&err, CMAN_EIO, "%s: cannot create: %s", outf,
					    strerror(errno));
			goto out;
		}
	}
	cman_price_fit_print(fp ? fp : stdout, &fit, name, mk);
	cman_price_gof_print(fp ? fp : stdout, &gof);
	if (gof.poor)
		fprintf(stderr, "clusterman-sim: warning: fit-prices %s: poor fit: %s\n", mk,
			gof.why);
	if (fp && fclose(fp) != 0)
		rc = cman_error_set(&err, CMAN_EIO, "%s: write error", outf);
out:
	free(p.v);
	free(files);
	return rc ? fail(&err) : 0;
}

/* ------------------------------------------------------------------ */
/* import's extra formats                                              */
/* ------------------------------------------------------------------ */

void cman_import_cli_init(struct cman_import_cli *c)
{
	memset(c, 0, sizeof(*c));
	c->fmt = CMAN_FMT_AUTO;
	cman_timeseries_opts_init(&c->ts);
	c->scheduler = "mesos";
}

int cman_import_cli_option(struct cman_import_cli *c, int argc, char **argv, int i)
{
	static const char *const opts[] = { "--format", "--product", "--time-column",
		"--value-column", "--scale", "--offset", "--start-time", "--key", "--metric",
		"--cluster", "--pool", "--scheduler", "--kind", NULL };
	const char *a = argv[i], *v;
	char *end;
	int k;

	for (k = 0; opts[k] && strcmp(opts[k], a); k++)
		;
	if (!opts[k])
		return 0;
	if (i + 1 >= argc) {
		fprintf(stderr, "clusterman-sim: %s needs a value\n", a);
		return -1;
	}
	v = argv[i + 1];
	errno = 0;
	switch (k) {
	case 0:
		if (cman_import_format_parse(v, &c->fmt)) {
			fprintf(stderr, "clusterman-sim: --format '%s': expected auto, clusterman,"
				" csv, aws-json, aws-csv, timeseries or sqlite\n", v);
			return -1;
		}
		break;
	case 1: c->product = v; break;
	case 2: c->ts.time_column = v; break;
	case 3: c->ts.value_column = v; break;
	case 4:
	case 5: {
		double d = strtod(v, &end);

		if (errno || *end || !v[0]) {
			fprintf(stderr, "clusterman-sim: %s '%s': expected a number\n", a, v);
			return -1;
		}
		if (k == 4)
			c->ts.scale = d;
		else
			c->ts.offset = d;
		break;
	}
	case 6:
		if (cman_time_parse(v, &c->ts.start_time)) {
			fprintf(stderr, "clusterman-sim: --start-time '%s': expected ISO-8601 or"
				" epoch seconds\n", v);
			return -1;
		}
		c->ts.relative = true;
		break;
	case 7: c->ts.key = v; break;
	case 8: c->metric = v; break;
	case 9: c->cluster = v; break;
	case 10: c->pool = v; break;
	case 11: c->scheduler = v; break;
	case 12:
		if (cman_kind_parse(v, &c->ts.kind)) {
			fprintf(stderr, "clusterman-sim: --kind '%s': expected system_metrics,"
				" app_metrics or metadata\n", v);
			return -1;
		}
		break;
	}
	return 2;
}

int cman_import_cli_file(struct cman_import_cli *c, const char *path,
			 struct cman_store *dst, const struct cman_catalog *cat,
			 struct cman_import_stats *stats, struct cman_error *err)
{
	if (c->fmt == CMAN_FMT_TIMESERIES && c->metric) {
		if (c->ts.key)
			return cman_error_set(err, CMAN_EINVAL, "--key and --metric exclude each"
					      " other");
		if (!c->cluster || !c->pool)
			return cman_error_set(err, CMAN_EINVAL, "--metric needs --cluster and --pool");
		if (cman_metric_key_pool(c->key, sizeof(c->key), c->metric, c->cluster, c->pool,
					 c->scheduler) != 0)
			return cman_error_set(err, CMAN_EINVAL, "--metric: key too long");
		c->ts.key = c->key;
	}
	if (c->fmt != CMAN_FMT_TIMESERIES && (c->ts.key || c->metric || c->ts.time_column ||
					      c->ts.value_column || c->ts.relative))
		return cman_error_set(err, CMAN_EINVAL, "the time-series options need"
				      " --format timeseries");
	if (c->fmt == CMAN_FMT_TIMESERIES && !c->ts.key)
		return cman_error_set(err, CMAN_EINVAL, "--format timeseries needs --key KEY or"
				      " --metric NAME --cluster C --pool P");
	return cman_import_any(path, c->fmt, &c->ts, c->product, dst, cat, stats, err);
}
