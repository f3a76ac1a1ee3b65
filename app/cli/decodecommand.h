#pragma once

#include <QStringList>

namespace kms::cli {

// `kmodscope-cli decode ...`: arguments after the command name. Returns the exit status.
int runDecode(const QStringList &arguments);

} // namespace kms::cli
