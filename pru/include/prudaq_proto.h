/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * prudaq protocol: the shared-memory layout between the kernel module (kmod/)
 * and the two PRU cores (pru/fw/). This is the only definition of it: the
 * firmware, the module and the host unit tests all include this header.
 *
 * Rules that keep the layout identical on the 32-bit PRU, ARM32, ARM64 and
 * x86_64: only u16/u32/s16 fields (no pointers, no u64, no enums, no
 * bitfields), every struct a multiple of 16 bytes, and every offset checked
 * below with _Static_assert.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#ifndef PRUDAQ_PROTO_H
#define PRUDAQ_PROTO_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/compiler.h>
#include <linux/math64.h>
#include <asm/barrier.h>
#else
/*
 * Firmware and host tests: the kernel's type names, without libc. int is 32
 * bits and long long 64 bits on every target here (PRU, ARM32, ARM64,
 * x86_64); the asserts below hold them to it.
 */
#include <stddef.h>
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed short s16;
typedef signed int s32;
typedef signed long long s64;
#endif

#define PRUDAQ_MAGIC		0x51445250u	/* "PRDQ" little endian */
#define PRUDAQ_VERSION		1u

/* Canaries: a harmed canary means someone wrote outside their area. */
#define PRUDAQ_CANARY_SHM	0xc0ffee01u
#define PRUDAQ_CANARY_RING	0xc0ffee02u
#define PRUDAQ_CANARY_MSG	0xc0ffee03u
#define PRUDAQ_CANARY_MBOX	0xc0ffee04u
#define PRUDAQ_CANARY_BUF	0xc0ffee05u

#define PRUDAQ_MSG_SLOTS	16u	/* per message ring, power of two */
#define PRUDAQ_BUF_SLOTS	512u	/* samples per sample buffer, power of two */
#define PRUDAQ_NUM_BUFS		2u	/* sample buffers (one per channel) */
#define PRUDAQ_SHM_MAX		12288u	/* AM335x PRU shared RAM is 12 KiB */

#define PRUDAQ_RATE_MIN_HZ	1u
#define PRUDAQ_RATE_MAX_HZ	100000u
#define PRUDAQ_RATE_DEFAULT_HZ	1000u

#define PRUDAQ_SYNC_PERIOD_NS	100000000u	/* trigger every 100 ms */

/* Return codes of the ring and mailbox helpers (not errno values). */
#define PRUDAQ_OK		0
#define PRUDAQ_E_EMPTY		1
#define PRUDAQ_E_FULL		2
#define PRUDAQ_E_CANARY		3
#define PRUDAQ_E_BUSY		4
#define PRUDAQ_E_INVAL		5

/* Message types. 0x0_: kernel -> PRU0, 0x8_/0x9_: PRU0 -> kernel, 0xa_: PRU1. */
#define PRUDAQ_MSG_NONE		0x00u
#define PRUDAQ_MSG_START	0x01u	/* start sampling */
#define PRUDAQ_MSG_STOP		0x02u	/* stop sampling */
#define PRUDAQ_MSG_SET_RATE	0x03u	/* arg0: samples per second per channel */
#define PRUDAQ_MSG_PING		0x04u	/* arg0: cookie, echoed in PONG */
#define PRUDAQ_MSG_STATUS	0x81u	/* arg0: PRUDAQ_STATE_*, arg1: rate */
#define PRUDAQ_MSG_PONG		0x84u	/* arg0: cookie */
#define PRUDAQ_MSG_ERR_BACKPRESSURE 0x90u /* arg0: buffer, arg1: overflow total */
#define PRUDAQ_MSG_ERR_CANARY	0x91u	/* arg0: PRUDAQ_CID_* of the harmed canary */
#define PRUDAQ_MSG_ERR_INVALID	0x92u	/* arg0: offending type, arg1: its arg0 */
#define PRUDAQ_MSG_SYNC_RESP	0xa0u	/* PRU1: seq = trigger, arg0/arg1: local ns lo/hi */
#define PRUDAQ_MSG_SYNC_CORR	0xa1u	/* kernel: arg0: s32 ppb, arg1: s32 step ns */
#define PRUDAQ_MSG_TRIGGER	0xa2u	/* kernel: seq = trigger (software trigger) */

