/*
 * clusterman-sim: the simulator's command line (INTERFACE.md "Commands").
 */
#include <errno.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cman/catalog.h"
#include "cman/err.h"
#include "cman/import.h"
#include "cman/reports/compare.h"
#include "cman/reports/report.h"
#include "cman/rng.h"
#include "cman/runfiles.h"
#include "cman/sim/generate.h"
#include "cman/sim/importcheck.h"
#include "cman/sim/promote.h"
#include "cman/sim/scenario.h"
#include "cman/sim/sim.h"
#include "cman/sim/sweep.h"
#include "cman/store.h"
#include "cman/version.h"
#include "cman/live/dynamodb.h"

static const char usage_main[] =
	"usage: clusterman-sim COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  run SCENARIO.yaml [-o DIR] [--seed N] [--set KEY=VALUE]... [-q]\n"
	"                       run one simulation and write a run directory\n"
	"  import FILE... --db STORE [--format F] [time-series options]\n"
	"                       load Clusterman gzipped-JSON or CSV metrics files,\n"
	"                       AWS spot-price histories or a time-series CSV into\n"
	"                       the embedded store\n"
	"  inspect STORE [--prefix P]\n"
	"                       list a metrics store's series: samples, spans, ranges\n"
	"  generate SPEC.yaml [--db OUT.sqlite] [--csv OUT.csv] [--json OUT.json.gz]\n"
	"                       synthetic recorded metrics from a spec\n"
	"  fit-prices METRICS... --market \"<type, az>\" [--out FILE.yaml]\n"
	"                       fit the spot-price model to a recorded price history\n"
	"  report RUN_DIR [--html] [--csv]\n"
	"                       (re)write the reports of a run directory\n"
	"  compare BASELINE CANDIDATE... -o DIR [--op sub|div]\n"
	"          [--allow-different-windows]\n"
	"                       compare runs: headline table, overlaid charts, series\n"
	"  sweep SCENARIO.yaml --grid KEY=V1,V2,... [--replicas N] [-j JOBS] [-o DIR]\n"
	"                       runs over a grid of overrides x seeds: sweep.csv/html\n"
	"  promote RUN_DIR --to CONFIG_DIR [--cluster C] [--tag KEY] [--force]\n"
	"                       write a run's pool configuration as a live pool file\n"
	"  backtest DECISIONS.jsonl --metrics STORE --pool-file FILE -o DIR\n"
	"                       simulate the window of live decision records and\n"
	"                       report the drift of targets and costs\n"
	"\n"
	"  --version            print the version and exit\n"
	"\n"
	"Run 'clusterman-sim COMMAND --help' for a command's options.\n"
	"Exit status: 0 success, 2 bad usage/configuration/input, 1 other failure.\n";

static const char usage_run[] =
	"usage: clusterman-sim run SCENARIO.yaml [-o DIR] [--seed N] [--set KEY=VALUE]... [-q]\n"
	"\n"
	"  -o, --output DIR   run directory, relative to the working directory\n"
	"                     (default: the scenario's output.dir, relative to the\n"
	"                     scenario file's folder, else out/<name> in the\n"
	"                     working directory)\n"
	"  --seed N           random seed (overrides the scenario's seed)\n"
	"  --set KEY=VALUE    override a scenario key by its dotted path, e.g.\n"
	"                     --set simulation.billing=per-hour (repeatable); KEY[N]\n"
	"                     indexes a list: --set resource_groups[0].spot_fleet.\n"
	"                     AllocationStrategy=lowestPrice\n"
	"  -q, --quiet        print nothing but errors\n"
	"\n"
	"Writes summary.json, timeseries.csv, instances.csv, markets.csv,\n"
	"scenario.yaml (the effective scenario) and manifest.json, then the\n"
	"reports of output.reports (daily.csv, report.html), into a new folder\n"
	"beside the run directory that then replaces it as a whole.  A second run\n"
	"into a directory being written is refused (exit 2); SIGINT/SIGTERM remove\n"
	"the unfinished run and leave the previous one as it was.  The same\n"
	"scenario and seed give byte-identical files, except for summary.json's\n"
	"wall_seconds.\n"
	"\n"
	"Prints how well each recorded series covers the window (warnings past\n"
	"simulation.coverage.warn_fraction) and stretches of starvation; a series\n"
	"the policy needs with no sample in the window is an error (exit 2).\n";

