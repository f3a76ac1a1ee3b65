// SPDX-License-Identifier: GPL-2.0-only
/*
 * prudaq: a PRU data-acquisition module, the node-side subject of kmodscope.
 *
 * Setup (prudaq_init) and teardown (prudaq_exit) are exact mirrors:
 *   0 remoteproc platform driver (when built with it)
 *   1 comm cache     2 map shared memory   3 message system
 *   4 PRU cores      5 coordinator hrtimer 6 sync hrtimer
 *   7 /dev/prudaq    8 sysfs               9 telemetry
 *  10 START sent to PRU0
 * Teardown runs 10..1: producers and timers stop first (hrtimer_cancel: no
 * callback runs or re-arms afterwards), what is left is drained, and only
 * then is memory unmapped and freed. fault= breaks this on purpose.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "prudaq.h"

struct prudaq_dev prudaq_dev;

static char *backend = "auto";
module_param(backend, charp, 0444);
MODULE_PARM_DESC(backend, "auto|virtual|remoteproc (remoteproc only when built with CONFIG_PRU_REMOTEPROC)");

static char *fault = "none";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault, "Injected bug: none|unload_race|unload_uaf|null_exit|consumer_stall|clock_jump|msg_flood|leak");

static unsigned int fault_window_us = 5000;
module_param(fault_window_us, uint, 0444);
MODULE_PARM_DESC(fault_window_us, "unload_race/unload_uaf: delay between the early unmap and hrtimer_cancel (us, 0: a bare race)");

unsigned int prudaq_coord_period_us = 1000;
module_param_named(coord_period_us, prudaq_coord_period_us, uint, 0444);
MODULE_PARM_DESC(coord_period_us, "Coordinator hrtimer period (us, 100..100000)");

unsigned int prudaq_sample_rate_hz = PRUDAQ_RATE_DEFAULT_HZ;
module_param_named(sample_rate_hz, prudaq_sample_rate_hz, uint, 0444);
MODULE_PARM_DESC(sample_rate_hz, "PRU0 samples per second per channel (1..100000)");

bool prudaq_drain = true;
module_param_named(drain, prudaq_drain, bool, 0444);
MODULE_PARM_DESC(drain, "In-kernel drain of the sample buffers (also /sys/kernel/prudaq/drain)");

unsigned int prudaq_drain_rate_hz = PRUDAQ_RATE_DEFAULT_HZ;
module_param_named(drain_rate_hz, prudaq_drain_rate_hz, uint, 0444);
MODULE_PARM_DESC(drain_rate_hz, "Samples per second per buffer the drain consumes");

unsigned int prudaq_drain_period_ms = 100;
module_param_named(drain_period_ms, prudaq_drain_period_ms, uint, 0444);
MODULE_PARM_DESC(drain_period_ms, "The drain consumes in bursts this far apart (ms)");

unsigned int prudaq_telemetry_hz = 100;
module_param_named(telemetry_hz, prudaq_telemetry_hz, uint, 0444);
MODULE_PARM_DESC(telemetry_hz, "Telemetry lines per second (1..1000)");

unsigned int prudaq_telemetry_lines = 512;
module_param_named(telemetry_lines, prudaq_telemetry_lines, uint, 0444);
MODULE_PARM_DESC(telemetry_lines, "Lines kept for slow readers (16..8192, rounded up to a power of two)");

int prudaq_drift_ppm = 50;
module_param_named(drift_ppm, prudaq_drift_ppm, int, 0444);
MODULE_PARM_DESC(drift_ppm, "virtual: PRU1 clock drift (ppm, -1000..1000)");

/* Interrupt latency on a real board: a few microseconds either way. */
unsigned int prudaq_jitter_ns = 2000;
module_param_named(jitter_ns, prudaq_jitter_ns, uint, 0444);
MODULE_PARM_DESC(jitter_ns, "virtual: PRU1 trigger capture jitter (+-ns, up to 10 ms)");

/* A crystal's temperature drift: the rate wanders by a couple of ppm over tens of seconds. */
unsigned int prudaq_drift_wander_ppb = 2000;
module_param_named(drift_wander_ppb, prudaq_drift_wander_ppb, uint, 0444);
MODULE_PARM_DESC(drift_wander_ppb, "virtual: bound of PRU1's slow drift wander (+-ppb, up to 100000)");

unsigned int prudaq_clock_jump_ms = 7;
module_param_named(clock_jump_ms, prudaq_clock_jump_ms, uint, 0444);
MODULE_PARM_DESC(clock_jump_ms, "fault=clock_jump: size of each PRU1 clock jump (ms)");

unsigned int prudaq_clock_jump_period_ms = 3000;
module_param_named(clock_jump_period_ms, prudaq_clock_jump_period_ms, uint, 0444);
MODULE_PARM_DESC(clock_jump_period_ms, "fault=clock_jump: time between jumps (ms)");

unsigned int prudaq_msg_flood = 32;
module_param_named(msg_flood, prudaq_msg_flood, uint, 0444);
MODULE_PARM_DESC(msg_flood, "fault=msg_flood: PINGs sent per coordinator tick");

