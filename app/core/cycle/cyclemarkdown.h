// A finished reload-cycle run as Markdown for a bug tracker or a lab notebook: summary, totals,
// failing cycles with their findings, decoded reports and leak sites. Rendered from the run
// report (CycleRunner::runReport(), the `cycle --json` contract), so whatever wrote the JSON
// (the GUI now, a saved file later) renders the same.
#pragma once

#include <QJsonObject>
#include <QString>

namespace kms {

QString runReportMarkdown(const QJsonObject &runReport);

} // namespace kms