static const char usage_import[] =
	"usage: clusterman-sim import FILE... --db STORE [--format F] [OPTIONS]\n"
	"\n"
	"Loads each FILE (Clusterman gzipped JSON, detected by its content, or the\n"
	"metrics CSV layout of the README) into the metrics store STORE, creating\n"
	"it if needed: an SQLite file, or dynamodb://TABLE_PREFIX (Clusterman's\n"
	"DynamoDB tables <prefix>system_metrics, ...; endpoint, region and\n"
	"credentials from the AWS_* variables).  Into SQLite all files go in one\n"
	"transaction: on any error nothing is written.  DynamoDB has no such\n"
	"transaction: a failed import may leave the batches already sent.\n"
	"Prints each imported series' samples, time span and value range.  A\n"
	"sample at a time where the store already held one for the same series\n"
	"(the same rows imported twice) is refused (exit 2).  A CSV that is a\n"
	"plain time series needs --format timeseries (the error says so).\n"
	"\n";

static const char usage_report[] =
	"usage: clusterman-sim report RUN_DIR [--html] [--csv]\n"
	"\n"
	"  --html   write report.html (one self-contained page)\n"
	"  --csv    write daily.csv (the daily roll-up)\n"
	"\n"
	"Without --html or --csv both are written.  The reports are built from the\n"
	"run directory's files alone (summary.json, timeseries.csv, markets.csv,\n"
	"instances.csv, decisions.jsonl); the same files give identical reports.\n"
	"A run directory whose files do not all belong to one run (manifest.json)\n"
	"is refused with exit status 2.\n";

static const char usage_compare[] =
	"usage: clusterman-sim compare BASELINE CANDIDATE... -o DIR [--op sub|div]\n"
	"                              [--allow-different-windows]\n"
	"\n"
	"  -o, --output DIR            where compare.html, compare.csv, settings.csv and\n"
	"                              series.csv go\n"
	"  --op sub|div                series.csv holds candidate - baseline (sub, the\n"
	"                              default) or candidate / baseline (div)\n"
	"  --allow-different-windows   compare runs of different windows, step by step\n"
	"                              from each run's start\n"
	"\n"
	"The first run is the baseline.  Runs whose windows (start_time, end_time)\n"
	"differ are refused unless --allow-different-windows is given; runs with\n"
	"different step_seconds are always refused, as is a run directory whose\n"
	"files do not all belong to one run.  The settings that differ between the\n"
	"runs' scenario.yaml are printed, written to settings.csv and label the\n"
	"runs' series.\n";

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const struct cman_error *err)
{
	fprintf(stderr, "clusterman-sim: %s\n", err->msg[0] ? err->msg : cman_strerror(err->code));
	return cman_exit_status(err->code ? err->code : CMAN_EINTERNAL);
}

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "clusterman-sim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

