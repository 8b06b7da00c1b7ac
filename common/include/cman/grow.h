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

/*
 * Tell the kernel that the untouched block p of bytes bytes (as malloc,
 * calloc or realloc returned it) is a large array that will be filled:
 * its whole 2 MiB pages become transparent huge pages where the system
 * allows them (madvise MADV_HUGEPAGE), so that filling it takes one page
 * fault per 2 MiB instead of one per 4 KiB.  Blocks under 4 MiB are left
 * alone.  Only a hint: nothing changes for the caller when it is refused.
 */
void cman_hint_huge(void *p, size_t bytes);

#endif