unsigned int prudaq_pru_poll_us = 1000;
module_param_named(pru_poll_us, prudaq_pru_poll_us, uint, 0444);
MODULE_PARM_DESC(pru_poll_us, "virtual: poll interval of the PRU kernel threads (us)");

static const char * const prudaq_fault_names[PRUDAQ_FAULT_COUNT] = {
	[PRUDAQ_FAULT_NONE] = "none",
	[PRUDAQ_FAULT_UNLOAD_RACE] = "unload_race",
	[PRUDAQ_FAULT_UNLOAD_UAF] = "unload_uaf",
	[PRUDAQ_FAULT_NULL_EXIT] = "null_exit",
	[PRUDAQ_FAULT_CONSUMER_STALL] = "consumer_stall",
	[PRUDAQ_FAULT_CLOCK_JUMP] = "clock_jump",
	[PRUDAQ_FAULT_MSG_FLOOD] = "msg_flood",
	[PRUDAQ_FAULT_LEAK] = "leak",
};

const char *prudaq_fault_name(enum prudaq_fault f)
{
	return f < PRUDAQ_FAULT_COUNT ? prudaq_fault_names[f] : "?";
}

static int prudaq_parse_params(struct prudaq_dev *dev)
{
	int i;

	i = match_string(prudaq_fault_names, PRUDAQ_FAULT_COUNT, fault);
	if (i < 0) {
		pr_err("unknown fault=%s\n", fault);
		return -EINVAL;
	}
	dev->fault = i;

	if (!strcmp(backend, "auto")) {
		dev->ops = &prudaq_virt_ops;
#ifdef PRUDAQ_HAVE_RPROC
		if (prudaq_rproc_available())
			dev->ops = &prudaq_rproc_ops;
#endif
	} else if (!strcmp(backend, "virtual")) {
		dev->ops = &prudaq_virt_ops;
#ifdef PRUDAQ_HAVE_RPROC
	} else if (!strcmp(backend, "remoteproc")) {
		if (!prudaq_rproc_available()) {
			pr_err("backend=remoteproc: no PRU pair bound (device tree node \"kmodscope,prudaq\")\n");
			return -ENODEV;
		}
		dev->ops = &prudaq_rproc_ops;
#endif
	} else {
		pr_err("unknown or unavailable backend=%s\n", backend);
		return -EINVAL;
	}

	prudaq_coord_period_us = clamp_val(prudaq_coord_period_us, 100, 100000);
	prudaq_sample_rate_hz = clamp_val(prudaq_sample_rate_hz, PRUDAQ_RATE_MIN_HZ,
					  PRUDAQ_RATE_MAX_HZ);
	prudaq_telemetry_hz = clamp_val(prudaq_telemetry_hz, 1, 1000);
	prudaq_pru_poll_us = clamp_val(prudaq_pru_poll_us, 50, 100000);
	if (dev->fault == PRUDAQ_FAULT_CONSUMER_STALL)
		prudaq_drain = false;
	return 0;
}

/*
 * fault=unload_race: the seed's bug. The shared memory is unmapped and its
 * pointer NULLed while the coordinator hrtimer still runs; its next tick
 * dereferences NULL + offset in prudaq_comm_receive_msg().
 * fault=unload_uaf: the message system's state is freed (poisoned by the
 * cache) but the pointer kept; the next tick loads 0x6b6b... from it.
 * The PRU threads are stopped first: on hardware they would keep running
 * harmlessly in their own memory, here they would scribble on freed memory
 * and crash somewhere else than the bug we want to show.
 */
static noinline void prudaq_fault_early_unmap(struct prudaq_dev *dev)
{
	unsigned int left, step;

	dev->ops->stop(dev);
	if (dev->fault == PRUDAQ_FAULT_UNLOAD_RACE) {
		WRITE_ONCE(dev->comm->shm, NULL);
		dev->ops->unmap(dev);
		pr_info("exit: shared memory unmapped (fault=unload_race), stopping the coordinator next\n");
	} else {
		kmem_cache_free(dev->comm_cache, dev->comm);
		pr_info("exit: message system freed (fault=unload_uaf), stopping the coordinator next\n");
	}
	dev->early_unmapped = true;
	/*
	 * The window the coordinator's next tick falls into. A busy wait on
	 * purpose, not a sleep: as in the seed, the exit path is running when
	 * the hrtimer interrupts it.
	 */
	for (left = fault_window_us; left; left -= step) {
		step = min(left, 100u);
		udelay(step);
	}
}

/*
 * fault=leak: a note about this load that the exit path never frees, one
 * small allocation per load (kmalloc-32 through kasprintf: the allocation
 * site in a stack trace is this function, behind the wrapper).
 */
static noinline void prudaq_fault_leak(void)
{
	char *note;

	note = kasprintf(GFP_KERNEL, "prudaq load at %llu ns", ktime_get_ns());
	if (note)
		pr_info("fault=leak: %zu bytes not freed at unload\n", strlen(note) + 1);
}

