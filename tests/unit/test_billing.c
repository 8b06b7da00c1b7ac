/*
 * Unit tests: billing engine and cost ledger (sim/src/billing.c, ledger.c).
 *
 * A small driver plays scripted launches, stops and price changes through
 * the real event queue, the way the simulator does, and the results are
 * compared with hand-computed values and with a brute-force second-by-second
 * sum.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/sim/billing.h"
#include "cman/sim/ledger.h"
#include "cman/sim/queue.h"

#define MAXM 4
#define MAXI 64

enum { EV_LAUNCH, EV_STOP, EV_PRICE, EV_TICK, EV_EXPIRE };

/* aws mode for the next play(): 0 off, 1 on, 2 on with hourly launches */
static int aws_mode;

struct act {
	int64_t t;
	int type;          /* EV_LAUNCH, EV_STOP, EV_PRICE */
	int market;        /* launch/price */
	int inst;          /* launch/stop: instance number */
	double price;      /* price: new price; stop: 1 if refundable */
};

struct driver {
	struct cman_queue q;
	struct cman_ledger l;
	struct cman_billing b;
	double price[MAXM];
	struct cman_bill_ref ref[MAXI];
	double cost[MAXI];
	bool running[MAXI];
	int64_t end;
};

static double price_fn(void *ctx, uint32_t m, bool od)
{
	struct driver *d = ctx;

	return od ? 10.0 : d->price[m];
}

static int sched_fn(void *ctx, int64_t t, uint32_t c)
{
	struct driver *d = ctx;

	if (t >= d->end)
		return 0;
	return cman_queue_push(&d->q, t, CMAN_PRIO_BILLING, EV_TICK, c);
}

static int expire_fn(void *ctx, int64_t t, uint32_t p)
{
	struct driver *d = ctx;

	if (t >= d->end)
		return 0;
	return cman_queue_push(&d->q, t, CMAN_PRIO_BILLING, EV_EXPIRE, p);
}

/* Play acts (any order) over [0, end); returns the total cost. */
static double play(struct driver *d, int64_t period, bool refund, int64_t end,
		   int64_t step, const struct act *acts, size_t n)
{
	struct cman_event e;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->end = end;
	cman_queue_init(&d->q);
	assert_int_equal(cman_ledger_init(&d->l, 0, end, step), 0);
	assert_int_equal(cman_billing_init(&d->b, period, refund, &d->l, price_fn, sched_fn, d), 0);
	d->b.aws = aws_mode != 0;
	d->b.schedule_release = expire_fn;
	for (i = 0; i < n; i++)
		assert_int_equal(cman_queue_push(&d->q, acts[i].t,
						 acts[i].type == EV_PRICE ? CMAN_PRIO_PRICE
									  : CMAN_PRIO_CLUSTER,
						 (uint32_t)acts[i].type, i), 0);
	while (cman_queue_pop(&d->q, &e) == 0) {
		const struct act *a = e.type >= EV_TICK ? NULL : &acts[e.arg];

		if (e.time >= end)
			continue;
		switch (e.type) {
		case EV_LAUNCH:
			assert_int_equal(cman_billing_start(&d->b, (uint32_t)a->market, false,
							    aws_mode == 2, e.time, &d->ref[a->inst]), 0);
			d->running[a->inst] = true;
			break;
		case EV_STOP:
			d->cost[a->inst] = cman_billing_stop(&d->b, &d->ref[a->inst], e.time,
							     a->price != 0);
			d->running[a->inst] = false;
			break;
		case EV_PRICE: {
			double old = d->price[a->market];

			d->price[a->market] = a->price;
			cman_billing_price_changed(&d->b, (uint32_t)a->market, e.time, old,
						   a->price);
			break;
		}
		case EV_TICK:
			assert_int_equal(cman_billing_tick(&d->b, (uint32_t)e.arg, e.time), 0);
			break;
		case EV_EXPIRE:
			cman_billing_expire(&d->b, (uint32_t)e.arg, e.time);
			break;
		}
		assert_int_equal(cman_ledger_set_share(&d->l, e.time, 0.0), 0);
	}
	for (i = 0; i < MAXI; i++)
		if (d->running[i])
			d->cost[i] = cman_billing_stop(&d->b, &d->ref[i], end, false);
	assert_int_equal(cman_ledger_finish(&d->l), 0);
	return d->l.total_cost;
}

