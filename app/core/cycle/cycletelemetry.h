// Telemetry sanity of one reload cycle (issue 9): while the module settles, the cycle script
// keeps a reader of CycleRunConfig::telemetryPath open and returns its lines ("@kms tlm"); the
// reader is killed and waited for before the unload (an open reader pins the module). Here the
// lines go through the telemetry parser and the alarms' fill rule, as the Telemetry dock's do.
//
// Use: set CycleRunConfig::telemetryPath (on: a reader during every settle; the hunt's
// "telemetry reader on" condition is exactly this) and telemetryFillLimitPct. Each cycle then
// has CycleResult::telemetry and, as `warning` findings:
//   telemetry_missing  the file is not there (or not readable) on the node
//   telemetry_dead     no sample set in a window of at least telemetryMinWindowMs
//   telemetry_fill     a ring at or over the fill limit (one finding per ring and cycle)
#pragma once

#include "cycle/cycleconfig.h"
#include "cycle/cycleresult.h"
#include "cycle/cyclescript.h"

namespace kms {

// Fills result.telemetry and adds the findings above. Does nothing when the run reads no
// telemetry or the cycle never reached the settle (a failed load: no reader was opened).
void checkCycleTelemetry(const CycleScriptOutput &out, const CycleRunConfig &config, CycleResult &result);

} // namespace kms
