#pragma once

#include <QStringList>

namespace kms::cli {

// `kmodscope-cli cycle ...`: arguments after the command name. Returns the exit status
// (0 every cycle passed, 1 one did not, 2 usage or bad input, 3 node unreachable).
int runCycle(const QStringList &arguments);

} // namespace kms::cli
