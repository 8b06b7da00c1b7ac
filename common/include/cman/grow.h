/*
 * grow.h - arrays that grow by doubling (the project's one way to do it).
 */
#ifndef CMAN_GROW_H
#define CMAN_GROW_H

#include <stddef.h>

/*
 * Make the array *p of *cap elements of elem bytes hold at least need
 * elements: capacity doubles from 16 until it does.  On success *p and
 * *cap are updated; on failure (CMAN_ENOMEM, also when the size would
 * overflow) they are left as they were.
 */
int cman_grow(void **p, size_t *cap, size_t need, size_t elem);

#endif
