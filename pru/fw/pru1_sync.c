// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * PRU1: the sync core. At each 100 ms trigger it answers with its local clock
 * latched at the trigger; it applies the rate correction (and, after a
 * timestamp jump, the phase step) the kernel sends back.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#include "prudaq_fw.h"

#define NSEC_PER_SEC_S	1000000000
/* Re-base the local clock after ~17 minutes so delta * ppb fits s64. */
#define PRU1_REBASE_NS	0x10000000000ll	/* 2^40 */

s64 pru1_local_ns(const struct pru1_ctx *ctx, u64 raw)
{
	s64 delta = (s64)(raw - ctx->raw_base);

	return ctx->local_base + delta +
	       prudaq_div_s64(delta * ctx->corr_ppb, NSEC_PER_SEC_S);
}

static void pru1_rebase(struct pru1_ctx *ctx, u64 raw)
{
	ctx->local_base = pru1_local_ns(ctx, raw);
	ctx->raw_base = raw;
}

void pru1_init(struct pru1_ctx *ctx, const struct prudaq_hal *hal, u64 epoch_ns,
	       u64 epoch_raw)
{
	ctx->hal = hal;
	ctx->shm = hal->shm;
	ctx->raw_base = epoch_raw;
	ctx->local_base = (s64)epoch_ns;
	ctx->corr_ppb = 0;
	ctx->canary_reported = 0;
	prudaq_wr32(&ctx->shm->pru1.state, PRUDAQ_STATE_RUNNING);
}

static int pru1_get_trigger(struct pru1_ctx *ctx, u64 *raw, u32 *seq)
{
	const struct prudaq_hal *hal = ctx->hal;
	struct prudaq_msg msg;
	int ret;

	if (hal->trigger_capture)
		return hal->trigger_capture(hal->priv, raw, seq);
	/* Software trigger through shared memory: latch the clock now. */
	ret = prudaq_mbox_recv(&ctx->shm->pru1_trigger, &msg);
	if (ret == PRUDAQ_E_EMPTY)
		return 0;
	*raw = hal->clock_ns(hal->priv);
	*seq = msg.seq;
	return ret == PRUDAQ_OK && msg.type == PRUDAQ_MSG_TRIGGER;
}

int pru1_poll(struct pru1_ctx *ctx)
{
	struct prudaq_pru1_status *st = &ctx->shm->pru1;
	struct prudaq_msg msg;
	u64 raw;
	u32 seq;
	int answered = 0;
	int ret;

	prudaq_wr32(&st->heartbeat, st->heartbeat + 1);
	if (pru1_get_trigger(ctx, &raw, &seq)) {
		u64 local = (u64)pru1_local_ns(ctx, raw);

		msg.canary = PRUDAQ_CANARY_MSG;
		msg.type = PRUDAQ_MSG_SYNC_RESP;
		msg.seq = (u16)seq;
		msg.arg0 = (u32)local;
		msg.arg1 = (u32)(local >> 32);
		if (prudaq_mbox_send(&ctx->shm->pru1_outbox, &msg) == PRUDAQ_OK)
			prudaq_wr32(&st->triggers_total, st->triggers_total + 1);
		else
			prudaq_wr32(&st->missed_total, st->missed_total + 1);
		answered = 1;
	}
	ret = prudaq_mbox_recv(&ctx->shm->pru1_inbox, &msg);
	if (ret == PRUDAQ_E_CANARY) {
		prudaq_wr32(&st->canary_err_total, st->canary_err_total + 1);
	} else if (ret == PRUDAQ_OK && msg.type == PRUDAQ_MSG_SYNC_CORR) {
		raw = ctx->hal->clock_ns(ctx->hal->priv);
		pru1_rebase(ctx, raw);
		ctx->corr_ppb = (s32)msg.arg0;
		ctx->local_base += (s32)msg.arg1;
		prudaq_wr32(&st->corrections_total, st->corrections_total + 1);
		prudaq_wr32((u32 *)&st->corr_ppb, (u32)ctx->corr_ppb);
	} else {
		raw = ctx->hal->clock_ns(ctx->hal->priv);
		if ((s64)(raw - ctx->raw_base) > PRU1_REBASE_NS)
			pru1_rebase(ctx, raw);
	}
	return answered;
}
