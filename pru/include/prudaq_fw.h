/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * prudaq firmware logic (PRU0 sampler, PRU1 sync) and the sync math the
 * kernel's sync loop uses. Freestanding: no libc, no OS.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#ifndef PRUDAQ_FW_H
#define PRUDAQ_FW_H

#include "prudaq_proto.h"
#include "prudaq_hal.h"

/* Most samples PRU0 produces per channel in one poll (bounds the loop time). */
#define PRUDAQ_PRU0_MAX_BURST	256u

struct pru0_ctx {
	const struct prudaq_hal *hal;
	struct prudaq_shm *shm;
	u64 start_ns;		/* clock when the current rate took effect */
	u64 produced;		/* sample periods done since start_ns */
	u32 seq;		/* next sample number */
	u32 rate_hz;
	u32 running;
	u32 canary_reported;	/* PRUDAQ_CID bits already reported */
	u32 skipped_total;	/* periods skipped after a stall (over burst) */
};

void pru0_init(struct pru0_ctx *ctx, const struct prudaq_hal *hal);
/* One pass of the PRU0 main loop. Returns samples produced per channel. */
u32 pru0_poll(struct pru0_ctx *ctx);

struct pru1_ctx {
	const struct prudaq_hal *hal;
	struct prudaq_shm *shm;
	s64 local_base;		/* local clock at raw_base */
	u64 raw_base;
	s32 corr_ppb;		/* rate correction in effect */
	u32 canary_reported;
};

/*
 * The local clock reads epoch_ns when the raw clock reads epoch_raw (the host
 * tells PRU1 its time at start; the virtual backend knows both exactly).
 */
void pru1_init(struct pru1_ctx *ctx, const struct prudaq_hal *hal, u64 epoch_ns,
	       u64 epoch_raw);
/* PRU1's corrected local clock at raw clock value raw. */
s64 pru1_local_ns(const struct pru1_ctx *ctx, u64 raw);
/* One pass of the PRU1 main loop. Returns 1 if a trigger was answered. */
int pru1_poll(struct pru1_ctx *ctx);

/*
 * Sync math (the kernel runs it, the tests check it). Every 100 ms the host
 * compares PRU1's local clock at a trigger with its own clock at that trigger:
 * err = local - host (ns). A PI controller turns err into a rate correction
 * in ppb: corr = -(KP * err + KI * integral), integral = sum of err. With a
 * 100 ms period a correction of c ppb moves the phase by c / 10 ns per period,
 * so KP = 5 ppb/ns and KI = 1 ppb/ns give the closed loop
 *   e[k+2] - 1.4 e[k+1] + 0.5 e[k] = 0,
 * poles 0.7 +- 0.1i (|z| = 0.707): the error falls by ~30 % per period, no
 * overshoot worth the name, and the integral absorbs any constant drift.
 * A trigger interval outside 100 ms +- 5 ms (in local time, against the
 * host's interval) is a timestamp jump: the host then steps PRU1's clock by
 * -err instead of steering, and the integral keeps its drift estimate.
 */
#define PRUDAQ_PI_KP		5	/* ppb per ns of error */
#define PRUDAQ_PI_KI		1	/* ppb per ns of integral */
#define PRUDAQ_CORR_MAX_PPB	500000	/* +-500 ppm */
#define PRUDAQ_INT_MAX_NS	(PRUDAQ_CORR_MAX_PPB / PRUDAQ_PI_KI)
#define PRUDAQ_JUMP_WINDOW_NS	5000000	/* 95..105 ms for a 100 ms period */
#define PRUDAQ_STEP_MAX_NS	2000000000 /* steps are clamped to +-2 s */

struct prudaq_pi {
	s64 integral_ns;
	s64 err_ns;		/* last error */
	s32 corr_ppb;		/* last output */
	u64 last_local_ns;
	u64 last_host_ns;
	u32 have_last;
	u32 jumps_total;
	u32 updates_total;
};

struct prudaq_sync_out {
	s32 corr_ppb;		/* rate correction to apply */
	s32 step_ns;		/* phase step to apply (0 unless a jump) */
	u32 jump;		/* 1 if this trigger was a timestamp jump */
};

void prudaq_pi_init(struct prudaq_pi *pi);
/* 1 if a trigger interval (local clock) does not match the host's +- window. */
int prudaq_sync_is_jump(s64 local_delta_ns, s64 host_delta_ns);
/* Feed one trigger: PRU1's local clock and the host's clock at the trigger. */
void prudaq_sync_update(struct prudaq_pi *pi, u64 local_ns, u64 host_ns,
			struct prudaq_sync_out *out);

#endif /* PRUDAQ_FW_H */
