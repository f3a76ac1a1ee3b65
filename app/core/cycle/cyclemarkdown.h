// A finished reload-cycle run as Markdown for a bug tracker or a lab notebook: summary, totals,
// failing cycles with their findings, decoded reports and leak sites. Rendered from the run
// report (CycleRunner::runReport(), the `cycle --json` contract), so whatever wrote the JSON
// (the GUI now, a saved file later) renders the same.
#pragma once

#include <QJsonObject>
#include <QString>

#include <functional>

namespace kms {

QString runReportMarkdown(const QJsonObject &runReport);
// The same from a report whose "cycles" are given one at a time (CycleRunner::runReportHead and
// forEachCycleJson): a long run is not held in memory. cycles calls its argument for each cycle
// in order and returns false when they could not all be read.
using CycleJsonSource = std::function<bool(const std::function<void(const QJsonObject &)> &)>;
QString runReportMarkdown(const QJsonObject &runHead, const CycleJsonSource &cycles);

} // namespace kms