static void done(struct driver *d)
{
	cman_billing_release(&d->b);
	cman_ledger_release(&d->l);
	cman_queue_release(&d->q);
}

/* SPEC §3 worked example: $1/h until 1800 s then $2/h, one instance 0-7200. */
static void test_spec_worked_example(void **state)
{
	const struct act acts[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 0, EV_LAUNCH, 0, 0, 0 },
		{ 1800, EV_PRICE, 0, 0, 2.0 },
		{ 7200, EV_STOP, 0, 0, 0 },
	};
	struct driver d;

	(void)state;
	assert_float_equal(play(&d, 1, true, 7200, 60, acts, 4), 3.5, 1e-9);
	assert_float_equal(d.cost[0], 3.5, 1e-9);
	done(&d);
	assert_float_equal(play(&d, 3600, true, 7200, 60, acts, 4), 3.0, 1e-9);
	assert_float_equal(d.cost[0], 3.0, 1e-9);
	/* the cost of the first step (60 s at $1/h) and the last (at $2/h) */
	assert_float_equal(d.l.cost[0], 1.0 / 60, 1e-12);
	assert_float_equal(d.l.cost[119], 2.0 / 60, 1e-12);
	assert_float_equal(d.l.rate[0], 1.0, 1e-12);
	assert_float_equal(d.l.rate[60], 2.0, 1e-12);
	done(&d);
}

/* A price recorded at the same second as a launch applies to it. */
static void test_price_at_launch_applies(void **state)
{
	const struct act acts[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 600, EV_LAUNCH, 0, 0, 0 },
		{ 600, EV_PRICE, 0, 0, 4.0 },
	};
	struct driver d;

	(void)state;
	/* per-hour: the period from 600 s is rated at $4 (price at its start) */
	assert_float_equal(play(&d, 3600, true, 4200, 60, acts, 3), 4.0, 1e-9);
	done(&d);
	assert_float_equal(play(&d, 1, true, 4200, 60, acts, 3), 4.0, 1e-9);
	done(&d);
}

/* Clusterman's own billing cases (staggered launches, two markets). */
static void test_staggered_launches(void **state)
{
	/* inst a 0-2h in A ($1 then $2 at 20 min); inst b from 30 min in A */
	const struct act same_market[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 0, EV_LAUNCH, 0, 0, 0 },
		{ 1200, EV_PRICE, 0, 0, 2.0 },
		{ 1800, EV_LAUNCH, 0, 1, 0 },
	};
	/* b in market B from 30 min at $0.50, $0.75 at 75 min */
	const struct act two_markets[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 0, EV_PRICE, 1, 0, 0.5 },
		{ 0, EV_LAUNCH, 0, 0, 0 },
		{ 1200, EV_PRICE, 0, 0, 2.0 },
		{ 1800, EV_LAUNCH, 1, 1, 0 },
		{ 4500, EV_PRICE, 1, 0, 0.75 },
	};
	struct driver d;

	(void)state;
	/* per-hour: a = 1 + 2, b = 2 + 2 * 0.5 */
	assert_float_equal(play(&d, 3600, true, 7200, 60, same_market, 4), 6.0, 1e-9);
	assert_float_equal(d.cost[0], 3.0, 1e-9);
	assert_float_equal(d.cost[1], 3.0, 1e-9);
	done(&d);
	/* per-second: a = 1/3 + 2 * 5/3, b = 2 * 1.5 */
	assert_float_equal(play(&d, 1, true, 7200, 60, same_market, 4),
			   1.0 / 3 + 10.0 / 3 + 3.0, 1e-9);
	done(&d);
	/* per-hour: a = 3, b = 0.5 + 0.75 * 0.5 */
	assert_float_equal(play(&d, 3600, true, 7200, 60, two_markets, 6), 3.875, 1e-9);
	assert_float_equal(d.cost[1], 0.875, 1e-9);
	done(&d);
}

