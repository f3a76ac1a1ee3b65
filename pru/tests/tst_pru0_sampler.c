// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* PRU0 sampler logic on the simulation HAL: commands, sampling, errors. */
#include "pru_test.h"
#include "prudaq_fw.h"
#include "hal_sim.h"

#define MS 1000000ull

static struct prudaq_shm shm;
static struct prudaq_sim sim;
static struct pru0_ctx ctx;

static void setup(void)
{
	prudaq_shm_init(&shm);
	prudaq_sim_init(&sim, &shm, 0);
	pru0_init(&ctx, &sim.hal);
}

static void cmd(u16 type, u32 arg0)
{
	struct prudaq_msg m;

	memset(&m, 0, sizeof(m));
	m.canary = PRUDAQ_CANARY_MSG;
	m.type = type;
	m.arg0 = arg0;
	CHECK_EQ(prudaq_msg_push(&shm.msg_to_pru0, &m), PRUDAQ_OK);
}

static u32 poll_at(u64 t)
{
	sim.now_ns = t;
	return pru0_poll(&ctx);
}

/* Collects what PRU0 sent; returns the count. */
static int replies(struct prudaq_msg *out, int max)
{
	int n = 0;

	while (n < max && prudaq_msg_pop(&shm.msg_from_pru0, &out[n]) == PRUDAQ_OK)
		n++;
	return n;
}

static void start_and_sample(void)
{
	struct prudaq_msg r[16];
	struct prudaq_sample s[32];
	u32 i;

	setup();
	CHECK_EQ(shm.pru0.state, PRUDAQ_STATE_IDLE);
	CHECK_EQ(poll_at(0), 0);			/* not running: nothing */
	cmd(PRUDAQ_MSG_START, 0);
	CHECK_EQ(poll_at(0), 0);			/* started at t=0: nothing due */
	CHECK_EQ(shm.pru0.state, PRUDAQ_STATE_RUNNING);
	CHECK_EQ(replies(r, 16), 1);
	CHECK_EQ(r[0].type, PRUDAQ_MSG_STATUS);
	CHECK_EQ(r[0].arg0, PRUDAQ_STATE_RUNNING);
	CHECK_EQ(r[0].arg1, 1000);

	/* 1000 Hz: 10 ms -> 10 samples per channel. */
	CHECK_EQ(poll_at(10 * MS), 10);
	CHECK_EQ(prudaq_buf_fill(&shm.buf[0]), 10);
	CHECK_EQ(prudaq_buf_fill(&shm.buf[1]), 10);
	CHECK_EQ(shm.pru0.samples_total, 10);
	CHECK_EQ(poll_at(10 * MS + 500000), 0);		/* half a period: nothing */
	CHECK_EQ(poll_at(11 * MS), 1);
	CHECK_EQ(prudaq_buf_get(&shm.buf[1], s, 32), 11);
	for (i = 0; i < 11; i++) {
		CHECK_EQ(s[i].seq, i);
		CHECK_EQ(s[i].chan, 1);
		CHECK_EQ(s[i].value, prudaq_sim_adc_value(1, i));
	}
	CHECK_EQ(s[10].value, 1030);			/* 10 * 3 + 1 * 1000 */

	cmd(PRUDAQ_MSG_STOP, 0);
	CHECK_EQ(poll_at(50 * MS), 0);
	CHECK_EQ(shm.pru0.state, PRUDAQ_STATE_IDLE);
	CHECK_EQ(shm.pru0.heartbeat, 6);		/* one per poll */
}

static void commands(void)
{
	struct prudaq_msg r[16];
	int n;

	setup();
	cmd(PRUDAQ_MSG_SET_RATE, 0);			/* below 1 Hz */
	cmd(PRUDAQ_MSG_SET_RATE, 100001);		/* above 100 kHz */
	cmd(0x55, 9);					/* unknown */
	cmd(PRUDAQ_MSG_PING, 77);
	cmd(PRUDAQ_MSG_SET_RATE, 2000);
	poll_at(20 * MS);
	n = replies(r, 16);
	CHECK_EQ(n, 5);
	CHECK_EQ(r[0].type, PRUDAQ_MSG_ERR_INVALID);
	CHECK_EQ(r[0].arg0, PRUDAQ_MSG_SET_RATE);
	CHECK_EQ(r[1].type, PRUDAQ_MSG_ERR_INVALID);
	CHECK_EQ(r[1].arg1, 100001);
	CHECK_EQ(r[2].type, PRUDAQ_MSG_ERR_INVALID);
	CHECK_EQ(r[2].arg0, 0x55);
	CHECK_EQ(r[2].arg1, 9);
	CHECK_EQ(r[3].type, PRUDAQ_MSG_PONG);
	CHECK_EQ(r[3].arg0, 77);
	CHECK_EQ(r[4].type, PRUDAQ_MSG_STATUS);
	CHECK_EQ(r[4].arg1, 2000);
	CHECK_EQ(shm.pru0.invalid_cmd_total, 3);
	CHECK_EQ(shm.pru0.rate_hz, 2000);

	/* 2 kHz from t=20 ms (the clock restarts at START): 5 ms -> 10 samples. */
	cmd(PRUDAQ_MSG_START, 0);
	poll_at(20 * MS);
	CHECK_EQ(poll_at(25 * MS), 10);
}