/* Canary ids, as reported by PRUDAQ_MSG_ERR_CANARY. */
#define PRUDAQ_CID_SHM		1u
#define PRUDAQ_CID_TO_PRU0	2u
#define PRUDAQ_CID_FROM_PRU0	3u
#define PRUDAQ_CID_MBOX		4u
#define PRUDAQ_CID_BUF0		8u	/* + buffer index */
#define PRUDAQ_CID_MSG		16u

#define PRUDAQ_STATE_OFF	0u
#define PRUDAQ_STATE_IDLE	1u
#define PRUDAQ_STATE_RUNNING	2u
#define PRUDAQ_STATE_ERROR	3u

/* One message: 16 bytes. */
struct prudaq_msg {
	u32 canary;	/* PRUDAQ_CANARY_MSG */
	u16 type;	/* PRUDAQ_MSG_* */
	u16 seq;
	u32 arg0;
	u32 arg1;
};

/*
 * Single-producer single-consumer message ring. head and tail are free
 * running; fill = head - tail (mod 2^32), slot = index & (SLOTS - 1).
 * Only the producer writes head, only the consumer writes tail.
 */
struct prudaq_msg_ring {
	u32 canary;	/* PRUDAQ_CANARY_RING */
	u32 head;	/* producer index */
	u32 tail;	/* consumer index */
	u32 cap;	/* PRUDAQ_MSG_SLOTS, informative */
	struct prudaq_msg slot[PRUDAQ_MSG_SLOTS];
	u32 canary_end;	/* PRUDAQ_CANARY_RING */
	u32 dropped;	/* pushes refused because the ring was full */
	u32 pad[2];
};

/* Mailbox: one message and a handshake flag (1: full, owned by the receiver). */
struct prudaq_mbox {
	u32 canary;	/* PRUDAQ_CANARY_MBOX */
	u32 flag;
	u32 sent;	/* messages sent (sender writes) */
	u32 busy;	/* sends refused because the flag was still set */
	struct prudaq_msg msg;
};

/* One sample: 8 bytes. seq counts samples of the channel since START. */
struct prudaq_sample {
	u32 seq;
	u16 chan;
	s16 value;
};

/* Sample buffer: PRU0 produces (head), the kernel consumes (tail). */
struct prudaq_sample_buf {
	u32 canary;	/* PRUDAQ_CANARY_BUF */
	u32 head;
	u32 tail;
	u32 cap;	/* PRUDAQ_BUF_SLOTS, informative */
	u32 overflow;	/* samples dropped because the buffer was full */
	u32 backpressure; /* 1 while full (set/cleared by PRU0) */
	u32 pad[2];
	struct prudaq_sample s[PRUDAQ_BUF_SLOTS];
	u32 canary_end;	/* PRUDAQ_CANARY_BUF */
	u32 pad2[3];
};

/* PRU0 status block, written by PRU0 only. */
struct prudaq_pru0_status {
	u32 state;		/* PRUDAQ_STATE_* */
	u32 rate_hz;
	u32 heartbeat;		/* incremented every poll */
	u32 samples_total;	/* per channel */
	u32 overflow_total;	/* samples dropped, all buffers */
	u32 backpressure_total;	/* backpressure episodes reported */
	u32 invalid_cmd_total;
	u32 canary_err_total;
};

/* PRU1 status block, written by PRU1 only. */
struct prudaq_pru1_status {
	u32 state;
	u32 heartbeat;
	u32 triggers_total;	/* sync requests answered */
	u32 missed_total;	/* answers lost: outbox still full */
	u32 corrections_total;
	s32 corr_ppb;		/* correction in effect */
	u32 canary_err_total;
	u32 pad;
};