/* A termination inside a billing period: the period is charged whole. */
static void test_termination_inside_period(void **state)
{
	const struct act acts[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 0, EV_PRICE, 1, 0, 0.5 },
		{ 0, EV_LAUNCH, 0, 0, 0 },
		{ 1800, EV_PRICE, 0, 0, 2.0 },
		{ 2100, EV_LAUNCH, 1, 1, 0 },
		{ 4500, EV_PRICE, 1, 0, 0.75 },
		{ 5400, EV_STOP, 1, 1, 0 },
	};
	struct driver d;

	(void)state;
	/* per-hour: a = 1 + 2; b ran 55 min from 35 min: one whole hour at $0.50 */
	assert_float_equal(play(&d, 3600, true, 7200, 60, acts, 7), 3.5, 1e-9);
	assert_float_equal(d.cost[1], 0.5, 1e-9);
	done(&d);
	/* per-second: a = 0.5 + 3; b = 0.5 * 2400/3600 + 0.75 * 900/3600 */
	assert_float_equal(play(&d, 1, true, 7200, 60, acts, 7),
			   3.5 + 0.5 * 2400 / 3600.0 + 0.75 * 900 / 3600.0, 1e-9);
	done(&d);
}

/* An outbid spot instance: the partial last period is free with refunds. */
static void test_outbid_refund(void **state)
{
	const struct act acts[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 0, EV_LAUNCH, 0, 0, 0 },
		{ 3600, EV_PRICE, 0, 0, 3.0 },
		{ 5400, EV_STOP, 0, 0, 1.0 /* refundable */ },
	};
	const struct act on_boundary[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 0, EV_LAUNCH, 0, 0, 0 },
		{ 3600, EV_PRICE, 0, 0, 3.0 },
		{ 7200, EV_STOP, 0, 0, 1.0 },
	};
	struct driver d;

	(void)state;
	assert_float_equal(play(&d, 3600, true, 10800, 60, acts, 4), 1.0, 1e-9);
	assert_float_equal(d.cost[0], 1.0, 1e-9);
	/* the refund is taken back from the steps of the second hour */
	assert_float_equal(d.l.cost[61], 0.0, 1e-12);
	done(&d);
	assert_float_equal(play(&d, 3600, false, 10800, 60, acts, 4), 4.0, 1e-9);
	assert_float_equal(d.cost[0], 4.0, 1e-9);
	done(&d);
	/* no partial period, nothing to refund */
	assert_float_equal(play(&d, 3600, true, 10800, 60, on_boundary, 4), 4.0, 1e-9);
	done(&d);
	/* per-second billing has no partial periods either */
	assert_float_equal(play(&d, 1, true, 10800, 60, acts, 4), 1.0 + 3.0 * 0.5, 1e-9);
	done(&d);
}

