/*
 * importcheck.h - what `clusterman-sim import` adds to a store, checked and
 * summed up as it goes (issue 8.7): a store that forwards to the
 * destination and refuses a sample at a time the destination already held
 * for that series before the import (the same rows imported twice), and
 * keeps each written series' count, time span and value range.
 */
#ifndef CMAN_SIM_IMPORTCHECK_H
#define CMAN_SIM_IMPORTCHECK_H

#include <stdio.h>

#include "cman/err.h"
#include "cman/store.h"

struct cman_import_check;

/*
 * A checking store in front of dst (not owned; it must outlive the
 * check).  Writes go to dst; a write of (kind, key) at a time t where dst
 * held a sample of that series before this check first wrote to it fails
 * with CMAN_EINVAL "STORE: KIND KEY already has a sample at T ...".  Reads
 * and transactions are dst's.  Caller frees with cman_import_check_free().
 */
int cman_import_check_new(struct cman_store *dst, struct cman_import_check **out,
			  struct cman_error *err);

/* The store to import into (owned by the check). */
struct cman_store *cman_import_check_store(struct cman_import_check *c);

/* One line per series written, in the order first written: kind, key,
 * samples, first and last time, smallest and largest value.  At most max
 * lines, then "... and N more series". */
void cman_import_check_print(const struct cman_import_check *c, FILE *fp, size_t max);

void cman_import_check_free(struct cman_import_check *c);

/*
 * `clusterman-sim inspect STORE`: the series of a metrics store or file
 * (any format import reads) with their kinds, sample counts, spans and
 * value ranges.  Returns the exit status.
 */
int cman_inspect_main(int argc, char **argv);

#endif
