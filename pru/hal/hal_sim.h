/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Host simulation HAL for the unit tests: the test owns the clock and fires
 * triggers by hand.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#ifndef PRUDAQ_HAL_SIM_H
#define PRUDAQ_HAL_SIM_H

#include "prudaq_hal.h"

struct prudaq_sim {
	struct prudaq_hal hal;
	u64 now_ns;		/* the core's raw clock */
	int trig_pending;
	u64 trig_raw_ns;
	u32 trig_seq;
};

/* with_capture = 0: PRU1 uses the software trigger mailbox in shm. */
void prudaq_sim_init(struct prudaq_sim *sim, struct prudaq_shm *shm, int with_capture);
/* A trigger edge now: latches the raw clock. */
void prudaq_sim_trigger(struct prudaq_sim *sim, u32 seq);
/* The simulated ADC: value = seq * 3 + chan * 1000 (mod 2^16). */
s16 prudaq_sim_adc_value(u32 chan, u32 seq);

#endif /* PRUDAQ_HAL_SIM_H */