static void prudaq_teardown(struct prudaq_dev *dev, int from)
{
	/* Each case undoes the step of the same number in prudaq_init. */
	switch (from) {
	case 10:
		WRITE_ONCE(dev->started, false);
		prudaq_send_cmd(dev, PRUDAQ_MSG_STOP, 0, 0);
		fallthrough;
	case 9:
		prudaq_tlm_exit(dev);
		fallthrough;
	case 8:
		prudaq_sysfs_exit(dev);
		fallthrough;
	case 7:
		prudaq_consumer_exit(dev);
		if (dev->fault == PRUDAQ_FAULT_UNLOAD_RACE ||
		    dev->fault == PRUDAQ_FAULT_UNLOAD_UAF)
			prudaq_fault_early_unmap(dev);
		fallthrough;
	case 6:
		prudaq_sync_stop(dev);
		fallthrough;
	case 5:
		prudaq_coord_stop(dev);
		fallthrough;
	case 4:
		dev->ops->stop(dev);
		if (!dev->early_unmapped)
			prudaq_comm_drain(dev);
		fallthrough;
	case 3:
		if (dev->fault == PRUDAQ_FAULT_UNLOAD_UAF && dev->early_unmapped)
			dev->comm = NULL;	/* already freed */
		prudaq_comm_free(dev);
		fallthrough;
	case 2:
		if (dev->shm)
			dev->ops->unmap(dev);
		fallthrough;
	case 1:
		kmem_cache_destroy(dev->comm_cache);
		dev->comm_cache = NULL;
		fallthrough;
	case 0:
		prudaq_rproc_unregister();
		fallthrough;
	default:
		break;
	}
}

static int __init prudaq_init(void)
{
	struct prudaq_dev *dev = &prudaq_dev;
	int step = 0;
	int ret;

	spin_lock_init(&dev->tx_lock);
	spin_lock_init(&dev->sync_lock);
	spin_lock_init(&dev->consumer_lock);
	init_waitqueue_head(&dev->sample_wq);
	ret = prudaq_rproc_register();			/* 0 */
	if (ret)
		return ret;
	ret = prudaq_parse_params(dev);
	if (ret)
		goto fail;

	/* 1: poisoned cache for what must fault when used after free. */
	dev->comm_cache = kmem_cache_create("prudaq_comm", sizeof(struct prudaq_comm),
					    0, SLAB_POISON | SLAB_RED_ZONE, NULL);
	if (!dev->comm_cache) {
		ret = -ENOMEM;
		goto fail;
	}
	step = 1;
	ret = dev->ops->map(dev);			/* 2 */
	if (ret)
		goto fail;
	step = 2;
	prudaq_shm_init(dev->shm);
	ret = prudaq_comm_init(dev);			/* 3 */
	if (ret)
		goto fail;
	step = 3;
	ret = dev->ops->start(dev, ktime_get_ns());	/* 4 */
	if (ret)
		goto fail;
	step = 4;
	prudaq_coord_start(dev);			/* 5 */
	step = 5;
	prudaq_sync_start(dev);				/* 6 */
	step = 6;
	ret = prudaq_consumer_init(dev);		/* 7 */
	if (ret)
		goto fail;
	step = 7;
	ret = prudaq_sysfs_init(dev);			/* 8 */
	if (ret)
		goto fail;
	step = 8;
	ret = prudaq_tlm_init(dev);			/* 9 */
	if (ret)
		goto fail;
	step = 9;
	if (prudaq_sample_rate_hz != PRUDAQ_RATE_DEFAULT_HZ)
		prudaq_send_cmd(dev, PRUDAQ_MSG_SET_RATE, prudaq_sample_rate_hz, 0);
	ret = prudaq_send_cmd(dev, PRUDAQ_MSG_START, 0, 0);	/* 10 */
	if (ret)
		goto fail;
	step = 10;
	WRITE_ONCE(dev->started, true);
	if (dev->fault == PRUDAQ_FAULT_LEAK)
		prudaq_fault_leak();

	pr_info("loaded: backend=%s fault=%s rate=%u Hz telemetry=%u Hz shm=%zu bytes\n",
		dev->ops->name, prudaq_fault_name(dev->fault), prudaq_sample_rate_hz,
		prudaq_telemetry_hz, sizeof(struct prudaq_shm));
	return 0;

fail:
	pr_err("init failed at step %d: %d\n", step + 1, ret);
	/* A failed init never injects exit faults. */
	dev->fault = PRUDAQ_FAULT_NONE;
	prudaq_teardown(dev, step);
	return ret;
}

static void __exit prudaq_exit(void)
{
	struct prudaq_dev *dev = &prudaq_dev;
	struct prudaq_comm *stale;

	prudaq_teardown(dev, 10);
	if (dev->fault != PRUDAQ_FAULT_NULL_EXIT) {
		pr_info("unloaded\n");
		return;
	}
	/* fault=null_exit: use the message system after teardown cleared it. */
	stale = READ_ONCE(dev->comm);
	pr_info("exit: last message seq %u\n", stale->rx_seq);
}

module_init(prudaq_init);
module_exit(prudaq_exit);

MODULE_AUTHOR("The kmodscope authors");
MODULE_DESCRIPTION("PRU data acquisition with a virtual PRU backend and fault injection");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
