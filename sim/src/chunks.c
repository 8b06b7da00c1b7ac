#include "cman/sim/chunks.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cman/err.h"

int cman_chunks_init(struct cman_chunks *c, size_t n_rows, size_t row_size, unsigned shift)
{
	memset(c, 0, sizeof(*c));
	if (!row_size || shift >= 8 * sizeof(size_t) - 1 || row_size > SIZE_MAX >> shift ||
	    row_size << shift < sizeof(void *))
		return CMAN_EINVAL;
	c->n_rows = n_rows;
	c->row_size = row_size;
	c->shift = shift;
	c->chunk_bytes = row_size << shift;
	c->n_chunks = n_rows ? ((n_rows - 1) >> shift) + 1 : 0;
	c->tab = calloc(c->n_chunks ? c->n_chunks : 1, sizeof(*c->tab));
	if (!c->tab)
		return CMAN_ENOMEM;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		cman_chunks_release(c);
		return CMAN_ENOMEM;
	}
	c->mu_ok = true;
	return 0;
}

void cman_chunks_release(struct cman_chunks *c)
{
	size_t k;

	for (k = 0; k < c->n_chunks && c->tab; k++)
		free(c->tab[k]);
	while (c->free) {
		void *next;

		memcpy(&next, c->free, sizeof(next));
		free(c->free);
		c->free = next;
	}
	free(c->tab);
	if (c->mu_ok)
		pthread_mutex_destroy(&c->mu);
	memset(c, 0, sizeof(*c));
}

void *cman_chunks_take(struct cman_chunks *c, size_t k)
{
	unsigned char *p = c->tab[k];

	if (p)
		return p;   /* (taken before: a retry after another table's failure) */
	pthread_mutex_lock(&c->mu);
	p = c->free;
	if (p)
		memcpy(&c->free, p, sizeof(c->free));
	pthread_mutex_unlock(&c->mu);
	if (!p) {
		p = malloc(c->chunk_bytes);
		if (!p)
			return NULL;
		c->n_made++;
	}
	c->tab[k] = p;
	return p;
}

void cman_chunks_give_back(struct cman_chunks *c, size_t done)
{
	size_t end = done >= c->n_rows ? c->n_chunks : done >> c->shift;

	if (c->given >= end)
		return;
	pthread_mutex_lock(&c->mu);
	for (; c->given < end; c->given++) {
		unsigned char *p = c->tab[c->given];

		if (!p)
			continue;   /* never made (out of memory) */
		c->tab[c->given] = NULL;
		memcpy(p, &c->free, sizeof(c->free));
		c->free = p;
	}
	pthread_mutex_unlock(&c->mu);
}

int cman_chunks_enter(struct cman_chunks *const *tabs, size_t n, size_t i, bool sink,
		      void **p, size_t *lo, size_t *hi)
{
	size_t j, k = i >> tabs[0]->shift;

	for (j = 0; j < n && sink; j++)
		cman_chunks_give_back(tabs[j], i);
	for (j = 0; j < n; j++)
		if (!(p[j] = cman_chunks_take(tabs[j], k)))
			return CMAN_ENOMEM;
	*lo = k << tabs[0]->shift;
	*hi = *lo + cman_chunks_left(tabs[0], *lo);
	return 0;
}
