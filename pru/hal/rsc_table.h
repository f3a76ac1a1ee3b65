/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * An empty remoteproc resource table: the kernel's PRU remoteproc driver
 * looks for a .resource_table section; prudaq needs no carveouts or vrings
 * (the shared RAM is fixed), so it lists nothing.
 */
#ifndef PRUDAQ_RSC_TABLE_H
#define PRUDAQ_RSC_TABLE_H

#include "prudaq_proto.h"

struct prudaq_rsc_table {
	u32 ver;
	u32 num;
	u32 reserved[2];
};

#if defined(__TI_COMPILER_VERSION__)
#pragma DATA_SECTION(prudaq_rsc_table, ".resource_table")
#pragma RETAIN(prudaq_rsc_table)
const struct prudaq_rsc_table prudaq_rsc_table = { 1, 0, { 0, 0 } };
#else
/* No <linux/compiler.h> here (checkpatch PREFER_DEFINED_ATTRIBUTE_MACRO: __section/__used). */
const struct prudaq_rsc_table prudaq_rsc_table
	__attribute__((section(".resource_table"), used)) = { 1, 0, { 0, 0 } };
#endif

#endif /* PRUDAQ_RSC_TABLE_H */
