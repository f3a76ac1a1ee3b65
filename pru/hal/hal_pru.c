// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The real PRU HAL for the AM335x PRU-ICSS, PRU-local addresses:
 *   0x00010000  shared RAM (12 KiB): struct prudaq_shm
 *   0x0002e000  IEP timer: GLB_CFG at +0x00, COUNT at +0x0c
 * The IEP runs at 200 MHz; with an increment of 5 per cycle its 32-bit
 * counter counts nanoseconds and wraps every 4.29 s, which clock_ns extends
 * to 64 bits (the main loop polls far more often than that).
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#include "hal_pru.h"

#define PRU_SHARED_RAM		0x00010000u
#define IEP_BASE		0x0002e000u
#define IEP_GLB_CFG		(IEP_BASE + 0x00u)
#define IEP_COUNT		(IEP_BASE + 0x0cu)
#define IEP_CFG_ENABLE_INC5	((5u << 4) | 1u)

/*
 * PRU register and memory-mapped access: volatile is the PRU compilers' only
 * means (checkpatch WARNING VOLATILE, justified: no kernel accessors here).
 */
static inline u32 reg_read(u32 addr)
{
	return *(volatile u32 *)addr;
}

static inline void reg_write(u32 addr, u32 val)
{
	*(volatile u32 *)addr = val;
}

static u32 iep_last;
static u64 iep_high;

static u64 pru_clock_ns(void *priv)
{
	u32 now = reg_read(IEP_COUNT);

	(void)priv;
	if (now < iep_last)
		iep_high += 0x100000000ull;	/* 2^32 */
	iep_last = now;
	return iep_high | now;
}

/* No ADC is wired on the reference setup: a ramp stands in for it. */
static s16 pru_adc(void *priv, u32 chan, u32 seq)
{
	(void)priv;
	return (s16)(u16)(seq * 4u + chan * 0x4000u);
}

struct prudaq_hal prudaq_hal_pru;

void hal_pru_init(void)
{
	reg_write(IEP_GLB_CFG, IEP_CFG_ENABLE_INC5);
	prudaq_hal_pru.priv = 0;
	prudaq_hal_pru.shm = (struct prudaq_shm *)PRU_SHARED_RAM;
	prudaq_hal_pru.clock_ns = pru_clock_ns;
	prudaq_hal_pru.adc_read = pru_adc;
	/* PRU1 polls the software trigger mailbox the kernel writes. */
	prudaq_hal_pru.trigger_capture = 0;
	prudaq_hal_pru.notify_host = 0;
}
