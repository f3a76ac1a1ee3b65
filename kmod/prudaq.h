/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * prudaq: a PRU data-acquisition module (kmodscope's node-side test module).
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#ifndef PRUDAQ_H
#define PRUDAQ_H

#include <linux/hrtimer.h>
#include <linux/miscdevice.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "prudaq_proto.h"
#include "prudaq_fw.h"

#define PRUDAQ_NAME		"prudaq"
#define PRUDAQ_TRIG_HIST	16	/* trigger times kept for matching answers */

enum prudaq_fault {
	PRUDAQ_FAULT_NONE,
	PRUDAQ_FAULT_UNLOAD_RACE,	/* unmap + NULL before the coordinator stops */
	PRUDAQ_FAULT_UNLOAD_UAF,	/* free (poisoned) without NULL, same race */
	PRUDAQ_FAULT_NULL_EXIT,		/* NULL dereference in the exit function */
	PRUDAQ_FAULT_CONSUMER_STALL,	/* nobody consumes: buffers fill, overflow */
	PRUDAQ_FAULT_CLOCK_JUMP,	/* PRU1's clock jumps now and then */
	PRUDAQ_FAULT_MSG_FLOOD,		/* the kernel floods PRU0 with PINGs */
	PRUDAQ_FAULT_LEAK,		/* one allocation per load never freed */
	PRUDAQ_FAULT_COUNT
};

struct prudaq_dev;

struct prudaq_backend_ops {
	const char *name;
	/* Map the shared memory: set dev->shm. */
	int (*map)(struct prudaq_dev *dev);
	/* Unmap it: clear dev->shm. */
	void (*unmap)(struct prudaq_dev *dev);
	/* Start/stop both PRU cores; epoch_ns is PRU1's initial local time. */
	int (*start)(struct prudaq_dev *dev, u64 epoch_ns);
	void (*stop)(struct prudaq_dev *dev);
	/* A sync trigger at host time t_ns (hard-irq context). */
	void (*trigger)(struct prudaq_dev *dev, u32 seq, u64 t_ns);
	/* Runtime knobs of a simulated PRU1 clock (virtual only, may be NULL). */
	void (*set_clock)(struct prudaq_dev *dev, int drift_ppm, u32 jitter_ns);
};

/*
 * The message system's state. Allocated from prudaq_comm_cache, which poisons
 * freed objects (SLAB_POISON | SLAB_RED_ZONE): a stale pointer to it yields
 * 0x6b6b... pointers that fault when dereferenced (fault=unload_uaf).
 */
struct prudaq_comm {
	u32 magic;
	u32 rx_seq;			/* messages received from PRU0 */
	struct prudaq_shm *shm;		/* the mapping the coordinator reads */
	u16 tx_seq;
	u16 pad;
	u32 tx_total;
	u32 rx_canary_err;
	u32 sync_busy;			/* corrections not sent: inbox full */
};

struct prudaq_trig {
	u32 seq;
	u64 t_ns;
};

struct prudaq_sync_stats {
	s64 err_ns;
	s64 int_ns;
	s32 corr_ppb;
	u32 trig_lat_ns;
	u32 jumps_total;
	u32 updates_total;
	u32 unmatched_total;	/* answers whose trigger was not known */
};

struct prudaq_tlm;

struct prudaq_dev {
	const struct prudaq_backend_ops *ops;
	void *backend_priv;
	struct prudaq_shm *shm;			/* the mapping, owned by the backend */
	struct prudaq_comm *comm;
	struct kmem_cache *comm_cache;
	enum prudaq_fault fault;
	bool early_unmapped;			/* fault=unload_race/uaf went first */

	/* Coordinator: polls PRU0's ring and PRU1's mailbox. */
	struct hrtimer coord_timer;
	ktime_t coord_period;
	u64 coord_last_ns;
	u32 loop_us;
	u32 coord_ticks;
	spinlock_t tx_lock;			/* producer side of msg_to_pru0 */
	u32 pongs_total;
	u32 backpressure_msgs_total;
	u32 pru0_err_msgs_total;
	u32 last_pru0_state;
	bool started;				/* START is queued: fault=msg_flood may begin */

	/* Sync loop. */
	struct hrtimer sync_timer;
	u32 sync_seq;
	struct prudaq_trig trig[PRUDAQ_TRIG_HIST];
	spinlock_t sync_lock;			/* trig[], sync */
	struct prudaq_pi pi;
	struct prudaq_sync_stats sync;

	/* Sample consumer: /dev/prudaq and the in-kernel drain. */
	struct miscdevice misc;
	bool misc_registered;
	wait_queue_head_t sample_wq;
	spinlock_t consumer_lock;		/* buffer tails: read() vs the drain */
	u32 readers;
	u64 read_total;				/* samples read by user space */
	u64 drained_total;			/* samples dropped by the drain */
	u64 drain_next_ns;

	struct kobject *kobj;
	struct prudaq_tlm *tlm;
};

extern struct prudaq_dev prudaq_dev;

/* Module parameters (prudaq_main.c). */
extern unsigned int prudaq_coord_period_us;
extern unsigned int prudaq_sample_rate_hz;
extern bool prudaq_drain;
extern unsigned int prudaq_drain_rate_hz;
extern unsigned int prudaq_drain_period_ms;
extern unsigned int prudaq_telemetry_hz;
extern unsigned int prudaq_telemetry_lines;
extern int prudaq_drift_ppm;
extern unsigned int prudaq_jitter_ns;
extern unsigned int prudaq_drift_wander_ppb;
extern unsigned int prudaq_clock_jump_ms;
extern unsigned int prudaq_clock_jump_period_ms;
extern unsigned int prudaq_msg_flood;
extern unsigned int prudaq_pru_poll_us;

const char *prudaq_fault_name(enum prudaq_fault fault);

/* prudaq_comm.c: message system, coordinator and sync loop. */
int prudaq_comm_init(struct prudaq_dev *dev);
void prudaq_comm_free(struct prudaq_dev *dev);
void prudaq_comm_drain(struct prudaq_dev *dev);
int prudaq_send_cmd(struct prudaq_dev *dev, u16 type, u32 arg0, u32 arg1);
void prudaq_coord_start(struct prudaq_dev *dev);
void prudaq_coord_stop(struct prudaq_dev *dev);
void prudaq_sync_start(struct prudaq_dev *dev);
void prudaq_sync_stop(struct prudaq_dev *dev);
void prudaq_sync_snapshot(struct prudaq_dev *dev, struct prudaq_sync_stats *out);

/* prudaq_consumer.c: /dev/prudaq and the drain. */
int prudaq_consumer_init(struct prudaq_dev *dev);
void prudaq_consumer_exit(struct prudaq_dev *dev);
void prudaq_consumer_service(struct prudaq_dev *dev, u64 now_ns);

/* prudaq_tlm.c: telemetry stream and the stats line. */
int prudaq_tlm_init(struct prudaq_dev *dev);
void prudaq_tlm_exit(struct prudaq_dev *dev);
int prudaq_format_stats(struct prudaq_dev *dev, char *buf, size_t size, u64 t_ns);
u64 prudaq_tlm_lost_total(struct prudaq_dev *dev);

/* prudaq_sysfs.c: /sys/kernel/prudaq. */
int prudaq_sysfs_init(struct prudaq_dev *dev);
void prudaq_sysfs_exit(struct prudaq_dev *dev);

/* Backends. */
extern const struct prudaq_backend_ops prudaq_virt_ops;
#ifdef PRUDAQ_HAVE_RPROC
extern const struct prudaq_backend_ops prudaq_rproc_ops;
int prudaq_rproc_register(void);
void prudaq_rproc_unregister(void);
bool prudaq_rproc_available(void);
#else
static inline int prudaq_rproc_register(void)
{
	return 0;
}

static inline void prudaq_rproc_unregister(void)
{
}
#endif

#endif /* PRUDAQ_H */
