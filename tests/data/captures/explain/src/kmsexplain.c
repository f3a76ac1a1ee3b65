// SPDX-License-Identifier: GPL-2.0
/*
 * kmsexplain - one bad memory access per shape that kmodscope's fault
 * explanation must name: a NULL member read or write through a parameter,
 * a local or a temporary, an array element, a nested struct member, a
 * bitfield, a union member, a freed and poisoned object and a deleted list
 * entry.
 *
 * Loading it is harmless. Writing a shape number to
 * /sys/kernel/debug/kmsexplain/trigger faults in process context (the
 * writing task is killed, the kernel goes on), after printing
 * "kmsexplain: shape NAME" so that each report can be told apart.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kmsexplain.h"

/* Never set: READ_ONCE() keeps the compiler from seeing that they are NULL. */
static struct kmsx_dev *kmsx_table[4];
static struct kmsx_ctx kmsx_ctx_null;
static struct dentry *kmsx_dir;
static struct kmem_cache *kmsx_cache;
static u32 kmsx_sink;

static const char * const kmsx_shapes[] = {
	"none", "param_read", "param_write", "local_read", "local_write",
	"temp_read", "array_read", "nested_write", "bitfield_read",
	"union_read", "uaf_read", "list_read",
};

static void kmsx_fire(int shape)
{
	static struct kmsx_item item;
	static LIST_HEAD(head);
	struct kmsx_dev *none = kmsx_find(1);
	u64 v = 0;

	pr_info("kmsexplain: shape %s\n", kmsx_shapes[shape]);
	switch (shape) {
	case 1:
		v = kmsx_param_read(none);
		break;
	case 2:
		kmsx_param_write(none, 0x5);
		break;
	case 3:
		v = kmsx_local_read(2);
		break;
	case 4:
		kmsx_local_write(3, 0x7);
		break;
	case 5:
		v = kmsx_temp_read(&kmsx_ctx_null);
		break;
	case 6:
		v = kmsx_array_read(none);
		break;
	case 7:
		kmsx_nested_write(none, 0x10);
		break;
	case 8:
		v = kmsx_bitfield_read(none);
		break;
	case 9:
		v = kmsx_union_read(none);
		break;
	case 10:
		v = kmsx_uaf_read();
		break;
	case 11:
		list_add(&item.node, &head);
		v = kmsx_list_read(&item);
		break;
	}
	WRITE_ONCE(kmsx_sink, (u32)v);
}

static ssize_t kmsx_trigger_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	int shape;
	int ret = kstrtoint_from_user(buf, count, 0, &shape);

	if (ret)
		return ret;
	if (shape < 0 || shape >= ARRAY_SIZE(kmsx_shapes))
		return -EINVAL;
	kmsx_fire(shape);
	return count;
}

/*
 * No shape calls it: defined first, it is placed first in .text, so that the
 * code an oops prints from before the faulting instruction (43 bytes on
 * x86_64) lies inside the module for every shape.
 */
noinline void kmsx_dev_setup(struct kmsx_dev *dev, u32 id, u32 rate)
{
	dev->id = id;
	dev->flags = 0;
	dev->stamp = 0;
	dev->cfg.rate = rate;
	dev->cfg.limits.low = 1;
	dev->cfg.limits.high = 0xffff;
	dev->cfg.gain = 3;
	dev->mode = 1;
	dev->armed = 0;
	dev->level = 0x80;
	dev->status.word = 0;
	INIT_LIST_HEAD(&dev->node);
	dev->peer = NULL;
	dev->tail = 0;
}
EXPORT_SYMBOL_GPL(kmsx_dev_setup);

noinline struct kmsx_dev *kmsx_find(int id)
{
	return READ_ONCE(kmsx_table[id & 3]);
}
EXPORT_SYMBOL_GPL(kmsx_find);