struct prudaq_shm {
	u32 magic;		/* PRUDAQ_MAGIC */
	u32 version;		/* PRUDAQ_VERSION */
	u32 size;		/* sizeof(struct prudaq_shm) */
	u32 canary;		/* PRUDAQ_CANARY_SHM */
	struct prudaq_pru0_status pru0;
	struct prudaq_pru1_status pru1;
	struct prudaq_msg_ring msg_to_pru0;	/* kernel -> PRU0 */
	struct prudaq_msg_ring msg_from_pru0;	/* PRU0 -> kernel */
	struct prudaq_mbox pru1_trigger;	/* kernel -> PRU1 (software trigger) */
	struct prudaq_mbox pru1_inbox;		/* kernel -> PRU1: corrections */
	struct prudaq_mbox pru1_outbox;		/* PRU1 -> kernel: sync responses */
	struct prudaq_sample_buf buf[PRUDAQ_NUM_BUFS];
};

/* C11 keyword (checkpatch CHECK CAMELCASE): no kernel static_assert on the PRU. */
#define PRUDAQ_ASSERT(cond) _Static_assert(cond, #cond)

PRUDAQ_ASSERT(sizeof(u16) == 2 && sizeof(u32) == 4 && sizeof(u64) == 8);
PRUDAQ_ASSERT((PRUDAQ_MSG_SLOTS & (PRUDAQ_MSG_SLOTS - 1)) == 0);
PRUDAQ_ASSERT((PRUDAQ_BUF_SLOTS & (PRUDAQ_BUF_SLOTS - 1)) == 0);
PRUDAQ_ASSERT(sizeof(struct prudaq_msg) == 16);
PRUDAQ_ASSERT(sizeof(struct prudaq_sample) == 8);
PRUDAQ_ASSERT(sizeof(struct prudaq_mbox) == 32);
PRUDAQ_ASSERT(sizeof(struct prudaq_msg_ring) == 16 + 16 * PRUDAQ_MSG_SLOTS + 16);
PRUDAQ_ASSERT(sizeof(struct prudaq_sample_buf) == 32 + 8 * PRUDAQ_BUF_SLOTS + 16);
PRUDAQ_ASSERT(sizeof(struct prudaq_pru0_status) == 32);
PRUDAQ_ASSERT(sizeof(struct prudaq_pru1_status) == 32);
PRUDAQ_ASSERT(offsetof(struct prudaq_msg_ring, head) == 4);
PRUDAQ_ASSERT(offsetof(struct prudaq_msg_ring, tail) == 8);
PRUDAQ_ASSERT(offsetof(struct prudaq_msg_ring, slot) == 16);
PRUDAQ_ASSERT(offsetof(struct prudaq_sample_buf, s) == 32);
PRUDAQ_ASSERT(offsetof(struct prudaq_shm, pru0) == 16);
PRUDAQ_ASSERT(offsetof(struct prudaq_shm, pru1) == 48);
PRUDAQ_ASSERT(offsetof(struct prudaq_shm, msg_to_pru0) == 80);
PRUDAQ_ASSERT(offsetof(struct prudaq_shm, msg_from_pru0) == 368);
PRUDAQ_ASSERT(offsetof(struct prudaq_shm, pru1_trigger) == 656);
PRUDAQ_ASSERT(offsetof(struct prudaq_shm, pru1_inbox) == 688);
PRUDAQ_ASSERT(offsetof(struct prudaq_shm, pru1_outbox) == 720);
PRUDAQ_ASSERT(offsetof(struct prudaq_shm, buf) == 752);
PRUDAQ_ASSERT(sizeof(struct prudaq_shm) == 752 + 2 * 4144);
PRUDAQ_ASSERT(sizeof(struct prudaq_shm) <= PRUDAQ_SHM_MAX);

/*
 * Access to shared memory. The other side runs concurrently (a PRU core, or
 * a kernel thread of the virtual backend): every shared field is read and
 * written exactly once through these, and the barriers order payload against
 * index/flag updates.
 */
#ifdef __KERNEL__
static inline u32 prudaq_rd32(const u32 *p)
{
	return READ_ONCE(*p);
}

