// KernelReport <-> JSON, the schema of the `decode --json` and `watch --json` contracts
// (docs/cli.md). Addresses and register values are hex strings: 64-bit values do not fit a
// JSON number.
#pragma once

#include "report/kernelreport.h"

#include <QJsonObject>

namespace kms {

QJsonObject toJson(const Frame &frame);
QJsonObject toJson(const KernelReport &report);

// For tools that read our own output back (tests, session logs). Unknown fields are ignored;
// missing ones keep their defaults.
KernelReport reportFromJson(const QJsonObject &object);

QString hexString(std::uint64_t value);

} // namespace kms
