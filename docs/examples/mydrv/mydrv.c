// SPDX-License-Identifier: GPL-2.0-only
/* The telemetry contract from your own module: a debugfs file of key=value pairs. */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#define MYDRV_RX_CAP 256
static struct dentry *mydrv_dir;
static atomic_t mydrv_rx_fill = ATOMIC_INIT(0);	/* kept by your driver */
static atomic64_t mydrv_irqs = ATOMIC64_INIT(0);	/* a counter that only grows */

static int mydrv_stats_show(struct seq_file *m, void *v)
{
	atomic64_inc(&mydrv_irqs);	/* stand-ins for the real work */
	atomic_set(&mydrv_rx_fill, atomic64_read(&mydrv_irqs) % MYDRV_RX_CAP);
	seq_printf(m, "rx_fill_n=%d rx_cap_n=%d irq_total_n=%lld\n",
		   atomic_read(&mydrv_rx_fill), MYDRV_RX_CAP,
		   (long long)atomic64_read(&mydrv_irqs));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mydrv_stats);

static int __init mydrv_init(void)
{
	mydrv_dir = debugfs_create_dir("mydrv", NULL);
	debugfs_create_file("stats", 0444, mydrv_dir, NULL, &mydrv_stats_fops);
	return 0;
}

static void __exit mydrv_exit(void)
{
	debugfs_remove_recursive(mydrv_dir);
}

module_init(mydrv_init);
module_exit(mydrv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmodscope telemetry example");
