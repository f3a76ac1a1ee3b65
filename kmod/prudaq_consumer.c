// SPDX-License-Identifier: GPL-2.0-only
/*
 * prudaq sample consumer: /dev/prudaq hands the samples of both buffers to
 * user space as struct prudaq_sample records (8 bytes each); the in-kernel
 * drain consumes them at a configurable rate so fill levels move with no
 * reader at all.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "prudaq.h"

#define PRUDAQ_READ_MAX		256u	/* samples per read() call */

struct prudaq_reader {
	struct prudaq_dev *dev;
	struct prudaq_sample buf[PRUDAQ_READ_MAX];
};

static bool prudaq_consumer_stalled(struct prudaq_dev *dev)
{
	return dev->fault == PRUDAQ_FAULT_CONSUMER_STALL;
}

static bool prudaq_samples_ready(struct prudaq_dev *dev)
{
	struct prudaq_shm *shm = dev->comm->shm;
	unsigned int i;

	if (prudaq_consumer_stalled(dev))
		return false;
	for (i = 0; i < PRUDAQ_NUM_BUFS; i++)
		if (prudaq_buf_fill(&shm->buf[i]))
			return true;
	return false;
}

/* Takes up to max samples, buffer 0 first. Caller holds consumer_lock. */
static u32 prudaq_take(struct prudaq_dev *dev, struct prudaq_sample *out, u32 max)
{
	struct prudaq_shm *shm = dev->comm->shm;
	u32 n = 0;
	unsigned int i;

	for (i = 0; i < PRUDAQ_NUM_BUFS && n < max; i++)
		n += prudaq_buf_get(&shm->buf[i], out ? out + n : NULL, max - n);
	return n;
}

/* Called by the coordinator (hard-irq context) on every tick. */
void prudaq_consumer_service(struct prudaq_dev *dev, u64 now_ns)
{
	struct prudaq_shm *shm = dev->comm->shm;
	u32 rate = READ_ONCE(prudaq_drain_rate_hz);
	u32 period_ms = READ_ONCE(prudaq_drain_period_ms);
	u32 n, i, got = 0;

	if (dev->readers && prudaq_samples_ready(dev))
		wake_up_interruptible(&dev->sample_wq);
	if (!READ_ONCE(prudaq_drain) || prudaq_consumer_stalled(dev) || !period_ms)
		return;
	if (now_ns < dev->drain_next_ns)
		return;
	if (now_ns - dev->drain_next_ns > 10ull * period_ms * NSEC_PER_MSEC)
		dev->drain_next_ns = now_ns;	/* far behind: do not burst */
	dev->drain_next_ns += (u64)period_ms * NSEC_PER_MSEC;
	n = (u32)div_u64((u64)rate * period_ms, MSEC_PER_SEC);

	spin_lock(&dev->consumer_lock);
	for (i = 0; i < PRUDAQ_NUM_BUFS; i++)
		got += prudaq_buf_drop(&shm->buf[i], n);
	dev->drained_total += got;
	spin_unlock(&dev->consumer_lock);
}

static int prudaq_open(struct inode *inode, struct file *file)
{
	struct prudaq_dev *dev = container_of(file->private_data,
					      struct prudaq_dev, misc);
	struct prudaq_reader *r;
	unsigned long flags;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->dev = dev;
	file->private_data = r;
	spin_lock_irqsave(&dev->consumer_lock, flags);
	dev->readers++;
	spin_unlock_irqrestore(&dev->consumer_lock, flags);
	return stream_open(inode, file);
}

static int prudaq_release(struct inode *inode, struct file *file)
{
	struct prudaq_reader *r = file->private_data;
	struct prudaq_dev *dev = r->dev;
	unsigned long flags;

	spin_lock_irqsave(&dev->consumer_lock, flags);
	dev->readers--;
	spin_unlock_irqrestore(&dev->consumer_lock, flags);
	kfree(r);
	return 0;
}

static ssize_t prudaq_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	struct prudaq_reader *r = file->private_data;
	struct prudaq_dev *dev = r->dev;
	u32 max = min_t(size_t, count / sizeof(struct prudaq_sample), PRUDAQ_READ_MAX);
	unsigned long flags;
	u32 n;
	int ret;

	if (!max)
		return -EINVAL;
	for (;;) {
		spin_lock_irqsave(&dev->consumer_lock, flags);
		n = prudaq_consumer_stalled(dev) ? 0 : prudaq_take(dev, r->buf, max);
		dev->read_total += n;
		spin_unlock_irqrestore(&dev->consumer_lock, flags);
		if (n)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(dev->sample_wq, prudaq_samples_ready(dev));
		if (ret)
			return ret;
	}
	if (copy_to_user(ubuf, r->buf, n * sizeof(struct prudaq_sample)))
		return -EFAULT;
	return n * sizeof(struct prudaq_sample);
}

static __poll_t prudaq_poll(struct file *file, poll_table *wait)
{
	struct prudaq_reader *r = file->private_data;

	poll_wait(file, &r->dev->sample_wq, wait);
	return prudaq_samples_ready(r->dev) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations prudaq_fops = {
	.owner = THIS_MODULE,
	.open = prudaq_open,
	.release = prudaq_release,
	.read = prudaq_read,
	.poll = prudaq_poll,
	.llseek = no_llseek,
};

int prudaq_consumer_init(struct prudaq_dev *dev)
{
	int ret;

	dev->drain_next_ns = ktime_get_ns();
	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = PRUDAQ_NAME;
	dev->misc.fops = &prudaq_fops;
	dev->misc.mode = 0444;
	ret = misc_register(&dev->misc);
	if (ret)
		return ret;
	dev->misc_registered = true;
	return 0;
}

void prudaq_consumer_exit(struct prudaq_dev *dev)
{
	if (dev->misc_registered)
		misc_deregister(&dev->misc);
	dev->misc_registered = false;
}
