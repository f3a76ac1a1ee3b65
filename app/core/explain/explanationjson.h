// FaultExplanation <-> JSON: the `explanation` object of the decode --json contract
// (docs/cli.md). Addresses are hex strings, as elsewhere in the contract.
#pragma once

#include "explain/faultexplanation.h"

#include <QJsonObject>

namespace kms {

QJsonObject toJson(const FaultExplanation &explanation);
FaultExplanation explanationFromJson(const QJsonObject &object);

} // namespace kms
