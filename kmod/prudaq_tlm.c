// SPDX-License-Identifier: GPL-2.0-only
/*
 * prudaq telemetry: /sys/kernel/debug/prudaq/telemetry.
 *
 * A kernel thread formats one "key=value ..." line every 1/telemetry_hz s
 * into a ring of telemetry_lines slots shared by all readers. Each reader
 * keeps its own sequence number: a read blocks until the next line, every
 * reader gets every line, and a reader that falls more than a ring behind
 * skips to the oldest line kept (the skipped lines are counted in
 * tlm_lost_total_n). Memory does not depend on the number of readers, and
 * a reader that stops reading holds nothing but its own small state.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "prudaq.h"

#define PRUDAQ_TLM_LINE		1024	/* bytes per line, including '\n' */

struct prudaq_tlm_slot {
	u16 len;
	char text[PRUDAQ_TLM_LINE];
};

struct prudaq_tlm {
	struct prudaq_dev *dev;
	spinlock_t lock;			/* head_seq, slots, counters */
	wait_queue_head_t wq;
	u64 head_seq;				/* sequence number of the next line */
	u32 mask;				/* slots - 1 */
	struct prudaq_tlm_slot *slots;
	u64 lost_total;
	u32 readers;
	struct task_struct *thread;
	struct dentry *dir;
	char scratch[PRUDAQ_TLM_LINE];		/* the thread's line being built */
};

struct prudaq_tlm_reader {
	struct prudaq_tlm *tlm;
	u64 seq;				/* next line this reader gets */
	u32 off;				/* bytes of line[] already read */
	u32 len;
	char line[PRUDAQ_TLM_LINE];
};

u64 prudaq_tlm_lost_total(struct prudaq_dev *dev)
{
	struct prudaq_tlm *tlm = dev->tlm;
	unsigned long flags;
	u64 lost;

	if (!tlm)
		return 0;
	spin_lock_irqsave(&tlm->lock, flags);
	lost = tlm->lost_total;
	spin_unlock_irqrestore(&tlm->lock, flags);
	return lost;
}

/*
 * The telemetry line (also /sys/kernel/prudaq/stats). First key t_ns; units
 * in the suffixes; see kmod/README.md for each key.
 */
int prudaq_format_stats(struct prudaq_dev *dev, char *buf, size_t size, u64 t_ns)
{
	struct prudaq_shm *shm = dev->comm->shm;
	struct prudaq_sync_stats sync;
	u32 to_drop = READ_ONCE(shm->msg_to_pru0.dropped);
	u32 from_drop = READ_ONCE(shm->msg_from_pru0.dropped);
	s32 corr = 0;
	const char *sign = "";
	int len;

	prudaq_sync_snapshot(dev, &sync);
	corr = sync.corr_ppb;
	if (corr < 0) {
		sign = "-";
		corr = -corr;
	}
	len = scnprintf(buf, size,
			"t_ns=%llu msg_to_pru0_fill_n=%u msg_to_pru0_cap_n=%u msg_from_pru0_fill_n=%u msg_from_pru0_cap_n=%u",
			t_ns, prudaq_msg_fill(&shm->msg_to_pru0), PRUDAQ_MSG_SLOTS,
			prudaq_msg_fill(&shm->msg_from_pru0), PRUDAQ_MSG_SLOTS);
	len += scnprintf(buf + len, size - len,
			 " buf0_fill_n=%u buf0_cap_n=%u buf1_fill_n=%u buf1_cap_n=%u",
			 prudaq_buf_fill(&shm->buf[0]), PRUDAQ_BUF_SLOTS,
			 prudaq_buf_fill(&shm->buf[1]), PRUDAQ_BUF_SLOTS);
	len += scnprintf(buf + len, size - len,
			 " samples_total_n=%u overflow_total_n=%u backpressure_total_n=%u read_total_n=%llu drained_total_n=%llu",
			 READ_ONCE(shm->pru0.samples_total),
			 READ_ONCE(shm->pru0.overflow_total),
			 READ_ONCE(shm->pru0.backpressure_total),
			 READ_ONCE(dev->read_total), READ_ONCE(dev->drained_total));
	len += scnprintf(buf + len, size - len,
			 " dropped_total_n=%u msg_to_pru0_dropped_total_n=%u msg_from_pru0_dropped_total_n=%u msg_to_pru0_total_n=%u msg_from_pru0_total_n=%u pru0_err_total_n=%u",
			 to_drop + from_drop, to_drop, from_drop,
			 READ_ONCE(dev->comm->tx_total), READ_ONCE(dev->comm->rx_seq),
			 READ_ONCE(dev->pru0_err_msgs_total));
	len += scnprintf(buf + len, size - len,
			 " sync_err_ns=%lld sync_int_ns=%lld corr_ppm=%s%d.%03d trig_lat_us=%u loop_us=%u sync_total_n=%u sync_jumps_total_n=%u",
			 (long long)sync.err_ns, (long long)sync.int_ns, sign,
			 corr / 1000, corr % 1000, sync.trig_lat_ns / 1000,
			 READ_ONCE(dev->loop_us), sync.updates_total, sync.jumps_total);
	len += scnprintf(buf + len, size - len,
			 " pru1_corr_total_n=%u pru1_missed_total_n=%u tlm_lost_total_n=%llu\n",
			 READ_ONCE(shm->pru1.corrections_total),
			 READ_ONCE(shm->pru1.missed_total),
			 prudaq_tlm_lost_total(dev));
	return len;
}

