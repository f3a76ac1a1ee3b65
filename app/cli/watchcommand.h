#pragma once

#include <QStringList>

namespace kms::cli {

// `kmodscope-cli watch ...`: arguments after the command name. Runs until SIGINT/SIGTERM.
// Returns the exit status.
int runWatch(const QStringList &arguments);

} // namespace kms::cli
