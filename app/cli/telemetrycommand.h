#pragma once

#include <QStringList>

namespace kms::cli {

// `kmodscope-cli telemetry ...`: arguments after the command name. Records until --duration
// or SIGINT/SIGTERM, then writes the CSV. Returns the exit status.
int runTelemetry(const QStringList &arguments);

} // namespace kms::cli
