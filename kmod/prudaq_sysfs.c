// SPDX-License-Identifier: GPL-2.0-only
/*
 * prudaq sysfs: state and control under /sys/kernel/prudaq/.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "prudaq.h"

static const char * const prudaq_state_names[] = {
	[PRUDAQ_STATE_OFF] = "off",
	[PRUDAQ_STATE_IDLE] = "idle",
	[PRUDAQ_STATE_RUNNING] = "running",
	[PRUDAQ_STATE_ERROR] = "error",
};

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	u32 state = READ_ONCE(prudaq_dev.shm->pru0.state);

	if (state >= ARRAY_SIZE(prudaq_state_names))
		state = PRUDAQ_STATE_ERROR;
	return sysfs_emit(buf, "%s\n", prudaq_state_names[state]);
}

static struct kobj_attribute state_attr = __ATTR_RO(state);

static ssize_t control_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct prudaq_dev *dev = &prudaq_dev;
	int ret;

	if (sysfs_streq(buf, "start"))
		ret = prudaq_send_cmd(dev, PRUDAQ_MSG_START, 0, 0);
	else if (sysfs_streq(buf, "stop"))
		ret = prudaq_send_cmd(dev, PRUDAQ_MSG_STOP, 0, 0);
	else if (sysfs_streq(buf, "ping"))
		ret = prudaq_send_cmd(dev, PRUDAQ_MSG_PING, 0, 0);
	else if (sysfs_streq(buf, "invalid"))
		/* Exercise PRU0's invalid-command report. */
		ret = prudaq_send_cmd(dev, 0x7f, 0, 0);
	else
		ret = -EINVAL;
	return ret ? ret : count;
}

static struct kobj_attribute control_attr = __ATTR_WO(control);

static ssize_t backend_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", prudaq_dev.ops->name);
}

static struct kobj_attribute backend_attr = __ATTR_RO(backend);

static ssize_t fault_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", prudaq_fault_name(prudaq_dev.fault));
}

static struct kobj_attribute fault_attr = __ATTR_RO(fault);

static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return prudaq_format_stats(&prudaq_dev, buf, PAGE_SIZE, ktime_get_ns());
}

static struct kobj_attribute stats_attr = __ATTR_RO(stats);

static ssize_t sample_rate_hz_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(prudaq_dev.shm->pru0.rate_hz));
}

static ssize_t sample_rate_hz_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	u32 hz;
	int ret;

	ret = kstrtou32(buf, 0, &hz);
	if (ret)
		return ret;
	if (hz < PRUDAQ_RATE_MIN_HZ || hz > PRUDAQ_RATE_MAX_HZ)
		return -ERANGE;
	ret = prudaq_send_cmd(&prudaq_dev, PRUDAQ_MSG_SET_RATE, hz, 0);
	if (ret)
		return ret;
	WRITE_ONCE(prudaq_sample_rate_hz, hz);
	return count;
}

static struct kobj_attribute sample_rate_hz_attr = __ATTR_RW(sample_rate_hz);

/*
 * checkpatch CHECK MACRO_ARG_REUSE: _var is always a plain global variable
 * (read in _show, written in _store), so reusing it has no side effects.
 */
#define PRUDAQ_UINT_ATTR(_name, _var, _min, _max)				\
static ssize_t _name##_show(struct kobject *kobj,				\
			    struct kobj_attribute *attr, char *buf)		\
{										\
	return sysfs_emit(buf, "%u\n", READ_ONCE(_var));			\
}										\
static ssize_t _name##_store(struct kobject *kobj,				\
			     struct kobj_attribute *attr,			\
			     const char *buf, size_t count)			\
{										\
	u32 v;									\
	int ret = kstrtou32(buf, 0, &v);					\
										\
	if (ret)								\
		return ret;							\
	if (v < (_min) || v > (_max))						\
		return -ERANGE;							\
	WRITE_ONCE(_var, v);							\
	return count;								\
}										\
static struct kobj_attribute _name##_attr = __ATTR_RW(_name)

PRUDAQ_UINT_ATTR(drain_rate_hz, prudaq_drain_rate_hz, 0, 1000000);
PRUDAQ_UINT_ATTR(drain_period_ms, prudaq_drain_period_ms, 1, 10000);
PRUDAQ_UINT_ATTR(telemetry_hz, prudaq_telemetry_hz, 1, 1000);

static ssize_t drain_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(prudaq_drain) ? 1 : 0);
}

static ssize_t drain_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	bool on;
	int ret = kstrtobool(buf, &on);

	if (ret)
		return ret;
	WRITE_ONCE(prudaq_drain, on);
	return count;
}

static struct kobj_attribute drain_attr = __ATTR_RW(drain);

static ssize_t drift_ppm_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(prudaq_drift_ppm));
}

static ssize_t drift_ppm_store(struct kobject *kobj, struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	int ppm;
	int ret = kstrtoint(buf, 0, &ppm);

	if (ret)
		return ret;
	if (ppm < -1000 || ppm > 1000)
		return -ERANGE;
	if (!prudaq_dev.ops->set_clock)
		return -EOPNOTSUPP;
	WRITE_ONCE(prudaq_drift_ppm, ppm);
	prudaq_dev.ops->set_clock(&prudaq_dev, ppm, READ_ONCE(prudaq_jitter_ns));
	return count;
}

static struct kobj_attribute drift_ppm_attr = __ATTR_RW(drift_ppm);

static ssize_t jitter_ns_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(prudaq_jitter_ns));
}

static ssize_t jitter_ns_store(struct kobject *kobj, struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	u32 ns;
	int ret = kstrtou32(buf, 0, &ns);

	if (ret)
		return ret;
	if (ns > 10 * NSEC_PER_MSEC)
		return -ERANGE;
	if (!prudaq_dev.ops->set_clock)
		return -EOPNOTSUPP;
	WRITE_ONCE(prudaq_jitter_ns, ns);
	prudaq_dev.ops->set_clock(&prudaq_dev, READ_ONCE(prudaq_drift_ppm), ns);
	return count;
}

static struct kobj_attribute jitter_ns_attr = __ATTR_RW(jitter_ns);

static struct attribute *prudaq_attrs[] = {
	&state_attr.attr,
	&control_attr.attr,
	&backend_attr.attr,
	&fault_attr.attr,
	&stats_attr.attr,
	&sample_rate_hz_attr.attr,
	&drain_attr.attr,
	&drain_rate_hz_attr.attr,
	&drain_period_ms_attr.attr,
	&telemetry_hz_attr.attr,
	&drift_ppm_attr.attr,
	&jitter_ns_attr.attr,
	NULL,
};

static const struct attribute_group prudaq_attr_group = {
	.attrs = prudaq_attrs,
};

int prudaq_sysfs_init(struct prudaq_dev *dev)
{
	int ret;

	dev->kobj = kobject_create_and_add(PRUDAQ_NAME, kernel_kobj);
	if (!dev->kobj)
		return -ENOMEM;
	ret = sysfs_create_group(dev->kobj, &prudaq_attr_group);
	if (ret) {
		kobject_put(dev->kobj);
		dev->kobj = NULL;
	}
	return ret;
}

void prudaq_sysfs_exit(struct prudaq_dev *dev)
{
	if (!dev->kobj)
		return;
	sysfs_remove_group(dev->kobj, &prudaq_attr_group);
	kobject_put(dev->kobj);
	dev->kobj = NULL;
}
