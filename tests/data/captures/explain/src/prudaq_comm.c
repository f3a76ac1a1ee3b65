// SPDX-License-Identifier: GPL-2.0-only
/*
 * prudaq message system: the coordinator hrtimer services the ring from PRU0
 * and PRU1's mailbox; the sync hrtimer triggers PRU1 at the kernel's 100 ms
 * boundaries and the PI controller steers PRU1's clock onto them.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/slab.h>

#include "prudaq.h"

#define PRUDAQ_COMM_MAGIC	0x636f6d6du	/* "comm" */

int prudaq_comm_init(struct prudaq_dev *dev)
{
	struct prudaq_comm *comm;

	comm = kmem_cache_zalloc(dev->comm_cache, GFP_KERNEL);
	if (!comm)
		return -ENOMEM;
	comm->magic = PRUDAQ_COMM_MAGIC;
	comm->shm = dev->shm;
	dev->comm = comm;
	return 0;
}

void prudaq_comm_free(struct prudaq_dev *dev)
{
	struct prudaq_comm *comm = dev->comm;

	dev->comm = NULL;
	if (comm)
		kmem_cache_free(dev->comm_cache, comm);
}

int prudaq_send_cmd(struct prudaq_dev *dev, u16 type, u32 arg0, u32 arg1)
{
	struct prudaq_comm *comm = dev->comm;
	struct prudaq_msg msg = {
		.canary = PRUDAQ_CANARY_MSG,
		.type = type,
		.arg0 = arg0,
		.arg1 = arg1,
	};
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&dev->tx_lock, flags);
	msg.seq = comm->tx_seq++;
	ret = prudaq_msg_push(&comm->shm->msg_to_pru0, &msg);
	if (ret == PRUDAQ_OK)
		comm->tx_total++;
	spin_unlock_irqrestore(&dev->tx_lock, flags);
	return ret == PRUDAQ_OK ? 0 : -ENOSPC;
}

/*
 * The mailbox read of the message system: one message from PRU0's ring.
 * Returns 0, -ENODATA when the ring is empty, or -EBADMSG when the slot's
 * canary was harmed. Kept out of line so it is a frame of its own in oopses.
 */
static noinline int prudaq_comm_receive_msg(struct prudaq_comm *comm,
					    struct prudaq_msg *msg)
{
	struct prudaq_msg_ring *ring;
	u32 head;

	/* fault=unload_race/unload_uaf: comm->shm is NULL or poison here. */
	head = READ_ONCE(comm->shm->msg_from_pru0.head);
	ring = &comm->shm->msg_from_pru0;
	if (head == READ_ONCE(ring->tail))
		return -ENODATA;
	switch (prudaq_msg_pop(ring, msg)) {
	case PRUDAQ_OK:
		comm->rx_seq++;
		return 0;
	case PRUDAQ_E_EMPTY:
		return -ENODATA;
	default:
		comm->rx_canary_err++;
		return -EBADMSG;
	}
}

static void prudaq_comm_handle(struct prudaq_dev *dev, const struct prudaq_msg *msg)
{
	switch (msg->type) {
	case PRUDAQ_MSG_STATUS:
		dev->last_pru0_state = msg->arg0;
		break;
	case PRUDAQ_MSG_PONG:
		dev->pongs_total++;
		break;
	case PRUDAQ_MSG_ERR_BACKPRESSURE:
		dev->backpressure_msgs_total++;
		pr_warn_ratelimited("PRU0 backpressure: buffer %u full, %u samples lost\n",
				    msg->arg0, msg->arg1);
		break;
	case PRUDAQ_MSG_ERR_CANARY:
		dev->pru0_err_msgs_total++;
		pr_err_ratelimited("PRU0 reports a harmed canary (id %u)\n", msg->arg0);
		break;
	case PRUDAQ_MSG_ERR_INVALID:
		dev->pru0_err_msgs_total++;
		pr_warn_ratelimited("PRU0 rejected command 0x%x (arg %u)\n",
				    msg->arg0, msg->arg1);
		break;
	default:
		dev->pru0_err_msgs_total++;
		pr_warn_ratelimited("unknown message 0x%x from PRU0\n", msg->type);
		break;
	}
}

static void prudaq_comm_service(struct prudaq_dev *dev)
{
	struct prudaq_msg msg;
	unsigned int budget;
	int ret;

	for (budget = PRUDAQ_MSG_SLOTS; budget; budget--) {
		ret = prudaq_comm_receive_msg(dev->comm, &msg);
		if (ret == -ENODATA)
			break;
		if (ret == 0)
			prudaq_comm_handle(dev, &msg);
	}
}

/* Drain what is left in PRU0's ring once everything has stopped. */
void prudaq_comm_drain(struct prudaq_dev *dev)
{
	struct prudaq_msg msg;
	unsigned int n = 0;

	if (!dev->comm || !dev->comm->shm)
		return;
	while (n < 4 * PRUDAQ_MSG_SLOTS &&
	       prudaq_comm_receive_msg(dev->comm, &msg) != -ENODATA)
		n++;
	if (n)
		pr_debug("drained %u messages at exit\n", n);
}

