/*
 * progress.c - a progress line on a terminal (see progress.h).
 */
#include "cman/reports/progress.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cman_progress_init_tty(struct cman_progress *p, FILE *fp, const char *what, double total,
			    bool tty)
{
	p->fp = fp;
	p->tty = fp && tty;
	p->shown = false;
	p->what = what ? what : "";
	p->total = total > 0 ? total : 1;
	p->next = p->total / 1000;
	p->t_start = p->t_last = mono();
}

void cman_progress_init(struct cman_progress *p, FILE *fp, const char *what, double total)
{
	cman_progress_init_tty(p, fp, what, total, fp && isatty(fileno(fp)));
}

void cman_progress_look(struct cman_progress *p, double done)
{
	double now, frac, left;

	p->next = done + p->total / 1000;
	now = mono();
	if (now - p->t_last < 0.1 && p->shown)
		return;
	/* nothing for jobs that finish in a blink */
	if (!p->shown && now - p->t_start < 0.5)
		return;
	p->t_last = now;
	frac = done / p->total;
	if (frac > 1)
		frac = 1;
	left = frac > 0 ? (now - p->t_start) * (1 - frac) / frac : NAN;
	if (isnan(left))
		fprintf(p->fp, "\r%s: %3.0f%%\033[K", p->what, frac * 100);
	else
		fprintf(p->fp, "\r%s: %3.0f%% (%.0f s left)\033[K", p->what, frac * 100, ceil(left));
	fflush(p->fp);
	p->shown = true;
}

void cman_progress_finish(struct cman_progress *p)
{
	if (p->tty && p->shown) {
		fputs("\r\033[K", p->fp);
		fflush(p->fp);
	}
	p->shown = false;
}