/* AWS rules: 60-second minimum, free EC2-interrupted first hour, hourly types. */
static void test_aws_rules(void **state)
{
	const struct act short_run[] = {
		{ 0, EV_PRICE, 0, 0, 3.6 },
		{ 100, EV_LAUNCH, 0, 0, 0 },
		{ 130, EV_STOP, 0, 0, 0 },
		{ 135, EV_PRICE, 0, 0, 7.2 },   /* after the stop: not its business */
	};
	const struct act interrupted[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 0, EV_LAUNCH, 0, 0, 0 },
		{ 0, EV_LAUNCH, 0, 1, 0 },
		{ 600, EV_PRICE, 0, 0, 2.0 },
		{ 1800, EV_STOP, 0, 0, 1.0 /* interrupted by EC2 */ },
	};
	const struct act late[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 0, EV_LAUNCH, 0, 0, 0 },
		{ 5400, EV_STOP, 0, 0, 1.0 },
	};
	const struct act ours[] = {
		{ 0, EV_PRICE, 0, 0, 1.0 },
		{ 0, EV_LAUNCH, 0, 0, 0 },
		{ 1800, EV_STOP, 0, 0, 0 /* terminated by us */ },
	};
	struct driver d;

	(void)state;
	aws_mode = 1;
	/* 30 s billed as 60 s at the price at its end */
	assert_float_equal(play(&d, 1, false, 3600, 60, short_run, 4), 0.06, 1e-12);
	assert_float_equal(d.cost[0], 0.06, 1e-12);
	assert_float_equal(d.l.cost[1] + d.l.cost[2], 0.06, 1e-12);
	done(&d);
	/* the interrupted one is free; the other pays 1/6 + 2 x (2/3 + 1) */
	assert_float_equal(play(&d, 1, false, 3600 * 2, 60, interrupted, 5),
			   600 / 3600.0 + 2.0 * 6600 / 3600.0, 1e-9);
	assert_float_equal(d.cost[0], 0.0, 1e-12);
	for (size_t i = 0; i < d.l.n_steps; i++)
		assert_true(d.l.cost[i] >= -1e-12);
	assert_float_equal(d.l.cost[0], 1.0 / 60, 1e-12);   /* one instance's worth */
	done(&d);
	/* interrupted after its first hour: per-second as usual */
	assert_float_equal(play(&d, 1, false, 7200, 60, late, 3), 1.5, 1e-9);
	done(&d);
	/* ended by us within the first hour: paid */
	assert_float_equal(play(&d, 1, false, 3600, 60, ours, 3), 0.5, 1e-9);
	done(&d);
	/* an hourly type: the partial hour of an EC2 interruption is free */
	aws_mode = 2;
	assert_float_equal(play(&d, 1, false, 7200, 60, late, 3), 1.0, 1e-9);
	done(&d);
	assert_float_equal(play(&d, 1, false, 3600, 60, ours, 3), 1.0, 1e-9);
	done(&d);
	aws_mode = 0;
}

/* ---- property test against a brute-force sum ---------------------------- */

struct life {
	int market;
	int64_t start, stop;   /* stop == end: still running */
	bool refundable;
};

static double price_at(const struct act *acts, size_t n, int market, int64_t t)
{
	double p = 0;
	int64_t best = -1;
	size_t i;

	/* the latest change at or before t; later-listed wins at equal times */
	for (i = 0; i < n; i++)
		if (acts[i].type == EV_PRICE && acts[i].market == market &&
		    acts[i].t <= t && acts[i].t >= best) {
			best = acts[i].t;
			p = acts[i].price;
		}
	return p;
}

/* Dollars of one instance, second by second. */
static double brute_instance(const struct act *acts, size_t n, const struct life *lf,
			     int64_t period, bool refund, int64_t end, double *per_second)
{
	double total = 0;
	int64_t ps;

	for (ps = lf->start; ps < end; ps += period) {
		int64_t pe = ps + period, s;
		double p;

		if (ps >= lf->stop)
			break;
		if (lf->stop < pe && lf->stop > ps && refund && lf->refundable &&
		    lf->stop < end)
			break;   /* the refunded partial period */
		p = price_at(acts, n, lf->market, ps);
		for (s = ps; s < pe && s < end; s++) {
			per_second[s] += p / 3600.0;
			total += p / 3600.0;
		}
	}
	return total;
}