static int cmd_run(int argc, char **argv)
{
	struct cman_error err = { 0 };
	struct cman_scenario sc;
	struct cman_sim *sim = NULL;
	struct cman_sim_reports *reports = NULL;
	struct cman_run_out ro = { .lock_fd = -1 };
	const char *scenario = NULL, *outdir = NULL;
	const char **sets = calloc((size_t)argc + 1, sizeof(*sets));
	char seedset[64];
	size_t n_sets = 0;
	bool quiet = false, loaded = false;
	double t0;
	int i, rc = 0, status;

	if (!sets)
		return 1;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_run, stdout);
			free(sets);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= argc) {
				free(sets);
				return usage_error(usage_run, "%s needs a folder", a);
			}
			outdir = argv[i];
		} else if (!strcmp(a, "--seed")) {
			char *end;
			unsigned long long v;

			if (++i >= argc) {
				free(sets);
				return usage_error(usage_run, "%s needs a number", a);
			}
			errno = 0;
			v = strtoull(argv[i], &end, 10);
			if (errno || *end || !argv[i][0] || argv[i][0] == '-') {
				free(sets);
				return usage_error(usage_run,
						   "--seed '%s': expected a non-negative integer",
						   argv[i]);
			}
			snprintf(seedset, sizeof(seedset), "seed=%llu", v);
			sets[n_sets++] = seedset;   /* applied after the --set overrides */
		} else if (!strcmp(a, "--set")) {
			if (++i >= argc) {
				free(sets);
				return usage_error(usage_run, "%s needs KEY=VALUE", a);
			}
			sets[n_sets++] = argv[i];
		} else if (!strncmp(a, "--set=", 6)) {
			sets[n_sets++] = a + 6;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = true;
		} else if (a[0] == '-' && a[1]) {
			free(sets);
			return usage_error(usage_run, "unknown option '%s'", a);
		} else if (!scenario) {
			scenario = a;
		} else {
			free(sets);
			return usage_error(usage_run, "unexpected argument '%s'", a);
		}
	}
	if (!scenario) {
		free(sets);
		return usage_error(usage_run, "%s", "missing SCENARIO.yaml");
	}
	/* --seed wins over any --set seed=: move it last */
	for (i = 0; i < (int)n_sets; i++) {
		if (sets[i] == seedset && i != (int)n_sets - 1) {
			memmove(&sets[i], &sets[i + 1], (n_sets - (size_t)i - 1) * sizeof(*sets));
			sets[n_sets - 1] = seedset;
			break;
		}
	}
	t0 = now_seconds();
	rc = cman_scenario_load(scenario, sets, n_sets, &sc, &err);
	if (rc)
		goto out;
	loaded = true;
	if (!outdir)
		outdir = sc.output_dir;
	/* one writer per run directory; the run is written whole into a
	 * staging folder beside it and swapped in (cman/runfiles.h) */
	rc = cman_run_lock(&ro, outdir, &err);
	if (rc)
		goto out;
	rc = cman_sim_new(&sc, quiet ? NULL : stderr, &sim, &err);
	/* the reports' tables filled as timeseries.csv is written (issue 12) */
	if (!rc && (sc.report_csv || sc.report_html))
		rc = cman_sim_keep_tables(sim, &err);
	/* nothing reads the per-step records after the loop but the writers
	 * of timeseries.csv (the reports' tables come from them): its thread
	 * gives their memory back as it goes (issue 12) */
	if (!rc)
		cman_sim_stream_steps(sim);
	/* the staging folder before the run: timeseries.csv is written there
	 * as the run goes (issue 12) */
	if (!rc)
		rc = cman_run_stage(&ro, false, &err);
	if (!rc)
		rc = cman_sim_write_start(sim, ro.stage, &err);
	if (!rc)
		rc = cman_sim_run(sim, &err);
	/* the reports from the run's memory, not from its files parsed again
	 * (`clusterman-sim report` reads the files; the bytes are the same),
	 * made on a thread while the files are written (issue 12) */
	if (!rc && (sc.report_csv || sc.report_html))
		rc = cman_sim_reports_start(sim, (sc.report_csv ? CMAN_REPORT_CSV : 0) |
					    (sc.report_html ? CMAN_REPORT_HTML : 0), &reports, &err);
	if (!rc)
		rc = cman_sim_write_outputs(sim, ro.stage, now_seconds() - t0, &err);
	if (reports) {
		int rrc = cman_sim_reports_finish(reports, rc ? NULL : ro.stage, &err);

		rc = rc ? rc : rrc;
	}
	if (!rc)
		rc = cman_run_commit(&ro, &err);
	if (!rc && !quiet) {
		const struct cman_sim_totals *t = cman_sim_totals(sim);

		printf("%s: total cost $%.2f (unused CPUs $%.2f), mean %.1f vCPUs, "
		       "%" PRIu64 " instances, %" PRIu64 " events, %zu warnings -> %s\n",
		       sc.name, t->total_cost, t->unused_cpus_cost, t->mean_cpus,
		       t->instances_launched, t->events_processed, t->n_warnings, outdir);
	}
