// SPDX-License-Identifier: GPL-2.0-only
/*
 * prudaq virtual backend: no PRU hardware. The shared memory is ordinary
 * kernel memory and the pru/ firmware logic (pru0_poll, pru1_poll) runs in
 * two kernel threads against it, through a HAL that models the PRU clocks:
 * PRU0 runs on the host clock, PRU1 on a clock with drift_ppm plus a slow
 * wander (a bounded random walk of the rate, up to drift_wander_ppb, as a
 * crystal's temperature gives), jitter_ns on its trigger captures (interrupt
 * latency), and (fault=clock_jump) a jump of clock_jump_ms every
 * clock_jump_period_ms.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "prudaq.h"

struct prudaq_virt {
	struct prudaq_hal hal0;
	struct prudaq_hal hal1;
	struct pru0_ctx pru0;
	struct pru1_ctx pru1;
	struct task_struct *thread0;
	struct task_struct *thread1;

	spinlock_t lock;		/* the PRU1 clock model and trigger latch */
	u64 base_host_ns;		/* host time at the model's base */
	s64 base_raw_ns;		/* PRU1 raw clock at the base */
	int drift_ppm;
	s32 wander_ppb;			/* current wander of the rate */
	u32 wander_max_ppb;		/* its bound; 0: no wander */
	u32 jitter_ns;
	u64 jump_start_ns;
	u64 jump_period_ns;		/* 0: no jumps */
	u64 jump_ns;
	bool trig_pending;
	u64 trig_raw_ns;
	u32 trig_seq;
};

/*
 * Not allocated: the hrtimers may still reach the model during a faulty
 * teardown (fault=unload_race), and only the shared memory is meant to go.
 */
static struct prudaq_virt prudaq_virt;

static u64 prudaq_virt_host_clock(void *priv)
{
	return ktime_get_ns();
}

/* PRU1's raw clock at host time t. Caller holds v->lock. */
static u64 prudaq_virt_raw_at(struct prudaq_virt *v, u64 t)
{
	s64 dt = (s64)(t - v->base_host_ns);
	s64 raw = v->base_raw_ns + dt + div_s64(dt * v->drift_ppm, 1000000) +
		  div_s64(dt * v->wander_ppb, 1000000000);

	if (v->jump_period_ns && t > v->jump_start_ns)
		raw += div64_u64(t - v->jump_start_ns, v->jump_period_ns) * v->jump_ns;
	return (u64)raw;
}

/*
 * Moves the model's base to host time now without the jump term (jumps are
 * counted from jump_start_ns, not from the base), so that a new rate applies
 * from now on and the clock stays continuous. Caller holds v->lock.
 */
static void prudaq_virt_rebase(struct prudaq_virt *v, u64 now)
{
	s64 dt = (s64)(now - v->base_host_ns);

	v->base_raw_ns += dt + div_s64(dt * v->drift_ppm, 1000000) +
			  div_s64(dt * v->wander_ppb, 1000000000);
	v->base_host_ns = now;
}

/*
 * One step of the wander per trigger (every 100 ms): a random step of up to
 * max/16, pulled back by 1/256 of the wander, which gives a rate that drifts
 * over tens of seconds and stays within +-max. Caller holds v->lock.
 */
static void prudaq_virt_wander(struct prudaq_virt *v, u64 now)
{
	s32 max = v->wander_max_ppb;
	s32 step = max / 16;
	s32 w;

	if (!max)
		return;
	prudaq_virt_rebase(v, now);
	w = v->wander_ppb - v->wander_ppb / 256;
	if (step)
		w += (s32)(get_random_u32() % (2 * step + 1)) - step;
	v->wander_ppb = clamp(w, -max, max);
}

static u64 prudaq_virt_pru1_clock(void *priv)
{
	struct prudaq_virt *v = priv;
	unsigned long flags;
	u64 raw;

	spin_lock_irqsave(&v->lock, flags);
	raw = prudaq_virt_raw_at(v, ktime_get_ns());
	spin_unlock_irqrestore(&v->lock, flags);
	return raw;
}

static int prudaq_virt_capture(void *priv, u64 *raw_ns, u32 *seq)
{
	struct prudaq_virt *v = priv;
	unsigned long flags;
	int got = 0;

	spin_lock_irqsave(&v->lock, flags);
	if (v->trig_pending) {
		*raw_ns = v->trig_raw_ns;
		*seq = v->trig_seq;
		v->trig_pending = false;
		got = 1;
	}
	spin_unlock_irqrestore(&v->lock, flags);
	return got;
}

/* Synthetic ADC: a triangle on channel 0, a sawtooth on channel 1. */
static s16 prudaq_virt_adc(void *priv, u32 chan, u32 seq)
{
	u32 p = seq % 1000;

	if (chan == 0)
		return (s16)((p < 500 ? p : 1000 - p) * 64 - 16000);
	return (s16)(p * 32 - 16000);
}

static int prudaq_virt_map(struct prudaq_dev *dev)
{
	struct prudaq_virt *v = &prudaq_virt;

	memset(v, 0, sizeof(*v));
	spin_lock_init(&v->lock);
	dev->shm = kzalloc(sizeof(*dev->shm), GFP_KERNEL);
	if (!dev->shm)
		return -ENOMEM;
	dev->backend_priv = v;
	return 0;
}

