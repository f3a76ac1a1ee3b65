/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The real PRU HAL (AM335x PRU-ICSS). Not built in CI: Debian has no PRU
 * compiler. See pru/README.md for the toolchains.
 *
 * Copyright (C) 2026 The kmodscope authors
 */
#ifndef PRUDAQ_HAL_PRU_H
#define PRUDAQ_HAL_PRU_H

#include "prudaq_hal.h"

extern struct prudaq_hal prudaq_hal_pru;

/* Starts the IEP counter (counting ns) and fills prudaq_hal_pru. */
void hal_pru_init(void);

#endif /* PRUDAQ_HAL_PRU_H */
