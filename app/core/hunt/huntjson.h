// The hunt's JSON (contract, docs/cli.md): {"cells": [...], "best": {...}|null,
// "compare": {...}|null} plus the hunt's own facts (module, order, seed, end reason, totals).
#pragma once

#include "hunt/huntresult.h"

#include <QJsonObject>

namespace kms::hunt {

QJsonObject cellToJson(const CellResult &cell);
QJsonObject huntToJson(const HuntResult &result);

} // namespace kms::hunt
