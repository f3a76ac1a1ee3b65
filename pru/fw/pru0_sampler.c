// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * PRU0: the sampler. Produces one sample per channel and period into the
 * sample buffers, serves commands from the kernel's message ring, and reports
 * errors (backpressure, harmed canaries, invalid commands) back to it.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#include "prudaq_fw.h"

#define NSEC_PER_SEC_U	1000000000u
/* Re-base the sample clock after ~18 minutes so (now - start) * rate fits u64. */
#define PRU0_REBASE_NS	0x10000000000ull	/* 2^40 */

static void pru0_send(struct pru0_ctx *ctx, u16 type, u32 arg0, u32 arg1)
{
	struct prudaq_msg msg;

	msg.canary = PRUDAQ_CANARY_MSG;
	msg.type = type;
	msg.seq = (u16)ctx->seq;
	msg.arg0 = arg0;
	msg.arg1 = arg1;
	/* A full ring counts the message in msg_from_pru0.dropped. */
	prudaq_msg_push(&ctx->shm->msg_from_pru0, &msg);
}

static void pru0_set_state(struct pru0_ctx *ctx, u32 state)
{
	prudaq_wr32(&ctx->shm->pru0.state, state);
	prudaq_wr32(&ctx->shm->pru0.rate_hz, ctx->rate_hz);
	pru0_send(ctx, PRUDAQ_MSG_STATUS, state, ctx->rate_hz);
}

static void pru0_canary_error(struct pru0_ctx *ctx, u32 cid)
{
	struct prudaq_pru0_status *st = &ctx->shm->pru0;

	prudaq_wr32(&st->canary_err_total, st->canary_err_total + 1);
	pru0_send(ctx, PRUDAQ_MSG_ERR_CANARY, cid, 0);
}

/* Reports each harmed canary once (again if it heals and breaks again). */
static void pru0_check_canaries(struct pru0_ctx *ctx)
{
	u32 bad = prudaq_shm_check_canaries(ctx->shm);
	u32 fresh = bad & ~ctx->canary_reported;
	u32 cid;

	for (cid = 0; fresh; cid++) {
		if (fresh & (1u << cid)) {
			pru0_canary_error(ctx, cid);
			fresh &= ~(1u << cid);
		}
	}
	ctx->canary_reported = bad;
}

static void pru0_restart_clock(struct pru0_ctx *ctx)
{
	ctx->start_ns = ctx->hal->clock_ns(ctx->hal->priv);
	ctx->produced = 0;
}

static void pru0_handle(struct pru0_ctx *ctx, const struct prudaq_msg *msg)
{
	struct prudaq_pru0_status *st = &ctx->shm->pru0;

	switch (msg->type) {
	case PRUDAQ_MSG_START:
		if (!ctx->running) {
			ctx->running = 1;
			pru0_restart_clock(ctx);
		}
		pru0_set_state(ctx, PRUDAQ_STATE_RUNNING);
		break;
	case PRUDAQ_MSG_STOP:
		ctx->running = 0;
		pru0_set_state(ctx, PRUDAQ_STATE_IDLE);
		break;
	case PRUDAQ_MSG_SET_RATE:
		if (msg->arg0 < PRUDAQ_RATE_MIN_HZ || msg->arg0 > PRUDAQ_RATE_MAX_HZ)
			goto invalid;
		ctx->rate_hz = msg->arg0;
		pru0_restart_clock(ctx);
		pru0_set_state(ctx, ctx->running ? PRUDAQ_STATE_RUNNING :
				   PRUDAQ_STATE_IDLE);
		break;
	case PRUDAQ_MSG_PING:
		pru0_send(ctx, PRUDAQ_MSG_PONG, msg->arg0, 0);
		break;
	default:
		goto invalid;
	}
	return;
invalid:
	prudaq_wr32(&st->invalid_cmd_total, st->invalid_cmd_total + 1);
	pru0_send(ctx, PRUDAQ_MSG_ERR_INVALID, msg->type, msg->arg0);
}