static void prudaq_tlm_emit(struct prudaq_tlm *tlm)
{
	struct prudaq_tlm_slot *slot;
	int len;

	len = prudaq_format_stats(tlm->dev, tlm->scratch, sizeof(tlm->scratch),
				  ktime_get_ns());
	spin_lock_irq(&tlm->lock);
	slot = &tlm->slots[tlm->head_seq & tlm->mask];
	memcpy(slot->text, tlm->scratch, len);
	slot->len = len;
	tlm->head_seq++;
	spin_unlock_irq(&tlm->lock);
	wake_up_interruptible(&tlm->wq);
}

static int prudaq_tlm_thread(void *arg)
{
	struct prudaq_tlm *tlm = arg;
	ktime_t next = ktime_get();

	while (!kthread_should_stop()) {
		u32 hz = clamp_val(READ_ONCE(prudaq_telemetry_hz), 1, 1000);
		u64 period = div_u64(NSEC_PER_SEC, hz);
		ktime_t now = ktime_get();

		next = ktime_add_ns(next, period);
		if (ktime_before(next, ktime_sub_ns(now, period)))
			next = ktime_add_ns(now, period);	/* we fell behind: skip */
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		schedule_hrtimeout_range(&next, 20 * NSEC_PER_USEC, HRTIMER_MODE_ABS);
		if (kthread_should_stop())
			break;
		prudaq_tlm_emit(tlm);
	}
	return 0;
}

static int prudaq_tlm_open(struct inode *inode, struct file *file)
{
	struct prudaq_tlm *tlm = inode->i_private;
	struct prudaq_tlm_reader *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->tlm = tlm;
	spin_lock_irq(&tlm->lock);
	r->seq = tlm->head_seq;		/* start with the next line */
	tlm->readers++;
	spin_unlock_irq(&tlm->lock);
	file->private_data = r;
	return stream_open(inode, file);
}

static int prudaq_tlm_release(struct inode *inode, struct file *file)
{
	struct prudaq_tlm_reader *r = file->private_data;
	struct prudaq_tlm *tlm = r->tlm;

	spin_lock_irq(&tlm->lock);
	tlm->readers--;
	spin_unlock_irq(&tlm->lock);
	kfree(r);
	return 0;
}