noinline u64 kmsx_param_read(struct kmsx_dev *dev)
{
	return READ_ONCE(dev->stamp);
}
EXPORT_SYMBOL_GPL(kmsx_param_read);

noinline void kmsx_param_write(struct kmsx_dev *dev, u32 flags)
{
	WRITE_ONCE(dev->flags, flags);
}
EXPORT_SYMBOL_GPL(kmsx_param_write);

noinline u32 kmsx_local_read(int id)
{
	struct kmsx_dev *dev = kmsx_find(id);

	return READ_ONCE(dev->cfg.rate) + id;
}
EXPORT_SYMBOL_GPL(kmsx_local_read);

noinline void kmsx_local_write(int id, u32 v)
{
	struct kmsx_dev *dev = kmsx_find(id);

	WRITE_ONCE(dev->tail, v);
}
EXPORT_SYMBOL_GPL(kmsx_local_write);

noinline u8 kmsx_temp_read(struct kmsx_ctx *ctx)
{
	return READ_ONCE(ctx->dev->cfg.gain);
}
EXPORT_SYMBOL_GPL(kmsx_temp_read);

noinline u32 kmsx_array_read(struct kmsx_dev *dev)
{
	return READ_ONCE(dev->samples[7]);
}
EXPORT_SYMBOL_GPL(kmsx_array_read);

noinline void kmsx_nested_write(struct kmsx_dev *dev, u16 high)
{
	WRITE_ONCE(dev->cfg.limits.high, high);
}
EXPORT_SYMBOL_GPL(kmsx_nested_write);

noinline u32 kmsx_bitfield_read(struct kmsx_dev *dev)
{
	return dev->level;
}
EXPORT_SYMBOL_GPL(kmsx_bitfield_read);

noinline u8 kmsx_union_read(struct kmsx_dev *dev)
{
	return READ_ONCE(dev->status.bytes[2]);
}
EXPORT_SYMBOL_GPL(kmsx_union_read);

/* The freed object's pointer member reads back as slab poison (0x6b...). */
noinline u32 kmsx_uaf_read(void)
{
	struct kmsx_obj *obj = kmem_cache_zalloc(kmsx_cache, GFP_KERNEL);
	struct kmsx_dev *dev;

	if (!obj)
		return 0;
	obj->dev = kmsx_find(0);
	kmem_cache_free(kmsx_cache, obj);
	dev = READ_ONCE(obj->dev);
	return READ_ONCE(dev->id);
}
EXPORT_SYMBOL_GPL(kmsx_uaf_read);

/* The deleted entry's next pointer reads back as LIST_POISON1. */
noinline u32 kmsx_list_read(struct kmsx_item *item)
{
	struct kmsx_item *next;

	list_del(&item->node);
	next = list_entry(READ_ONCE(item->node.next), struct kmsx_item, node);
	return READ_ONCE(next->value);
}
EXPORT_SYMBOL_GPL(kmsx_list_read);

static const struct file_operations kmsx_trigger_fops = {
	.owner = THIS_MODULE,
	.write = kmsx_trigger_write,
	.llseek = noop_llseek,
};

static int __init kmsx_init(void)
{
	kmsx_cache = kmem_cache_create("kmsexplain_obj", sizeof(struct kmsx_obj),
				       0, SLAB_POISON | SLAB_RED_ZONE, NULL);
	if (!kmsx_cache)
		return -ENOMEM;
	kmsx_dir = debugfs_create_dir("kmsexplain", NULL);
	debugfs_create_file("trigger", 0200, kmsx_dir, NULL, &kmsx_trigger_fops);
	return 0;
}

static void __exit kmsx_exit(void)
{
	debugfs_remove(kmsx_dir);
	kmem_cache_destroy(kmsx_cache);
}

module_init(kmsx_init);
module_exit(kmsx_exit);

MODULE_DESCRIPTION("kmodscope fault explanation fixture");
MODULE_AUTHOR("kmodscope developers");
MODULE_LICENSE("GPL");