/*
 * Polled every 1 ms for 600 ms at 1000 Hz with nobody consuming: 600 samples
 * per channel into 512 slots -> 88 dropped per channel, 176 in all, and one
 * backpressure report per buffer. Freeing 100 slots ends the episode; 100 ms
 * later the buffers are full again and each reports a second episode.
 */
static void overflow_and_backpressure(void)
{
	struct prudaq_msg r[16];
	u64 t;
	int n, i, bp = 0;

	setup();
	cmd(PRUDAQ_MSG_START, 0);
	for (t = 0; t <= 600 * MS; t += MS)
		poll_at(t);
	CHECK_EQ(shm.pru0.samples_total, 600);
	CHECK_EQ(prudaq_buf_fill(&shm.buf[0]), 512);
	CHECK_EQ(shm.buf[0].overflow, 88);
	CHECK_EQ(shm.buf[1].overflow, 88);
	CHECK_EQ(shm.pru0.overflow_total, 176);
	CHECK_EQ(shm.pru0.backpressure_total, 2);
	CHECK_EQ(shm.buf[0].backpressure, 1);
	n = replies(r, 16);
	for (i = 0; i < n; i++)
		if (r[i].type == PRUDAQ_MSG_ERR_BACKPRESSURE)
			bp++;
	CHECK_EQ(bp, 2);
	/* First report: buffer 0 when sample 512 (the 513th) did not fit: 1 lost. */
	CHECK_EQ(r[1].type, PRUDAQ_MSG_ERR_BACKPRESSURE);
	CHECK_EQ(r[1].arg0, 0);
	CHECK_EQ(r[1].arg1, 1);
	CHECK_EQ(r[2].arg0, 1);
	CHECK_EQ(r[2].arg1, 2);

	CHECK_EQ(prudaq_buf_drop(&shm.buf[0], 100), 100);
	CHECK_EQ(prudaq_buf_drop(&shm.buf[1], 100), 100);
	poll_at(601 * MS);
	CHECK_EQ(shm.buf[0].backpressure, 0);
	CHECK_EQ(shm.pru0.overflow_total, 176);
	for (t = 602 * MS; t <= 701 * MS; t += MS)
		poll_at(t);
	CHECK_EQ(prudaq_buf_fill(&shm.buf[0]), 512);
	CHECK_EQ(shm.pru0.overflow_total, 178);		/* 701: one more each */
	CHECK_EQ(shm.pru0.backpressure_total, 4);
}

/* A 1 s stall: at most PRUDAQ_PRU0_MAX_BURST per poll, the rest skipped. */
static void stall_burst(void)
{
	setup();
	cmd(PRUDAQ_MSG_START, 0);
	poll_at(0);
	CHECK_EQ(poll_at(1000 * MS), PRUDAQ_PRU0_MAX_BURST);
	CHECK_EQ(ctx.skipped_total, 1000 - PRUDAQ_PRU0_MAX_BURST);
	CHECK_EQ(poll_at(1001 * MS), 1);
	CHECK_EQ(ctx.seq, PRUDAQ_PRU0_MAX_BURST + 1);
}

static void canary_reports(void)
{
	struct prudaq_msg r[16];
	struct prudaq_msg m;

	setup();
	poll_at(0);
	CHECK_EQ(replies(r, 16), 0);
	shm.buf[1].canary_end = 0x12345678;
	poll_at(MS);
	CHECK_EQ(replies(r, 16), 1);
	CHECK_EQ(r[0].type, PRUDAQ_MSG_ERR_CANARY);
	CHECK_EQ(r[0].arg0, PRUDAQ_CID_BUF0 + 1);
	poll_at(2 * MS);				/* reported once, not every poll */
	CHECK_EQ(replies(r, 16), 0);
	CHECK_EQ(shm.pru0.canary_err_total, 1);
	shm.buf[1].canary_end = PRUDAQ_CANARY_BUF;	/* heals ... */
	poll_at(3 * MS);
	shm.buf[1].canary_end = 0;			/* ... breaks again */
	poll_at(4 * MS);
	CHECK_EQ(replies(r, 16), 1);
	CHECK_EQ(shm.pru0.canary_err_total, 2);

	/* A command whose slot canary was harmed is reported, not executed. */
	shm.buf[1].canary_end = PRUDAQ_CANARY_BUF;
	poll_at(5 * MS);
	memset(&m, 0, sizeof(m));
	m.canary = PRUDAQ_CANARY_MSG;
	m.type = PRUDAQ_MSG_START;
	prudaq_msg_push(&shm.msg_to_pru0, &m);
	shm.msg_to_pru0.slot[0].canary = 0;
	poll_at(6 * MS);
	CHECK_EQ(replies(r, 16), 1);
	CHECK_EQ(r[0].arg0, PRUDAQ_CID_MSG);
	CHECK_EQ(ctx.running, 0);
}

int main(void)
{
	RUN(start_and_sample);
	RUN(commands);
	RUN(overflow_and_backpressure);
	RUN(stall_burst);
	RUN(canary_reports);
	return pru_test_done();
}
