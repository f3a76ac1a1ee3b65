// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Sync math: the PI controller against a simulated clock with drift, and the
 * timestamp-jump window. Expected values are derived in the comments.
 */
#include "pru_test.h"
#include "prudaq_fw.h"

#define MS 1000000ll

/*
 * The plant: PRU1's phase error grows by (drift + corr) ppb over a 100 ms
 * period, i.e. by (drift + corr) / 10 ns. Returns the error after n periods
 * starting aligned; fills the last correction.
 */
struct plant {
	struct prudaq_pi pi;
	s64 err;		/* local - host, ns */
	u64 host;		/* host time of the next trigger */
	s32 corr;
};

static void plant_init(struct plant *p)
{
	prudaq_pi_init(&p->pi);
	p->err = 0;
	p->host = 1000 * MS;
	p->corr = 0;
}

static void plant_step(struct plant *p, s64 drift_ppb)
{
	struct prudaq_sync_out out;

	p->err += (drift_ppb + p->corr) / 10;
	p->host += 100 * MS;
	prudaq_sync_update(&p->pi, p->host + (u64)p->err, p->host, &out);
	CHECK_EQ(out.jump, 0);
	p->corr = out.corr_ppb;
}

/*
 * Drift 100 ppm = 100000 ppb. Period 1: err = 100000/10 = 10000 ns, integral
 * 10000, corr = -(5*10000 + 10000) = -60000. Period 2: err = 10000 +
 * (100000-60000)/10 = 14000, integral 24000, corr = -(70000 + 24000) = -94000.
 * Period 3: err = 14000 + 600 = 14600, integral 38600, corr = -111600.
 * Period 4: err = 14600 - 1160 = 13440.
 */
static void pi_first_steps(void)
{
	struct plant p;

	plant_init(&p);
	plant_step(&p, 100000);
	CHECK_EQ(p.pi.err_ns, 10000);
	CHECK_EQ(p.pi.integral_ns, 10000);
	CHECK_EQ(p.corr, -60000);
	plant_step(&p, 100000);
	CHECK_EQ(p.pi.err_ns, 14000);
	CHECK_EQ(p.corr, -94000);
	plant_step(&p, 100000);
	CHECK_EQ(p.pi.err_ns, 14600);
	CHECK_EQ(p.pi.integral_ns, 38600);
	CHECK_EQ(p.corr, -111600);
	plant_step(&p, 100000);
	CHECK_EQ(p.pi.err_ns, 13440);
}

/*
 * Poles at |z| = sqrt(0.5): the error envelope shrinks by ~0.707 per period.
 * The peak error is about 1.5 * drift/10 ns (15 us at 100 ppm, 45 us at
 * 300 ppm), so after 30 periods it is below 45000 * 0.707^30 ~ 1.4 ns plus
 * rounding: within 10 ns. The plant only moves in whole ns ((drift+corr)/10 truncates,
 * a dead zone of +-9 ppb), so the last few ns are worked off by the integral
 * at about 1 ns per period: within 1 ns after 45 periods. At rest err = 0
 * needs corr = -drift to within the dead zone, i.e. integral = drift (KI = 1).
 */
static void pi_converges(s64 drift_ppb)
{
	struct plant p;
	int k;
	s64 worst_30 = 0, worst_45 = 0;

	plant_init(&p);
	for (k = 1; k <= 60; k++) {
		s64 e;

		plant_step(&p, drift_ppb);
		e = p.err < 0 ? -p.err : p.err;
		if (k >= 30 && e > worst_30)
			worst_30 = e;
		if (k >= 45 && e > worst_45)
			worst_45 = e;
	}
	CHECK(worst_30 <= 10);
	CHECK(worst_45 <= 1);
	CHECK_NEAR(p.corr, -drift_ppb, 9);
	CHECK_NEAR(p.pi.integral_ns, drift_ppb, 9);
	CHECK_EQ(p.pi.jumps_total, 0);
	CHECK_EQ(p.pi.updates_total, 60);
}

static void pi_converges_pos(void)
{
	pi_converges(100000);
}

static void pi_converges_neg(void)
{
	pi_converges(-300000);
}

static void pi_converges_small(void)
{
	pi_converges(50000);	/* the module's default drift_ppm=50 */
}