static void prudaq_virt_unmap(struct prudaq_dev *dev)
{
	struct prudaq_shm *shm = dev->shm;

	dev->shm = NULL;
	kfree(shm);
}

static int prudaq_virt_pru0_thread(void *arg)
{
	struct prudaq_virt *v = arg;

	while (!kthread_should_stop()) {
		u32 us = READ_ONCE(prudaq_pru_poll_us);

		pru0_poll(&v->pru0);
		usleep_range(us, us + us / 2 + 1);
	}
	return 0;
}

static int prudaq_virt_pru1_thread(void *arg)
{
	struct prudaq_virt *v = arg;

	while (!kthread_should_stop()) {
		u32 us = READ_ONCE(prudaq_pru_poll_us);

		pru1_poll(&v->pru1);
		usleep_range(us, us + us / 2 + 1);
	}
	return 0;
}

static void prudaq_virt_set_clock(struct prudaq_dev *dev, int drift_ppm,
				  u32 jitter_ns)
{
	struct prudaq_virt *v = dev->backend_priv;
	unsigned long flags;
	u64 now;

	spin_lock_irqsave(&v->lock, flags);
	now = ktime_get_ns();
	prudaq_virt_rebase(v, now);
	v->drift_ppm = clamp(drift_ppm, -1000, 1000);
	v->jitter_ns = min_t(u32, jitter_ns, 10 * NSEC_PER_MSEC);
	spin_unlock_irqrestore(&v->lock, flags);
}

static int prudaq_virt_start(struct prudaq_dev *dev, u64 epoch_ns)
{
	struct prudaq_virt *v = dev->backend_priv;
	u64 now = ktime_get_ns();

	v->base_host_ns = now;
	v->base_raw_ns = (s64)now;
	v->drift_ppm = clamp(prudaq_drift_ppm, -1000, 1000);
	v->jitter_ns = min_t(u32, prudaq_jitter_ns, 10 * NSEC_PER_MSEC);
	v->wander_ppb = 0;
	v->wander_max_ppb = min_t(u32, prudaq_drift_wander_ppb, 100000);
	v->jump_start_ns = now;
	if (dev->fault == PRUDAQ_FAULT_CLOCK_JUMP && prudaq_clock_jump_period_ms) {
		v->jump_period_ns = (u64)prudaq_clock_jump_period_ms * NSEC_PER_MSEC;
		v->jump_ns = (u64)prudaq_clock_jump_ms * NSEC_PER_MSEC;
	}

	v->hal0.priv = v;
	v->hal0.shm = dev->shm;
	v->hal0.clock_ns = prudaq_virt_host_clock;
	v->hal0.adc_read = prudaq_virt_adc;
	v->hal1.priv = v;
	v->hal1.shm = dev->shm;
	v->hal1.clock_ns = prudaq_virt_pru1_clock;
	v->hal1.trigger_capture = prudaq_virt_capture;

	pru0_init(&v->pru0, &v->hal0);
	/* PRU1's local clock starts exactly on host time; only drift moves it. */
	pru1_init(&v->pru1, &v->hal1, v->base_host_ns, (u64)v->base_raw_ns);

	v->thread0 = kthread_run(prudaq_virt_pru0_thread, v, "prudaq-pru0");
	if (IS_ERR(v->thread0)) {
		int ret = PTR_ERR(v->thread0);

		v->thread0 = NULL;
		return ret;
	}
	v->thread1 = kthread_run(prudaq_virt_pru1_thread, v, "prudaq-pru1");
	if (IS_ERR(v->thread1)) {
		int ret = PTR_ERR(v->thread1);

		v->thread1 = NULL;
		kthread_stop(v->thread0);
		v->thread0 = NULL;
		return ret;
	}
	return 0;
}

/* Reverse of start: PRU1 first. Idempotent. */
static void prudaq_virt_stop(struct prudaq_dev *dev)
{
	struct prudaq_virt *v = &prudaq_virt;

	if (v->thread1)
		kthread_stop(v->thread1);
	v->thread1 = NULL;
	if (v->thread0)
		kthread_stop(v->thread0);
	v->thread0 = NULL;
}

/* Hard-irq context: latch PRU1's clock at the trigger edge. */
static void prudaq_virt_trigger(struct prudaq_dev *dev, u32 seq, u64 t_ns)
{
	struct prudaq_virt *v = &prudaq_virt;
	u64 raw;

	spin_lock(&v->lock);
	prudaq_virt_wander(v, t_ns);
	raw = prudaq_virt_raw_at(v, t_ns);
	if (v->jitter_ns)
		raw += (s64)(get_random_u32() % (2 * v->jitter_ns + 1)) - v->jitter_ns;
	v->trig_raw_ns = raw;
	v->trig_seq = seq;
	v->trig_pending = true;
	spin_unlock(&v->lock);
}

const struct prudaq_backend_ops prudaq_virt_ops = {
	.name = "virtual",
	.map = prudaq_virt_map,
	.unmap = prudaq_virt_unmap,
	.start = prudaq_virt_start,
	.stop = prudaq_virt_stop,
	.trigger = prudaq_virt_trigger,
	.set_clock = prudaq_virt_set_clock,
};
