/*
 * progress.h - progress of a long job on a terminal.
 *
 * On a terminal (isatty) the line "WHAT: 45% (12 s left)" is redrawn in
 * place on the stream at most ten times a second and erased when the job
 * finishes; on anything else nothing is written, so logs and pipes get only
 * the job's one summary line (printed by the caller).  The wall clock is
 * read only when the job crossed another 1/1000 of its total, so calling
 * cman_progress_update() for every event is cheap.
 */
#ifndef CMAN_REPORTS_PROGRESS_H
#define CMAN_REPORTS_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

struct cman_progress {
	FILE *fp;              /* NULL: silent */
	bool tty;
	bool shown;            /* a line is on the screen */
	const char *what;
	double total, next;    /* next: the done value that triggers a look */
	double t_start, t_last;/* monotonic seconds */
};

/* Start reporting a job of `total` units (> 0) named what (not copied: it
 * must outlive p) on fp (may be NULL); a terminal when isatty(fp). */
void cman_progress_init(struct cman_progress *p, FILE *fp, const char *what, double total);

/* The same, saying whether fp is a terminal (for tests). */
void cman_progress_init_tty(struct cman_progress *p, FILE *fp, const char *what, double total,
			    bool tty);

/* cman_progress_update() past its first test: a look at the clock. */
void cman_progress_look(struct cman_progress *p, double done);

/* done units of total are finished.  (Inline: the simulator calls it for
 * every event, and off a terminal, or within the same 1/1000, it is one
 * test.) */
static inline void cman_progress_update(struct cman_progress *p, double done)
{
	if (p->tty && !(done < p->next))
		cman_progress_look(p, done);
}

/* The job is over: erase the progress line (nothing else is written). */
void cman_progress_finish(struct cman_progress *p);

#endif
