// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* PRU1 sync logic: local clock, trigger answers, corrections, closed loop. */
#include "pru_test.h"
#include "prudaq_fw.h"
#include "hal_sim.h"

#define MS 1000000ull

static struct prudaq_shm shm;
static struct prudaq_sim sim;
static struct pru1_ctx ctx;

static void send_corr(s32 ppb, s32 step)
{
	struct prudaq_msg m;

	memset(&m, 0, sizeof(m));
	m.canary = PRUDAQ_CANARY_MSG;
	m.type = PRUDAQ_MSG_SYNC_CORR;
	m.arg0 = (u32)ppb;
	m.arg1 = (u32)step;
	CHECK_EQ(prudaq_mbox_send(&shm.pru1_inbox, &m), PRUDAQ_OK);
}

/* Local clock = epoch at raw 5 s; corrections re-base it where they land. */
static void local_clock(void)
{
	prudaq_shm_init(&shm);
	prudaq_sim_init(&sim, &shm, 1);
	sim.now_ns = 5000 * MS;
	pru1_init(&ctx, &sim.hal, 1000 * MS, 5000 * MS);
	CHECK_EQ(pru1_local_ns(&ctx, 5100 * MS), 1100 * MS);
	CHECK_EQ(pru1_local_ns(&ctx, 4900 * MS), 900 * MS);	/* before the base */

	/* +100 ppm from raw 5.1 s: 100 ms later the local clock is 10 us ahead. */
	sim.now_ns = 5100 * MS;
	send_corr(100000, 0);
	CHECK_EQ(pru1_poll(&ctx), 0);
	CHECK_EQ(ctx.corr_ppb, 100000);
	CHECK_EQ(shm.pru1.corr_ppb, 100000);
	CHECK_EQ(pru1_local_ns(&ctx, 5200 * MS), 1200 * MS + 10000);
	/* -250 ppm and a -7 ms step at raw 5.2 s. */
	sim.now_ns = 5200 * MS;
	send_corr(-250000, -7000000);
	pru1_poll(&ctx);
	CHECK_EQ(pru1_local_ns(&ctx, 5200 * MS), 1200 * MS + 10000 - 7 * MS);
	CHECK_EQ(pru1_local_ns(&ctx, 5300 * MS), 1300 * MS + 10000 - 7 * MS - 25000);
	CHECK_EQ(shm.pru1.corrections_total, 2);
}

static void trigger_answers(void)
{
	struct prudaq_msg m;
	u64 local;

	prudaq_shm_init(&shm);
	prudaq_sim_init(&sim, &shm, 1);
	pru1_init(&ctx, &sim.hal, 0, 0);
	sim.now_ns = 300 * MS;
	prudaq_sim_trigger(&sim, 5);
	sim.now_ns = 301 * MS;				/* answered 1 ms later ... */
	CHECK_EQ(pru1_poll(&ctx), 1);
	CHECK_EQ(prudaq_mbox_recv(&shm.pru1_outbox, &m), PRUDAQ_OK);
	CHECK_EQ(m.type, PRUDAQ_MSG_SYNC_RESP);
	CHECK_EQ(m.seq, 5);
	local = (u64)m.arg1 << 32 | m.arg0;
	CHECK_EQ(local, 300 * MS);			/* ... with the latched time */
	CHECK_EQ(pru1_poll(&ctx), 0);			/* one answer per trigger */

	/* The kernel has not taken the previous answer: counted as missed. */
	prudaq_sim_trigger(&sim, 6);
	pru1_poll(&ctx);
	prudaq_sim_trigger(&sim, 7);
	pru1_poll(&ctx);
	CHECK_EQ(shm.pru1.triggers_total, 2);
	CHECK_EQ(shm.pru1.missed_total, 1);

	/* Above 4.29 s the high word carries. */
	prudaq_shm_init(&shm);
	pru1_init(&ctx, &sim.hal, 5000 * MS, 0);
	sim.now_ns = 0;
	prudaq_sim_trigger(&sim, 8);
	pru1_poll(&ctx);
	prudaq_mbox_recv(&shm.pru1_outbox, &m);
	CHECK_EQ(m.arg1, 1);
	CHECK_EQ(m.arg0, (u32)(5000 * MS - 4294967296ull));
}

/* Without a capture register the trigger comes through the shm mailbox. */
static void software_trigger(void)
{
	struct prudaq_msg m;

	prudaq_shm_init(&shm);
	prudaq_sim_init(&sim, &shm, 0);
	pru1_init(&ctx, &sim.hal, 0, 0);
	memset(&m, 0, sizeof(m));
	m.canary = PRUDAQ_CANARY_MSG;
	m.type = PRUDAQ_MSG_TRIGGER;
	m.seq = 42;
	prudaq_mbox_send(&shm.pru1_trigger, &m);
	sim.now_ns = 700 * MS;
	CHECK_EQ(pru1_poll(&ctx), 1);
	CHECK_EQ(prudaq_mbox_recv(&shm.pru1_outbox, &m), PRUDAQ_OK);
	CHECK_EQ(m.seq, 42);
	CHECK_EQ(m.arg0, 700 * MS);
}

/*
 * The whole loop: PRU1's raw clock runs 50 ppm fast; every 100 ms of host
 * time a trigger latches it, PRU1 answers, the host runs the PI update and
 * sends the correction, PRU1 applies it. First error: 100 ms * 50 ppm =
 * 5000 ns; after 50 periods it is within rounding of 0 and the correction
 * within a few ppb of -50 ppm.
 */
static void closed_loop(void)
{
	struct prudaq_pi pi;
	struct prudaq_sync_out out;
	struct prudaq_msg m;
	u64 host = 0;
	s64 err = 0;
	int k;

	prudaq_shm_init(&shm);
	prudaq_sim_init(&sim, &shm, 1);
	prudaq_pi_init(&pi);
	pru1_init(&ctx, &sim.hal, 0, 0);
	for (k = 0; k < 50; k++) {
		u64 local;

		host += 100 * MS;
		sim.now_ns = host + host / 20000;	/* +50 ppm */
		prudaq_sim_trigger(&sim, (u32)k);
		CHECK_EQ(pru1_poll(&ctx), 1);
		CHECK_EQ(prudaq_mbox_recv(&shm.pru1_outbox, &m), PRUDAQ_OK);
		local = (u64)m.arg1 << 32 | m.arg0;
		prudaq_sync_update(&pi, local, host, &out);
		err = pi.err_ns;
		if (k == 0) {
			CHECK_EQ(err, 5000);
			CHECK_EQ(out.corr_ppb, -30000);
		}
		CHECK_EQ(out.jump, 0);
		m.canary = PRUDAQ_CANARY_MSG;
		m.type = PRUDAQ_MSG_SYNC_CORR;
		m.arg0 = (u32)out.corr_ppb;
		m.arg1 = (u32)out.step_ns;
		CHECK_EQ(prudaq_mbox_send(&shm.pru1_inbox, &m), PRUDAQ_OK);
		pru1_poll(&ctx);
	}
	CHECK_NEAR(err, 0, 2);
	CHECK_NEAR(ctx.corr_ppb, -50000, 10);
	CHECK_EQ(shm.pru1.triggers_total, 50);
}

int main(void)
{
	RUN(local_clock);
	RUN(trigger_answers);
	RUN(software_trigger);
	RUN(closed_loop);
	return pru_test_done();
}