/*
 * 800 ppm is beyond the +-500 ppm range: the output saturates at -500000 and
 * the integral at 500000 (anti-windup), the error grows by (800000-500000)/10
 * = 30000 ns per period once saturated.
 */
static void pi_saturates(void)
{
	struct plant p;
	s64 e1;
	int k;

	plant_init(&p);
	for (k = 0; k < 30; k++)
		plant_step(&p, 800000);
	CHECK_EQ(p.corr, -PRUDAQ_CORR_MAX_PPB);
	CHECK_EQ(p.pi.integral_ns, PRUDAQ_INT_MAX_NS);
	e1 = p.err;
	plant_step(&p, 800000);
	CHECK_EQ(p.err - e1, 30000);
}

static void jump_window(void)
{
	CHECK_EQ(prudaq_sync_is_jump(100 * MS, 100 * MS), 0);
	CHECK_EQ(prudaq_sync_is_jump(95 * MS, 100 * MS), 0);	/* edges are inside */
	CHECK_EQ(prudaq_sync_is_jump(105 * MS, 100 * MS), 0);
	CHECK_EQ(prudaq_sync_is_jump(95 * MS - 1, 100 * MS), 1);
	CHECK_EQ(prudaq_sync_is_jump(105 * MS + 1, 100 * MS), 1);
	CHECK_EQ(prudaq_sync_is_jump(107 * MS, 100 * MS), 1);
	/* A missed trigger: both clocks saw 200 ms. */
	CHECK_EQ(prudaq_sync_is_jump(200 * MS, 200 * MS), 0);
	CHECK_EQ(prudaq_sync_is_jump(0, 100 * MS), 1);
}

/*
 * A converged loop, then PRU1's clock jumps +7 ms: the interval reads 107 ms,
 * outside the window. The update flags it, steps by -err and keeps the drift
 * estimate (corr = -KI * integral); the next trigger, on the stepped timeline,
 * is not a jump.
 */
static void jump_step(void)
{
	struct plant p;
	struct prudaq_sync_out out;
	s32 corr_before;
	int k;

	plant_init(&p);
	for (k = 0; k < 50; k++)
		plant_step(&p, 100000);
	corr_before = p.corr;

	p.err += 7 * MS + (100000 + p.corr) / 10;
	p.host += 100 * MS;
	prudaq_sync_update(&p.pi, p.host + (u64)p.err, p.host, &out);
	CHECK_EQ(out.jump, 1);
	CHECK_EQ(out.step_ns, -p.err);
	CHECK_NEAR(out.step_ns, -7 * MS, 2);
	CHECK_EQ(out.corr_ppb, -(s32)p.pi.integral_ns);
	CHECK_NEAR(out.corr_ppb, corr_before, 20);
	CHECK_EQ(p.pi.jumps_total, 1);

	/* PRU1 applies the step. */
	p.err += out.step_ns;
	p.corr = out.corr_ppb;
	CHECK_EQ(p.err, 0);
	plant_step(&p, 100000);
	CHECK_EQ(p.pi.jumps_total, 1);
	CHECK_NEAR(p.err, 0, 2);
}

/* The first trigger sees a gross offset (10 ms): stepped, counted as a jump. */
static void first_offset(void)
{
	struct prudaq_pi pi;
	struct prudaq_sync_out out;

	prudaq_pi_init(&pi);
	prudaq_sync_update(&pi, 5000 * MS + 10 * MS, 5000 * MS, &out);
	CHECK_EQ(out.jump, 1);
	CHECK_EQ(out.step_ns, -10 * MS);
	CHECK_EQ(out.corr_ppb, 0);
	/* A small first offset is steered, not stepped: 3 us -> -(15000 + 3000). */
	prudaq_pi_init(&pi);
	prudaq_sync_update(&pi, 5000 * MS + 3000, 5000 * MS, &out);
	CHECK_EQ(out.jump, 0);
	CHECK_EQ(out.corr_ppb, -18000);
}

int main(void)
{
	RUN(pi_first_steps);
	RUN(pi_converges_pos);
	RUN(pi_converges_neg);
	RUN(pi_converges_small);
	RUN(pi_saturates);
	RUN(jump_window);
	RUN(jump_step);
	RUN(first_offset);
	return pru_test_done();
}
