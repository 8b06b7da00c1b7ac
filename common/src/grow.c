#include "cman/grow.h"

#include <stdint.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/mman.h>

#include "cman/err.h"

int cman_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t cap2 = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (cap2 < need) {
		if (cap2 > SIZE_MAX / 2)
			return CMAN_ENOMEM;
		cap2 *= 2;
	}
	if (elem && cap2 > SIZE_MAX / elem)
		return CMAN_ENOMEM;
	q = realloc(*p, cap2 * elem);
	if (!q)
		return CMAN_ENOMEM;
	*p = q;
	*cap = cap2;
	cman_hint_huge(q, cap2 * elem);
	return 0;
}

void cman_hint_huge(void *p, size_t bytes)
{
	const uintptr_t page = 4096, huge = (uintptr_t)2 << 20;
	uintptr_t a, b;

	if (!p || bytes < 2 * huge)
		return;
#ifdef __GLIBC__
	/* the block's whole usable size: a block with a mapping of its own
	 * then gets the hint on the whole mapping, which stays one mapping
	 * that realloc can still move and grow with mremap (a hint on part of
	 * it would split it, and mremap refuses a range of several) */
	bytes = malloc_usable_size(p);
#endif
	a = (uintptr_t)p & ~(page - 1);
	b = ((uintptr_t)p + bytes + page - 1) & ~(page - 1);
	(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
}