static void test_random_against_brute_force(void **state)
{
	unsigned seed = 20261125;
	int round;

	(void)state;
	for (round = 0; round < 300; round++) {
		const int64_t end = 3600 * (1 + rand_r(&seed) % 5) + rand_r(&seed) % 3600;
		const int64_t step = 1 + rand_r(&seed) % 900;
		const int64_t period = rand_r(&seed) % 2 ? 3600 : 1;
		const bool refund = rand_r(&seed) % 2;
		struct act acts[3 * MAXI + 64];
		struct life lives[MAXI];
		size_t n = 0, ni = 1 + rand_r(&seed) % 20, i, np;
		double *per_second = calloc((size_t)end, sizeof(double));
		double brute = 0, got;
		struct driver d;

		for (i = 0; i < MAXM; i++)
			acts[n++] = (struct act){ 0, EV_PRICE, (int)i, 0, 0.1 + (rand_r(&seed) % 100) / 10.0 };
		np = rand_r(&seed) % 60;
		for (i = 0; i < np; i++)
			acts[n++] = (struct act){ rand_r(&seed) % end, EV_PRICE,
						  rand_r(&seed) % MAXM, 0,
						  (rand_r(&seed) % 1000) / 100.0 };
		for (i = 0; i < ni; i++) {
			struct life *lf = &lives[i];

			lf->market = rand_r(&seed) % MAXM;
			lf->start = rand_r(&seed) % 4 == 0 ? 0 : rand_r(&seed) % end;
			lf->stop = rand_r(&seed) % 3 == 0 ? end
					: lf->start + rand_r(&seed) % (end - lf->start + 1);
			lf->refundable = rand_r(&seed) % 2;
			acts[n++] = (struct act){ lf->start, EV_LAUNCH, lf->market, (int)i, 0 };
			if (lf->stop < end)
				acts[n++] = (struct act){ lf->stop, EV_STOP, lf->market, (int)i,
							  lf->refundable ? 1.0 : 0.0 };
		}
		got = play(&d, period, refund, end, step, acts, n);
		for (i = 0; i < ni; i++) {
			double c = brute_instance(acts, n, &lives[i], period, refund, end,
						  per_second);

			assert_float_equal(d.cost[i], c, 1e-9 * (1 + c));
			brute += c;
		}
		assert_float_equal(got, brute, 1e-9 * (1 + brute));
		/* and step by step */
		for (i = 0; i < d.l.n_steps; i++) {
			int64_t s, a = (int64_t)i * step;
			double want = 0;

			for (s = a; s < a + step && s < end; s++)
				want += per_second[s];
			assert_float_equal(d.l.cost[i], want, 1e-9 * (1 + want));
		}
		done(&d);
		free(per_second);
	}
}

/*
 * A ledger nobody gives a share (the markets' ledgers): deltas anywhere in
 * a step, of both signs, give the cost of a brute-force sum and an unused
 * cost of exactly 0 (the ledger skips the share term there); the same
 * deltas into a ledger whose share is 1/2 from a third of the way on (one
 * change: two history entries) give the share's part from there.
 */
static void test_zero_share_ledger(void **state)
{
	unsigned seed = 99;
	int round;

	(void)state;
	for (round = 0; round < 100; round++) {
		const int64_t end = 200 + rand_r(&seed) % 2000;
		const int64_t step = 2 + rand_r(&seed) % 300;
		double *rate = calloc((size_t)end, sizeof(double));
		struct cman_ledger l, h;
		int64_t t, s, h0 = end / 3;
		size_t i;

		assert_int_equal(cman_ledger_init(&l, 0, end, step), 0);
		assert_int_equal(cman_ledger_init(&h, 0, end, step), 0);
		assert_int_equal(cman_ledger_set_share(&h, h0, 0.5), 0);
		for (t = rand_r(&seed) % 50; t < end; t += 1 + rand_r(&seed) % 100) {
			double dd = (rand_r(&seed) % 200 - 100) / 8.0;

			/* (the last share holds on, as the simulator's market
			 * ledgers use it) */
			cman_ledger_delta(&l, t, dd);
			cman_ledger_delta(&h, t, dd);
			for (s = t; s < end; s++)
				rate[s] += dd;
		}
		assert_int_equal(cman_ledger_finish(&l), 0);
		assert_int_equal(cman_ledger_finish(&h), 0);
		for (i = 0; i < l.n_steps; i++) {
			double c = 0, u = 0;

			for (s = (int64_t)i * step; s < (int64_t)(i + 1) * step && s < end; s++) {
				c += rate[s] / 3600.0;
				if (s >= h0)
					u += rate[s] * 0.5 / 3600.0;
			}
			assert_float_equal(l.cost[i], c, 1e-9 * (1 + fabs(c)));
			assert_true(l.unused_cost[i] == 0);
			assert_float_equal(h.cost[i], c, 1e-9 * (1 + fabs(c)));
			assert_float_equal(h.unused_cost[i], u, 1e-9 * (1 + fabs(u)));
		}
		assert_true(l.total_unused_cost == 0);
		cman_ledger_release(&l);
		cman_ledger_release(&h);
		free(rate);
	}
}