static inline void prudaq_wr32(u32 *p, u32 v)
{
	WRITE_ONCE(*p, v);
}

#define prudaq_wmb()	smp_wmb()	/* payload before index/flag */
#define prudaq_rmb()	smp_rmb()	/* index/flag before payload */
#define prudaq_mb()	smp_mb()	/* slot reads/writes vs the other side's index */

static inline s64 prudaq_div_s64(s64 a, s32 b)
{
	return div_s64(a, b);
}

static inline u64 prudaq_div_u64(u64 a, u32 b)
{
	return div_u64(a, b);
}
#else
/*
 * Outside the kernel there is no READ_ONCE/WRITE_ONCE: a volatile access is
 * the portable equivalent (checkpatch WARNING VOLATILE, justified: this is
 * exactly the once-only access the kernel's macros make).
 */
static inline u32 prudaq_rd32(const u32 *p)
{
	return *(const volatile u32 *)p;
}

static inline void prudaq_wr32(u32 *p, u32 v)
{
	*(volatile u32 *)p = v;
}

static inline void prudaq_wmb(void)
{
#if defined(__TI_COMPILER_VERSION__)
	/* clpru: the PRU has no cache and executes in order; volatile suffices. */
#elif defined(__PRU__)
	__asm__ __volatile__("" : : : "memory");	/* pru-gcc: compiler barrier */
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* host tests */
#endif
}

static inline void prudaq_rmb(void)
{
	prudaq_wmb();
}

static inline void prudaq_mb(void)
{
	prudaq_wmb();
}

static inline s64 prudaq_div_s64(s64 a, s32 b)
{
	return a / b;
}

static inline u64 prudaq_div_u64(u64 a, u32 b)
{
	return a / b;
}
#endif

/* Ring arithmetic on free-running u32 indices. */
static inline u32 prudaq_ring_fill(u32 head, u32 tail)
{
	return head - tail;
}

static inline u32 prudaq_ring_space(u32 head, u32 tail, u32 cap)
{
	return cap - prudaq_ring_fill(head, tail);
}

static inline int prudaq_ring_empty(u32 head, u32 tail)
{
	return head == tail;
}

static inline int prudaq_ring_full(u32 head, u32 tail, u32 cap)
{
	return prudaq_ring_fill(head, tail) >= cap;
}

static inline u32 prudaq_ring_slot(u32 index, u32 cap)
{
	return index & (cap - 1);
}

/*
 * A fill level from a lock-free snapshot: head is read first, so tail may
 * have moved past it meanwhile; clamp into [0, cap].
 */
static inline u32 prudaq_ring_fill_snapshot(u32 head, u32 tail, u32 cap)
{
	s32 fill = (s32)(head - tail);

	if (fill < 0)
		return 0;
	if ((u32)fill > cap)
		return cap;
	return (u32)fill;
}

/* prudaq_common.c: used by the firmware, the kernel module and the tests. */
void prudaq_shm_init(struct prudaq_shm *shm);
int prudaq_msg_push(struct prudaq_msg_ring *ring, const struct prudaq_msg *msg);
int prudaq_msg_pop(struct prudaq_msg_ring *ring, struct prudaq_msg *msg);
u32 prudaq_msg_fill(const struct prudaq_msg_ring *ring);
int prudaq_mbox_send(struct prudaq_mbox *mbox, const struct prudaq_msg *msg);
int prudaq_mbox_recv(struct prudaq_mbox *mbox, struct prudaq_msg *msg);
int prudaq_buf_put(struct prudaq_sample_buf *buf, const struct prudaq_sample *s);
u32 prudaq_buf_get(struct prudaq_sample_buf *buf, struct prudaq_sample *out, u32 max);
u32 prudaq_buf_drop(struct prudaq_sample_buf *buf, u32 max);
u32 prudaq_buf_fill(const struct prudaq_sample_buf *buf);
u32 prudaq_shm_check_canaries(const struct prudaq_shm *shm);

#endif /* PRUDAQ_PROTO_H */
