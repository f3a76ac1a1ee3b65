/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The tiny hardware abstraction the prudaq firmware logic is written against.
 * Three implementations exist:
 *   pru/hal/hal_pru.c      the real PRU: IEP timer, R31 events, shared RAM
 *   pru/hal/hal_sim.c      host unit tests: a clock the test sets
 *   kmod/prudaq_virt.c     prudaq.ko's virtual backend: kernel threads, a
 *                          drifting, jittering PRU1 clock derived from ktime
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#ifndef PRUDAQ_HAL_H
#define PRUDAQ_HAL_H

#include "prudaq_proto.h"

struct prudaq_hal {
	void *priv;
	/* Memory: the shared struct as this core sees it. */
	struct prudaq_shm *shm;
	/* Clock: this core's free-running clock in ns (wraps only after 584 years). */
	u64 (*clock_ns)(void *priv);
	/* Registers: the ADC value of channel chan for sample number seq. */
	s16 (*adc_read)(void *priv, u32 chan, u32 seq);
	/*
	 * PRU1 only: if a sync trigger arrived since the last call, store the
	 * raw clock latched at the trigger edge and the trigger's sequence
	 * number, and return 1; else return 0.
	 */
	int (*trigger_capture)(void *priv, u64 *raw_ns, u32 *seq);
	/* Optional: raise the host interrupt (R31 event); may be NULL. */
	void (*notify_host)(void *priv, u32 event);
};

#endif /* PRUDAQ_HAL_H */