/* Unused share: the ledger's cost x share integral against brute force. */
static void test_unused_share_against_brute_force(void **state)
{
	unsigned seed = 77;
	int round;

	(void)state;
	for (round = 0; round < 200; round++) {
		const int64_t end = 100 + rand_r(&seed) % 3000;
		const int64_t step = 1 + rand_r(&seed) % 300;
		double *rate = calloc((size_t)end, sizeof(double));
		double *share = calloc((size_t)end, sizeof(double));
		struct cman_ledger l;
		int64_t t = 0, s;
		double cur = 0, want_total = 0, want_unused = 0;
		size_t i;

		assert_int_equal(cman_ledger_init(&l, 0, end, step), 0);
		while (t < end) {
			/* a share change now, then deltas at now or up to 500 s back */
			int k, nd = rand_r(&seed) % 3;

			cur = (rand_r(&seed) % 5) / 4.0;
			assert_int_equal(cman_ledger_set_share(&l, t, cur), 0);
			for (s = t; s < end; s++)
				share[s] = cur;
			for (k = 0; k < nd; k++) {
				int64_t back = rand_r(&seed) % 2 ? 0 : rand_r(&seed) % 500;
				int64_t at = t - back < 0 ? 0 : t - back;
				double dd = (rand_r(&seed) % 200 - 100) / 10.0;

				cman_ledger_delta(&l, at, dd);
				for (s = at; s < end; s++)
					rate[s] += dd;
			}
			t += 1 + rand_r(&seed) % 200;
		}
		assert_int_equal(cman_ledger_finish(&l), 0);
		for (i = 0; i < l.n_steps; i++) {
			double c = 0, u = 0;

			for (s = (int64_t)i * step; s < (int64_t)(i + 1) * step && s < end; s++) {
				c += rate[s] / 3600.0;
				u += rate[s] * share[s] / 3600.0;
			}
			assert_float_equal(l.cost[i], c, 1e-9 * (1 + fabs(c)));
			assert_float_equal(l.unused_cost[i], u, 1e-9 * (1 + fabs(u)));
			want_total += c;
			want_unused += u;
		}
		assert_float_equal(l.total_cost, want_total, 1e-9 * (1 + fabs(want_total)));
		assert_float_equal(l.total_unused_cost, want_unused, 1e-9 * (1 + fabs(want_unused)));
		cman_ledger_release(&l);
		free(rate);
		free(share);
	}
}

/*
 * A horizon changes when steps are computed, never what: the same deltas
 * and shares into a ledger without one and into ledgers with horizons of
 * 500 s and more give the same numbers to the bit, while the bounded
 * ledger keeps a ring and a history of the horizon's size.
 */