static void pru0_put(struct pru0_ctx *ctx, u32 chan)
{
	struct prudaq_sample_buf *buf = &ctx->shm->buf[chan];
	struct prudaq_pru0_status *st = &ctx->shm->pru0;
	struct prudaq_sample s;

	s.seq = ctx->seq;
	s.chan = (u16)chan;
	s.value = ctx->hal->adc_read(ctx->hal->priv, chan, ctx->seq);
	if (prudaq_buf_put(buf, &s) == PRUDAQ_OK) {
		if (buf->backpressure)
			prudaq_wr32(&buf->backpressure, 0);
		return;
	}
	prudaq_wr32(&buf->overflow, buf->overflow + 1);
	prudaq_wr32(&st->overflow_total, st->overflow_total + 1);
	if (!buf->backpressure) {
		/* Report once per episode: the buffer just became full. */
		prudaq_wr32(&buf->backpressure, 1);
		prudaq_wr32(&st->backpressure_total, st->backpressure_total + 1);
		pru0_send(ctx, PRUDAQ_MSG_ERR_BACKPRESSURE, chan, st->overflow_total);
	}
}

static u32 pru0_sample(struct pru0_ctx *ctx)
{
	struct prudaq_pru0_status *st = &ctx->shm->pru0;
	u64 now = ctx->hal->clock_ns(ctx->hal->priv);
	u64 elapsed = now - ctx->start_ns;
	u64 due, n64;
	u32 n, i, chan;

	if (now < ctx->start_ns)
		return 0;
	due = prudaq_div_u64(elapsed * ctx->rate_hz, NSEC_PER_SEC_U);
	n64 = due - ctx->produced;
	if (n64 > PRUDAQ_PRU0_MAX_BURST) {
		/* We were stalled: skip what cannot be caught up. */
		ctx->skipped_total += (u32)(n64 - PRUDAQ_PRU0_MAX_BURST);
		ctx->produced += n64 - PRUDAQ_PRU0_MAX_BURST;
		n64 = PRUDAQ_PRU0_MAX_BURST;
	}
	n = (u32)n64;
	for (i = 0; i < n; i++) {
		for (chan = 0; chan < PRUDAQ_NUM_BUFS; chan++)
			pru0_put(ctx, chan);
		ctx->seq++;
	}
	ctx->produced += n;
	prudaq_wr32(&st->samples_total, st->samples_total + n);
	if (elapsed > PRU0_REBASE_NS) {
		/* Keep the fractional period: advance start by whole samples. */
		ctx->start_ns += prudaq_div_u64(ctx->produced * NSEC_PER_SEC_U,
						ctx->rate_hz);
		ctx->produced = 0;
	}
	return n;
}

void pru0_init(struct pru0_ctx *ctx, const struct prudaq_hal *hal)
{
	ctx->hal = hal;
	ctx->shm = hal->shm;
	ctx->start_ns = 0;
	ctx->produced = 0;
	ctx->seq = 0;
	ctx->rate_hz = PRUDAQ_RATE_DEFAULT_HZ;
	ctx->running = 0;
	ctx->canary_reported = 0;
	ctx->skipped_total = 0;
	prudaq_wr32(&ctx->shm->pru0.state, PRUDAQ_STATE_IDLE);
	prudaq_wr32(&ctx->shm->pru0.rate_hz, ctx->rate_hz);
}

u32 pru0_poll(struct pru0_ctx *ctx)
{
	struct prudaq_shm *shm = ctx->shm;
	struct prudaq_msg msg;
	u32 budget = PRUDAQ_MSG_SLOTS;
	int ret;

	prudaq_wr32(&shm->pru0.heartbeat, shm->pru0.heartbeat + 1);
	pru0_check_canaries(ctx);
	/* At most one ring's worth of commands per pass: a flood cannot starve sampling. */
	while (budget--) {
		ret = prudaq_msg_pop(&shm->msg_to_pru0, &msg);
		if (ret == PRUDAQ_E_EMPTY)
			break;
		if (ret == PRUDAQ_E_CANARY) {
			pru0_canary_error(ctx, PRUDAQ_CID_MSG);
			continue;
		}
		pru0_handle(ctx, &msg);
	}
	if (!ctx->running)
		return 0;
	return pru0_sample(ctx);
}
