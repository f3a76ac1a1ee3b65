// The best cell as commands a user can paste: a loop for the node's own shell (no kmodscope
// needed), and the same as a `kmodscope-cli cycle` run that catches and decodes the crash.
#pragma once

#include "hunt/huntgrid.h"

#include <QString>

namespace kms::hunt {

struct ReproducerContext {
    QString module;
    QString insmodPath; // on the node; empty: modprobe
    QString sshHost; // as the user gave it to `hunt`
    QString sshConfig;
    QString serialPath;
    QString telemetryPath; // the node file a telemetry reader opens
    QString installCommand; // compare by install commands: the best side's, run first
    qint64 cycles = 100;
};

// e.g. `while modprobe prudaq fault=unload_race fault_window_us=5000 && sleep 0.01 &&
// modprobe -r prudaq; do :; done`, with the background load started first and stopped after.
QString nodeCommand(const ReproducerContext &context, const Conditions &conditions);
QString cliCommand(const ReproducerContext &context, const Conditions &conditions);

} // namespace kms::hunt