/* PRU1 answered a trigger: run the PI controller and send the correction. */
static void prudaq_sync_service(struct prudaq_dev *dev)
{
	struct prudaq_comm *comm = dev->comm;
	struct prudaq_shm *shm = comm->shm;
	struct prudaq_sync_out out;
	struct prudaq_msg msg;
	struct prudaq_trig *trig;
	u64 local_ns, host_ns;
	int ret;

	ret = prudaq_mbox_recv(&shm->pru1_outbox, &msg);
	if (ret == PRUDAQ_E_EMPTY)
		return;
	if (ret != PRUDAQ_OK || msg.type != PRUDAQ_MSG_SYNC_RESP) {
		comm->rx_canary_err++;
		return;
	}
	local_ns = (u64)msg.arg1 << 32 | msg.arg0;

	spin_lock(&dev->sync_lock);
	trig = &dev->trig[msg.seq % PRUDAQ_TRIG_HIST];
	if ((u16)trig->seq != msg.seq || !trig->t_ns) {
		dev->sync.unmatched_total++;
		spin_unlock(&dev->sync_lock);
		return;
	}
	host_ns = trig->t_ns;
	prudaq_sync_update(&dev->pi, local_ns, host_ns, &out);
	dev->sync.err_ns = dev->pi.err_ns;
	dev->sync.int_ns = dev->pi.integral_ns;
	dev->sync.corr_ppb = out.corr_ppb;
	dev->sync.jumps_total = dev->pi.jumps_total;
	dev->sync.updates_total = dev->pi.updates_total;
	spin_unlock(&dev->sync_lock);

	if (out.jump)
		pr_warn_ratelimited("PRU1 timestamp jump: trigger interval outside 95-105 ms, error %lld ns, stepping\n",
				    (long long)dev->pi.err_ns);
	msg.canary = PRUDAQ_CANARY_MSG;
	msg.type = PRUDAQ_MSG_SYNC_CORR;
	msg.arg0 = (u32)out.corr_ppb;
	msg.arg1 = (u32)out.step_ns;
	if (prudaq_mbox_send(&shm->pru1_inbox, &msg) != PRUDAQ_OK)
		comm->sync_busy++;
}

static void prudaq_flood(struct prudaq_dev *dev)
{
	unsigned int i;

	for (i = 0; i < prudaq_msg_flood; i++)
		prudaq_send_cmd(dev, PRUDAQ_MSG_PING, dev->coord_ticks, i);
}

static enum hrtimer_restart prudaq_coord_cb(struct hrtimer *timer)
{
	struct prudaq_dev *dev = container_of(timer, struct prudaq_dev, coord_timer);
	u64 now = ktime_get_ns();

	if (dev->coord_last_ns)
		WRITE_ONCE(dev->loop_us, (u32)div_u64(now - dev->coord_last_ns, NSEC_PER_USEC));
	dev->coord_last_ns = now;
	dev->coord_ticks++;

	prudaq_comm_service(dev);
	prudaq_sync_service(dev);
	if (dev->fault == PRUDAQ_FAULT_MSG_FLOOD && READ_ONCE(dev->started))
		prudaq_flood(dev);
	prudaq_consumer_service(dev, now);

	hrtimer_forward_now(timer, dev->coord_period);
	return HRTIMER_RESTART;
}

void prudaq_coord_start(struct prudaq_dev *dev)
{
	dev->coord_period = ns_to_ktime((u64)prudaq_coord_period_us * NSEC_PER_USEC);
	hrtimer_init(&dev->coord_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	dev->coord_timer.function = prudaq_coord_cb;
	hrtimer_start(&dev->coord_timer, dev->coord_period, HRTIMER_MODE_REL);
}

/* After this returns the callback is not running and cannot re-arm. */
void prudaq_coord_stop(struct prudaq_dev *dev)
{
	hrtimer_cancel(&dev->coord_timer);
}

static enum hrtimer_restart prudaq_sync_cb(struct hrtimer *timer)
{
	struct prudaq_dev *dev = container_of(timer, struct prudaq_dev, sync_timer);
	u64 boundary = ktime_to_ns(hrtimer_get_expires(timer));
	u64 now = ktime_get_ns();
	struct prudaq_trig *trig;
	u32 seq;

	spin_lock(&dev->sync_lock);
	seq = ++dev->sync_seq;
	trig = &dev->trig[(u16)seq % PRUDAQ_TRIG_HIST];
	trig->seq = (u16)seq;
	trig->t_ns = now;
	dev->sync.trig_lat_ns = (u32)min_t(u64, now - boundary, U32_MAX);
	spin_unlock(&dev->sync_lock);

	dev->ops->trigger(dev, (u16)seq, now);

	hrtimer_forward(timer, ns_to_ktime(now), ns_to_ktime(PRUDAQ_SYNC_PERIOD_NS));
	return HRTIMER_RESTART;
}

void prudaq_sync_start(struct prudaq_dev *dev)
{
	u64 now = ktime_get_ns();
	u64 first = (div_u64(now, PRUDAQ_SYNC_PERIOD_NS) + 1) * PRUDAQ_SYNC_PERIOD_NS;

	prudaq_pi_init(&dev->pi);
	hrtimer_init(&dev->sync_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	dev->sync_timer.function = prudaq_sync_cb;
	hrtimer_start(&dev->sync_timer, ns_to_ktime(first), HRTIMER_MODE_ABS);
}

void prudaq_sync_stop(struct prudaq_dev *dev)
{
	hrtimer_cancel(&dev->sync_timer);
}

void prudaq_sync_snapshot(struct prudaq_dev *dev, struct prudaq_sync_stats *out)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->sync_lock, flags);
	*out = dev->sync;
	spin_unlock_irqrestore(&dev->sync_lock, flags);
}
