// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* PRU0 firmware entry: the sampler main loop. */
#include "prudaq_fw.h"
#include "hal_pru.h"
#include "rsc_table.h"

int main(void)
{
	static struct pru0_ctx ctx;

	hal_pru_init();
	pru0_init(&ctx, &prudaq_hal_pru);
	for (;;)
		pru0_poll(&ctx);
	return 0;
}
