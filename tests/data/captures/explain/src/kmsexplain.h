/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KMSEXPLAIN_H
#define KMSEXPLAIN_H

#include <linux/list.h>
#include <linux/types.h>

struct kmsx_limits {
	u16 low;
	u16 high;
};

struct kmsx_cfg {
	u32 rate;
	struct kmsx_limits limits;
	u8 gain;
};

/* Members at distinct offsets, each one reached by exactly one fault shape. */
struct kmsx_dev {
	u32 id;
	u32 flags;
	u64 stamp;
	struct kmsx_cfg cfg;
	unsigned int mode:3;
	unsigned int armed:1;
	unsigned int level:12;
	u32 samples[16];
	union {
		u32 word;
		u8 bytes[4];
	} status;
	struct list_head node;
	struct kmsx_dev *peer;
	char name[24];
	u8 pad[0x100];
	u32 tail;
};

struct kmsx_ctx {
	int users;
	struct kmsx_dev *dev;
};

struct kmsx_item {
	u32 value;
	struct list_head node;
};

struct kmsx_obj {
	u64 cookie;
	struct kmsx_dev *dev;
};

void kmsx_dev_setup(struct kmsx_dev *dev, u32 id, u32 rate);
struct kmsx_dev *kmsx_find(int id);
u64 kmsx_param_read(struct kmsx_dev *dev);
void kmsx_param_write(struct kmsx_dev *dev, u32 flags);
u32 kmsx_local_read(int id);
void kmsx_local_write(int id, u32 v);
u8 kmsx_temp_read(struct kmsx_ctx *ctx);
u32 kmsx_array_read(struct kmsx_dev *dev);
void kmsx_nested_write(struct kmsx_dev *dev, u16 high);
u32 kmsx_bitfield_read(struct kmsx_dev *dev);
u8 kmsx_union_read(struct kmsx_dev *dev);
u32 kmsx_uaf_read(void);
u32 kmsx_list_read(struct kmsx_item *item);

#endif /* KMSEXPLAIN_H */