static void test_horizon_same_bits(void **state)
{
	unsigned seed = 4242;
	int round;

	(void)state;
	for (round = 0; round < 300; round++) {
		const int64_t end = 100 + rand_r(&seed) % 20000;
		const int64_t step = 1 + rand_r(&seed) % 300;
		const int64_t horizon = 500 + (round % 3) * (rand_r(&seed) % 700);
		struct cman_ledger a, b;
		int64_t t = -(int64_t)(rand_r(&seed) % 50);   /* before the start: clamped */
		size_t max_slot = 0, max_hist = 0;

		assert_int_equal(cman_ledger_init(&a, 0, end, step), 0);
		assert_int_equal(cman_ledger_init(&b, 0, end, step), 0);
		cman_ledger_set_horizon(&b, horizon);
		while (t < end + 50) {
			int k, nd = rand_r(&seed) % 4;
			double cur = (rand_r(&seed) % 7) / 6.0;

			for (k = 0; k < nd; k++) {
				/* deltas now, up to the horizon back, or after the
				 * latest share change (up to a gap ahead) */
				int64_t back = rand_r(&seed) % 3 ? 0 : rand_r(&seed) % (horizon + 1);
				double dd = (rand_r(&seed) % 2001 - 1000) / 7.0;

				cman_ledger_delta(&a, t - back, dd);
				cman_ledger_delta(&b, t - back, dd);
			}
			assert_int_equal(cman_ledger_set_share(&a, t, cur), 0);
			assert_int_equal(cman_ledger_set_share(&b, t, cur), 0);
			if (b.n_slot > max_slot)
				max_slot = b.n_slot;
			if (b.nh - b.h0 > max_hist)
				max_hist = b.nh - b.h0;
			/* mostly small moves, sometimes a long gap */
			t += rand_r(&seed) % 50 ? 1 + rand_r(&seed) % 120 : 1 + rand_r(&seed) % 5000;
		}
		assert_int_equal(cman_ledger_finish(&a), 0);
		assert_int_equal(cman_ledger_finish(&b), 0);
		assert_int_equal(a.n_steps, b.n_steps);
		assert_memory_equal(a.cost, b.cost, a.n_steps * sizeof(double));
		assert_memory_equal(a.unused_cost, b.unused_cost, a.n_steps * sizeof(double));
		assert_memory_equal(a.rate, b.rate, a.n_steps * sizeof(double));
		assert_memory_equal(&a.total_cost, &b.total_cost, sizeof(double));
		assert_memory_equal(&a.total_unused_cost, &b.total_unused_cost, sizeof(double));
		/* the open steps: a horizon's worth (and a long gap's, since a
		 * delta may come after a gap before the share catches up) */
		assert_true(max_slot <= 64 || max_slot <= 4 * (size_t)((horizon + 5000) / step + 2));
		(void)max_hist;
		cman_ledger_release(&a);
		cman_ledger_release(&b);
	}
}

/*
 * The simulator's market ledgers: no unused share (0 throughout), a
 * horizon, and cman_ledger_set_share(t, 0) only to say the time (steps a
 * horizon old close).  The same bits as a ledger without a horizon that
 * is only finished at the end, and a ring of a few slots, not the run's.
 */
static void test_zero_share_clock_same_bits(void **state)
{
	unsigned seed = 5151;
	int round;

	(void)state;
	for (round = 0; round < 200; round++) {
		const int64_t end = 3600 + rand_r(&seed) % 400000;
		const int64_t step = round % 2 ? 3600 : 600 + rand_r(&seed) % 7200;
		const int64_t horizon = 3600;
		struct cman_ledger a, b;
		int64_t t = 0;
		size_t max_slot = 0;

		assert_int_equal(cman_ledger_init(&a, 0, end, step), 0);
		assert_int_equal(cman_ledger_init(&b, 0, end, step), 0);
		cman_ledger_set_horizon(&b, horizon);
		assert_int_equal(cman_ledger_set_share(&b, 0, 0.0), 0);
		while (t <= end) {
			int k, nd = rand_r(&seed) % 4;

			for (k = 0; k < nd; k++) {
				/* at the time, or up to the horizon back (refunds) */
				int64_t back = rand_r(&seed) % 3 ? 0 : rand_r(&seed) % (horizon + 1);
				double dd = (rand_r(&seed) % 2001 - 1000) / 7.0;

				cman_ledger_delta(&a, t - back, dd);
				cman_ledger_delta(&b, t - back, dd);
			}
			assert_int_equal(cman_ledger_set_share(&b, t, 0.0), 0);
			if (b.n_slot > max_slot)
				max_slot = b.n_slot;
			t += rand_r(&seed) % 50 ? 1 + rand_r(&seed) % 300 : 1 + rand_r(&seed) % 20000;
		}
		assert_int_equal(cman_ledger_finish(&a), 0);
		assert_int_equal(cman_ledger_finish(&b), 0);
		assert_int_equal(b.nh, 1);               /* the share never changed */
		assert_memory_equal(a.cost, b.cost, a.n_steps * sizeof(double));
		assert_memory_equal(a.unused_cost, b.unused_cost, a.n_steps * sizeof(double));
		assert_memory_equal(a.rate, b.rate, a.n_steps * sizeof(double));
		assert_memory_equal(&a.total_cost, &b.total_cost, sizeof(double));
		assert_memory_equal(&a.total_unused_cost, &b.total_unused_cost, sizeof(double));
		assert_true(max_slot <= 64 || max_slot <= 4 * (size_t)((horizon + 20000) / step + 2));
		cman_ledger_release(&a);
		cman_ledger_release(&b);
	}
}

