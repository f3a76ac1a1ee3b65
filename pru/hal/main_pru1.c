// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * PRU1 firmware entry: the sync main loop. The local clock starts at 0 at
 * IEP 0; the kernel's first sync update steps it onto the kernel's clock
 * (a first offset beyond 5 ms is handled as a jump).
 */
#include "prudaq_fw.h"
#include "hal_pru.h"
#include "rsc_table.h"

int main(void)
{
	static struct pru1_ctx ctx;

	hal_pru_init();
	pru1_init(&ctx, &prudaq_hal_pru, 0, prudaq_hal_pru.clock_ns(0));
	for (;;)
		pru1_poll(&ctx);
	return 0;
}
