// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Host simulation HAL for the unit tests.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#include "hal_sim.h"

static u64 sim_clock(void *priv)
{
	struct prudaq_sim *sim = priv;

	return sim->now_ns;
}

s16 prudaq_sim_adc_value(u32 chan, u32 seq)
{
	return (s16)(u16)(seq * 3u + chan * 1000u);
}

static s16 sim_adc(void *priv, u32 chan, u32 seq)
{
	(void)priv;
	return prudaq_sim_adc_value(chan, seq);
}

static int sim_capture(void *priv, u64 *raw_ns, u32 *seq)
{
	struct prudaq_sim *sim = priv;

	if (!sim->trig_pending)
		return 0;
	sim->trig_pending = 0;
	*raw_ns = sim->trig_raw_ns;
	*seq = sim->trig_seq;
	return 1;
}

void prudaq_sim_init(struct prudaq_sim *sim, struct prudaq_shm *shm, int with_capture)
{
	sim->hal.priv = sim;
	sim->hal.shm = shm;
	sim->hal.clock_ns = sim_clock;
	sim->hal.adc_read = sim_adc;
	sim->hal.trigger_capture = with_capture ? sim_capture : 0;
	sim->hal.notify_host = 0;
	sim->now_ns = 0;
	sim->trig_pending = 0;
	sim->trig_raw_ns = 0;
	sim->trig_seq = 0;
}

void prudaq_sim_trigger(struct prudaq_sim *sim, u32 seq)
{
	sim->trig_pending = 1;
	sim->trig_raw_ns = sim->now_ns;
	sim->trig_seq = seq;
}
