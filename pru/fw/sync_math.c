// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * prudaq sync math: PI controller and timestamp-jump detection. The kernel's
 * sync loop runs it on every trigger; see prudaq_fw.h for the derivation.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#include "prudaq_fw.h"

void prudaq_pi_init(struct prudaq_pi *pi)
{
	pi->integral_ns = 0;
	pi->err_ns = 0;
	pi->corr_ppb = 0;
	pi->last_local_ns = 0;
	pi->last_host_ns = 0;
	pi->have_last = 0;
	pi->jumps_total = 0;
	pi->updates_total = 0;
}

int prudaq_sync_is_jump(s64 local_delta_ns, s64 host_delta_ns)
{
	s64 d = local_delta_ns - host_delta_ns;

	return d > PRUDAQ_JUMP_WINDOW_NS || d < -PRUDAQ_JUMP_WINDOW_NS;
}

static s64 clamp_s64(s64 v, s64 lo, s64 hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return v;
}

void prudaq_sync_update(struct prudaq_pi *pi, u64 local_ns, u64 host_ns,
			struct prudaq_sync_out *out)
{
	s64 err = (s64)(local_ns - host_ns);
	s64 corr;
	int jump;

	if (pi->have_last)
		jump = prudaq_sync_is_jump((s64)(local_ns - pi->last_local_ns),
					   (s64)(host_ns - pi->last_host_ns));
	else
		/* First trigger: a gross offset is handled like a jump. */
		jump = err > PRUDAQ_JUMP_WINDOW_NS || err < -PRUDAQ_JUMP_WINDOW_NS;

	pi->updates_total++;
	pi->err_ns = err;
	pi->last_host_ns = host_ns;
	if (jump) {
		s64 step = clamp_s64(-err, -PRUDAQ_STEP_MAX_NS, PRUDAQ_STEP_MAX_NS);

		pi->jumps_total++;
		/* The next interval is measured on the stepped timeline. */
		pi->last_local_ns = local_ns + (u64)step;
		pi->have_last = 1;
		out->jump = 1;
		out->step_ns = (s32)step;
		/* Keep steering with the drift the integral has learnt. */
		corr = -(s64)PRUDAQ_PI_KI * pi->integral_ns;
		pi->corr_ppb = (s32)clamp_s64(corr, -PRUDAQ_CORR_MAX_PPB,
					      PRUDAQ_CORR_MAX_PPB);
		out->corr_ppb = pi->corr_ppb;
		return;
	}
	pi->last_local_ns = local_ns;
	pi->have_last = 1;
	pi->integral_ns = clamp_s64(pi->integral_ns + err, -PRUDAQ_INT_MAX_NS,
				    PRUDAQ_INT_MAX_NS);
	corr = -((s64)PRUDAQ_PI_KP * err + (s64)PRUDAQ_PI_KI * pi->integral_ns);
	pi->corr_ppb = (s32)clamp_s64(corr, -PRUDAQ_CORR_MAX_PPB,
				      PRUDAQ_CORR_MAX_PPB);
	out->jump = 0;
	out->step_ns = 0;
	out->corr_ppb = pi->corr_ppb;
}
