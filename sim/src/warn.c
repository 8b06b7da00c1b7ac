/*
 * warn.c - the run's warnings (sim_int.h): collected for summary.json and
 * report.html and echoed on the log.  Its own module so that groups.c and
 * check.c can warn without calling into sim.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cman/text.h"
#include "sim_int.h"

int sim_warn(struct cman_sim *sim, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	if (sim->n_warnings == sim->cap_warnings) {
		size_t cap = sim->cap_warnings ? 2 * sim->cap_warnings : 8;
		char **w = realloc(sim->warnings, cap * sizeof(*w));

		if (!w)
			return CMAN_ENOMEM;
		sim->warnings = w;
		sim->cap_warnings = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CMAN_ENOMEM;
	/* warnings quote outside text (signal answers, file contents): keep
	 * them valid UTF-8 so that summary.json can hold them (issue 9.5) */
	if (!cman_utf8_valid(s, (size_t)n)) {
		char *clean = cman_utf8_clean(s);

		free(s);
		if (!clean)
			return CMAN_ENOMEM;
		s = clean;
	}
	sim->warnings[sim->n_warnings++] = s;
	if (sim->log)
		fprintf(sim->log, "warning: %s\n", s);
	return 0;
}
