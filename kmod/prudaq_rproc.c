// SPDX-License-Identifier: GPL-2.0-only
/*
 * prudaq remoteproc backend: the real PRU-ICSS of an AM335x (BeagleBone).
 * Compiled only when the kernel has the PRU remoteproc driver
 * (CONFIG_PRU_REMOTEPROC), or with PRUDAQ_RPROC=1 as a compile test.
 *
 * The device tree names the two PRU cores and the PRU shared RAM:
 *
 *	prudaq {
 *		compatible = "kmodscope,prudaq";
 *		ti,prus = <&pru0>, <&pru1>;
 *		reg = <0x4a310000 0x3000>;
 *	};
 *
 * The firmware (pru/, built with clpru or pru-gcc) is loaded from
 * /lib/firmware/prudaq-pru0.elf and prudaq-pru1.elf. PRU1 has no capture of
 * the kernel's trigger here: the sync hrtimer writes a TRIGGER message into
 * the shared-memory trigger mailbox, which PRU1 polls within a few cycles.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/remoteproc.h>

#include "prudaq.h"

static const char * const prudaq_rproc_fw[2] = {
	"prudaq-pru0.elf",
	"prudaq-pru1.elf",
};

struct prudaq_rproc {
	struct device *dev;
	struct rproc *pru[2];
	struct resource *res;
	void *shm;
	bool bound;
	bool registered;
};

static struct prudaq_rproc prudaq_rproc;

bool prudaq_rproc_available(void)
{
	return prudaq_rproc.bound;
}

static int prudaq_rproc_map(struct prudaq_dev *dev)
{
	struct prudaq_rproc *p = &prudaq_rproc;

	if (resource_size(p->res) < sizeof(struct prudaq_shm)) {
		dev_err(p->dev, "shared RAM %pR is smaller than %zu bytes\n", p->res,
			sizeof(struct prudaq_shm));
		return -EINVAL;
	}
	p->shm = memremap(p->res->start, resource_size(p->res), MEMREMAP_WC);
	if (!p->shm)
		return -ENOMEM;
	dev->shm = p->shm;
	dev->backend_priv = p;
	return 0;
}

static void prudaq_rproc_unmap(struct prudaq_dev *dev)
{
	struct prudaq_rproc *p = &prudaq_rproc;

	dev->shm = NULL;
	memunmap(p->shm);
	p->shm = NULL;
}

static int prudaq_rproc_start(struct prudaq_dev *dev, u64 epoch_ns)
{
	struct prudaq_rproc *p = &prudaq_rproc;
	int i, ret;

	for (i = 0; i < 2; i++) {
		ret = rproc_set_firmware(p->pru[i], prudaq_rproc_fw[i]);
		if (!ret)
			ret = rproc_boot(p->pru[i]);
		if (ret) {
			dev_err(p->dev, "PRU%d: cannot boot %s: %d\n", i,
				prudaq_rproc_fw[i], ret);
			while (--i >= 0)
				rproc_shutdown(p->pru[i]);
			return ret;
		}
	}
	return 0;
}

static void prudaq_rproc_stop(struct prudaq_dev *dev)
{
	struct prudaq_rproc *p = &prudaq_rproc;

	if (p->pru[1]->state == RPROC_RUNNING)
		rproc_shutdown(p->pru[1]);
	if (p->pru[0]->state == RPROC_RUNNING)
		rproc_shutdown(p->pru[0]);
}

static void prudaq_rproc_trigger(struct prudaq_dev *dev, u32 seq, u64 t_ns)
{
	struct prudaq_msg msg = {
		.canary = PRUDAQ_CANARY_MSG,
		.type = PRUDAQ_MSG_TRIGGER,
		.seq = (u16)seq,
	};

	prudaq_mbox_send(&dev->shm->pru1_trigger, &msg);
}

const struct prudaq_backend_ops prudaq_rproc_ops = {
	.name = "remoteproc",
	.map = prudaq_rproc_map,
	.unmap = prudaq_rproc_unmap,
	.start = prudaq_rproc_start,
	.stop = prudaq_rproc_stop,
	.trigger = prudaq_rproc_trigger,
};

static int prudaq_rproc_probe(struct platform_device *pdev)
{
	struct prudaq_rproc *p = &prudaq_rproc;
	struct device_node *np = pdev->dev.of_node;
	int i;

	p->res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!p->res)
		return dev_err_probe(&pdev->dev, -EINVAL, "no shared RAM (reg)\n");
	for (i = 0; i < 2; i++) {
		u32 phandle;

		if (of_property_read_u32_index(np, "ti,prus", i, &phandle))
			goto fail;
		p->pru[i] = rproc_get_by_phandle(phandle);
		if (!p->pru[i])
			goto fail;
	}
	p->dev = &pdev->dev;
	p->bound = true;
	dev_info(&pdev->dev, "PRU pair bound, shared RAM %pR\n", p->res);
	return 0;
fail:
	while (--i >= 0)
		rproc_put(p->pru[i]);
	return dev_err_probe(&pdev->dev, -EPROBE_DEFER, "PRU %d not available\n", i + 1);
}

static int prudaq_rproc_remove(struct platform_device *pdev)
{
	struct prudaq_rproc *p = &prudaq_rproc;

	p->bound = false;
	rproc_put(p->pru[1]);
	rproc_put(p->pru[0]);
	return 0;
}

static const struct of_device_id prudaq_rproc_of_match[] = {
	{ .compatible = "kmodscope,prudaq" },
	{ }
};

/*
 * Only in real builds: the compile test (PRUDAQ_RPROC=1) cross-builds with
 * Debian's amd64 modpost, which knows only x86_64's struct of_device_id size.
 */
#if IS_ENABLED(CONFIG_PRU_REMOTEPROC)
MODULE_DEVICE_TABLE(of, prudaq_rproc_of_match);
#endif

static struct platform_driver prudaq_rproc_driver = {
	.probe = prudaq_rproc_probe,
	.remove = prudaq_rproc_remove,
	.driver = {
		.name = "prudaq-rproc",
		.of_match_table = prudaq_rproc_of_match,
	},
};

/* Binds synchronously when the device tree has the node. */
int prudaq_rproc_register(void)
{
	int ret = platform_driver_register(&prudaq_rproc_driver);

	prudaq_rproc.registered = !ret;
	return ret;
}

void prudaq_rproc_unregister(void)
{
	if (prudaq_rproc.registered)
		platform_driver_unregister(&prudaq_rproc_driver);
	prudaq_rproc.registered = false;
}
