#pragma once

#include <QStringList>

namespace kms::cli {

// kmodscope-cli hunt: see docs/cli.md.
int runHunt(const QStringList &arguments);

} // namespace kms::cli