out:
	cman_sim_free(sim);   /* its thread stops before the staging folder goes */
	cman_run_release(&ro);
	status = rc ? fail(&err) : 0;
	if (loaded)
		cman_scenario_release(&sc);
	free(sets);
	return status;
}

static int cmd_import(int argc, char **argv)
{
	struct cman_error err = { 0 };
	const struct cman_catalog *cat;
	struct cman_store *st = NULL;
	struct cman_import_stats total = { 0 };
	const char *db = NULL;
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	size_t n_files = 0, k;
	bool created = false, in_tx = false;
	struct stat sb;
	struct cman_import_cli icli;
	struct cman_import_check *chk = NULL;
	int i, rc, used;

	if (!files)
		return 1;
	cman_import_cli_init(&icli);
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_import, stdout);
			fputs(cman_import_cli_usage, stdout);
			free(files);
			return 0;
		} else if (!strcmp(argv[i], "--db")) {
			if (++i >= argc) {
				free(files);
				return usage_error(usage_import, "%s needs a file", "--db");
			}
			db = argv[i];
		} else if ((used = cman_import_cli_option(&icli, argc, argv, i)) != 0) {
			if (used < 0) {
				free(files);
				return 2;
			}
			i += used - 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			free(files);
			return usage_error(usage_import, "unknown option '%s'", argv[i]);
		} else {
			files[n_files++] = argv[i];
		}
	}
	if (!db || !n_files) {
		free(files);
		return usage_error(usage_import, "%s", !db ? "missing --db METRICS.sqlite"
							   : "missing FILE");
	}
	rc = cman_catalog_builtin(&cat, &err);
	if (rc)
		goto out;
	created = !cman_store_name_is_uri(db) && stat(db, &sb) != 0;
	rc = cman_store_open(db, true, &st, &err);
	if (rc)
		goto out;
	/* through a check: rows the store already holds are refused, and each
	 * series' span and range are kept for the summary */
	rc = cman_import_check_new(st, &chk, &err);
	if (rc)
		goto out;
	rc = cman_store_begin(st, &err);
	if (rc)
		goto out;
	in_tx = true;
	for (k = 0; k < n_files && !rc; k++) {
		struct cman_import_stats s = { 0 };

		rc = cman_import_cli_file(&icli, files[k], cman_import_check_store(chk), cat, &s,
					  &err);
		total.series += s.series;
		total.samples += s.samples;
	}
	if (!rc) {
		rc = cman_store_commit(st, &err);
		in_tx = false;
	}
out:
	if (in_tx)
		cman_store_rollback(st);
	cman_store_free(st);
	if (rc && created)
		unlink(db);
	free(files);
	if (rc) {
		cman_import_check_free(chk);
		return fail(&err);
	}
	printf("imported %zu samples of %zu series from %zu file%s into %s\n",
	       total.samples, total.series, n_files, n_files == 1 ? "" : "s", db);
	cman_import_check_print(chk, stdout, 200);
	cman_import_check_free(chk);
	return 0;
}

