#include "cman/grow.h"

#include <stdint.h>
#include <stdlib.h>

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
	return 0;
}