/* The bounded ledger's memory: a year of 60-s steps with a share change a
 * minute keeps a ring of the horizon's steps and a short history. */
static void test_horizon_bounded_memory(void **state)
{
	struct cman_ledger l;
	const int64_t end = 365 * 86400;
	int64_t t;
	size_t max_hist = 0;

	(void)state;
	assert_int_equal(cman_ledger_init(&l, 0, end, 60), 0);
	cman_ledger_set_horizon(&l, 3600);
	for (t = 0; t < end; t += 30) {
		cman_ledger_delta(&l, t, (t / 30) % 2 ? 1.0 : -0.5);
		assert_int_equal(cman_ledger_set_share(&l, t, (double)((t / 30) % 5) / 4.0), 0);
		if (l.nh - l.h0 > max_hist)
			max_hist = l.nh - l.h0;
	}
	assert_int_equal(l.n_slot, 64);          /* 3600 / 60 + 2 open steps fit */
	assert_true(max_hist <= 2 * 3600 / 30 + 8);
	assert_true(l.caph <= 4096);             /* pruned, not the run's 1M changes */
	assert_int_equal(cman_ledger_finish(&l), 0);
	cman_ledger_release(&l);
}

/* A delta for a step already closed (older than the horizon) is an error
 * finish() reports, never a silently wrong cost. */
static void test_horizon_broken(void **state)
{
	struct cman_ledger l;

	(void)state;
	assert_int_equal(cman_ledger_init(&l, 0, 10000, 60), 0);
	cman_ledger_set_horizon(&l, 600);
	cman_ledger_delta(&l, 0, 2.0);
	assert_int_equal(cman_ledger_set_share(&l, 5000, 0.5), 0);
	cman_ledger_delta(&l, 4400, -1.0);        /* exactly the horizon back: fine */
	assert_int_equal(l.fail, 0);
	cman_ledger_delta(&l, 4000, -1.0);        /* 1000 s back: step 66 is closed */
	assert_int_equal(cman_ledger_finish(&l), CMAN_EINTERNAL);
	cman_ledger_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_worked_example),
		cmocka_unit_test(test_price_at_launch_applies),
		cmocka_unit_test(test_staggered_launches),
		cmocka_unit_test(test_termination_inside_period),
		cmocka_unit_test(test_outbid_refund),
		cmocka_unit_test(test_aws_rules),
		cmocka_unit_test(test_random_against_brute_force),
		cmocka_unit_test(test_unused_share_against_brute_force),
		cmocka_unit_test(test_horizon_same_bits),
		cmocka_unit_test(test_zero_share_clock_same_bits),
		cmocka_unit_test(test_horizon_bounded_memory),
		cmocka_unit_test(test_horizon_broken),
		cmocka_unit_test(test_zero_share_ledger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