static int cmd_report(int argc, char **argv)
{
	struct cman_error err = { 0 };
	struct cman_run_out ro = { .lock_fd = -1 };
	const char *dir = NULL;
	unsigned what = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_report, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--html")) {
			what |= CMAN_REPORT_HTML;
		} else if (!strcmp(argv[i], "--csv")) {
			what |= CMAN_REPORT_CSV;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error(usage_report, "unknown option '%s'", argv[i]);
		} else if (!dir) {
			dir = argv[i];
		} else {
			return usage_error(usage_report, "unexpected argument '%s'", argv[i]);
		}
	}
	if (!dir)
		return usage_error(usage_report, "%s", "missing RUN_DIR");
	if (!what)
		what = CMAN_REPORT_HTML | CMAN_REPORT_CSV;
	{
		char sp[4200];

		snprintf(sp, sizeof(sp), "%s/summary.json", dir);
		if (access(sp, R_OK) != 0) {
			fprintf(stderr, "clusterman-sim: %s: cannot read: %s (is this a run "
				"directory?)\n", sp, strerror(errno));
			return 2;
		}
	}
	/* the reports are rewritten in a copy of the run (hard links) that
	 * is swapped in whole: readers never see new reports beside an old
	 * manifest */
	if (cman_run_lock(&ro, dir, &err) || cman_run_stage(&ro, true, &err) ||
	    cman_report_write_to(dir, ro.stage, what, &err) || cman_run_commit(&ro, &err)) {
		cman_run_release(&ro);
		return fail(&err);
	}
	cman_run_release(&ro);
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	struct cman_error err = { 0 };
	struct cman_compare_opts opts = { CMAN_COMPARE_SUB, false, stdout };
	const char **runs = calloc((size_t)argc + 1, sizeof(*runs));
	const char *out = NULL;
	size_t n = 0;
	int i, status = 0;

	if (!runs)
		return 1;
	for (i = 0; i < argc && !status; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_compare, stdout);
			free(runs);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= argc)
				status = usage_error(usage_compare, "%s needs a folder", a);
			else
				out = argv[i];
		} else if (!strcmp(a, "--op")) {
			if (++i >= argc)
				status = usage_error(usage_compare, "%s needs sub or div", a);
			else if (!strcmp(argv[i], "sub"))
				opts.op = CMAN_COMPARE_SUB;
			else if (!strcmp(argv[i], "div"))
				opts.op = CMAN_COMPARE_DIV;
			else
				status = usage_error(usage_compare,
						     "--op '%s': expected sub or div", argv[i]);
		} else if (!strcmp(a, "--allow-different-windows")) {
			opts.allow_different_windows = true;
		} else if (a[0] == '-' && a[1]) {
			status = usage_error(usage_compare, "unknown option '%s'", a);
		} else {
			runs[n++] = a;
		}
	}
	if (!status && n < 2)
		status = usage_error(usage_compare, "%s",
				     "expected at least two run directories (a baseline and a "
				     "candidate)");
	if (!status && !out)
		status = usage_error(usage_compare, "%s", "missing -o DIR");
	if (!status && cman_compare_write(runs, n, out, &opts, &err))
		status = fail(&err);
	if (!status)
		printf("compared %zu runs -> %s\n", n, out);
	free(runs);
	return status;
}

int main(int argc, char **argv)
{
	cman_gsl_quiet();
#ifdef __GLIBC__
	/*
	 * Blocks of 1 MiB and more (the run's per-step arrays, ledgers and
	 * instance table) always get their own mapping: growing them is an
	 * mremap, not a copy, and the huge-page hint (cman_hint_huge) stays
	 * on them.  glibc's default moves this threshold up to 32 MiB after
	 * the first large free, and then such blocks come from the heap and
	 * realloc copies them.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
	/* Stores named dynamodb://PREFIX come from the live library. */
	cman_store_register_scheme("dynamodb", cman_store_dynamodb_open_uri);
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") ||
	    !strcmp(argv[1], "version")) {
		printf("clusterman-sim %s\n", CMAN_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "import"))
		return cmd_import(argc - 2, argv + 2);
	if (!strcmp(argv[1], "sweep"))
		return cman_sweep_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "generate"))
		return cman_generate_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "fit-prices"))
		return cman_fit_prices_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc - 2, argv + 2);
	if (!strcmp(argv[1], "compare"))
		return cmd_compare(argc - 2, argv + 2);
	if (!strcmp(argv[1], "inspect"))
		return cman_inspect_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "promote"))
		return cman_promote_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "backtest"))
		return cman_backtest_main(argc - 2, argv + 2);
	fprintf(stderr, "clusterman-sim: unknown command '%s'\n%s", argv[1], usage_main);
	return 2;
}