/* Copies the reader's next line into r->line; false if none is there yet. */
static bool prudaq_tlm_next(struct prudaq_tlm_reader *r)
{
	struct prudaq_tlm *tlm = r->tlm;
	struct prudaq_tlm_slot *slot;
	u64 oldest;

	spin_lock_irq(&tlm->lock);
	if (r->seq == tlm->head_seq) {
		spin_unlock_irq(&tlm->lock);
		return false;
	}
	oldest = tlm->head_seq > tlm->mask + 1 ? tlm->head_seq - tlm->mask - 1 : 0;
	if (r->seq < oldest) {
		/* Overrun: this reader loses its oldest lines. */
		tlm->lost_total += oldest - r->seq;
		r->seq = oldest;
	}
	slot = &tlm->slots[r->seq & tlm->mask];
	memcpy(r->line, slot->text, slot->len);
	r->len = slot->len;
	r->off = 0;
	r->seq++;
	spin_unlock_irq(&tlm->lock);
	return true;
}

static bool prudaq_tlm_ready(struct prudaq_tlm_reader *r)
{
	return r->off < r->len || READ_ONCE(r->tlm->head_seq) != r->seq;
}

static ssize_t prudaq_tlm_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct prudaq_tlm_reader *r = file->private_data;
	size_t done = 0;
	int ret;

	if (!count)
		return 0;
	while (done < count) {
		size_t n;

		if (r->off >= r->len && !prudaq_tlm_next(r)) {
			if (done)
				break;	/* return what we have, block next time */
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			ret = wait_event_interruptible(r->tlm->wq, prudaq_tlm_ready(r));
			if (ret)
				return ret;
			continue;
		}
		n = min_t(size_t, count - done, r->len - r->off);
		if (copy_to_user(ubuf + done, r->line + r->off, n))
			return done ? done : -EFAULT;
		r->off += n;
		done += n;
	}
	return done;
}

static __poll_t prudaq_tlm_poll(struct file *file, poll_table *wait)
{
	struct prudaq_tlm_reader *r = file->private_data;

	poll_wait(file, &r->tlm->wq, wait);
	return prudaq_tlm_ready(r) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations prudaq_tlm_fops = {
	.owner = THIS_MODULE,
	.open = prudaq_tlm_open,
	.release = prudaq_tlm_release,
	.read = prudaq_tlm_read,
	.poll = prudaq_tlm_poll,
	.llseek = no_llseek,
};

int prudaq_tlm_init(struct prudaq_dev *dev)
{
	struct prudaq_tlm *tlm;
	u32 lines = roundup_pow_of_two(clamp_val(prudaq_telemetry_lines, 16, 8192));

	tlm = kzalloc(sizeof(*tlm), GFP_KERNEL);
	if (!tlm)
		return -ENOMEM;
	tlm->slots = kvcalloc(lines, sizeof(*tlm->slots), GFP_KERNEL);
	if (!tlm->slots) {
		kfree(tlm);
		return -ENOMEM;
	}
	tlm->dev = dev;
	tlm->mask = lines - 1;
	spin_lock_init(&tlm->lock);
	init_waitqueue_head(&tlm->wq);
	dev->tlm = tlm;

	tlm->dir = debugfs_create_dir(PRUDAQ_NAME, NULL);
	debugfs_create_file("telemetry", 0444, tlm->dir, tlm, &prudaq_tlm_fops);

	tlm->thread = kthread_run(prudaq_tlm_thread, tlm, "prudaq-tlm");
	if (IS_ERR(tlm->thread)) {
		int ret = PTR_ERR(tlm->thread);

		tlm->thread = NULL;
		prudaq_tlm_exit(dev);
		return ret;
	}
	return 0;
}

/*
 * Open files pin the module (fops owner), so no reader exists here: stop the
 * producer, remove the file, free the ring.
 */
void prudaq_tlm_exit(struct prudaq_dev *dev)
{
	struct prudaq_tlm *tlm = dev->tlm;

	if (!tlm)
		return;
	if (tlm->thread)
		kthread_stop(tlm->thread);
	debugfs_remove(tlm->dir);
	dev->tlm = NULL;
	kvfree(tlm->slots);
	kfree(tlm);
}
