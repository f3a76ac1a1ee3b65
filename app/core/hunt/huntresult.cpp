#include "hunt/huntresult.h"

namespace kms::hunt {

void CellResult::addCycle(const QString &verdict, const QStringList &reportTitles)
{
    ++cycles;
    ++verdicts[verdict];
    if (verdict != QLatin1String("crash"))
        return;
    ++crashes;
    if (!firstCrashCycle)
        firstCrashCycle = cycles;
    for (const QString &title : reportTitles) {
        if (!titles.contains(title))
            titles.append(title);
    }
    crashList.append({cycles, reportTitles.value(0)});
}

QString endReasonName(EndReason reason)
{
    switch (reason) {
    case EndReason::Done:
        return QStringLiteral("done");
    case EndReason::Budget:
        return QStringLiteral("budget");
    case EndReason::NodeLost:
        return QStringLiteral("node_lost");
    case EndReason::Stopped:
        return QStringLiteral("stopped");
    case EndReason::Error:
        return QStringLiteral("error");
    }
    return {};
}

qsizetype bestCell(const QList<CellResult> &cells)
{
    qsizetype best = -1;
    for (qsizetype i = 0; i < cells.size(); ++i) {
        const CellResult &c = cells[i];
        if (c.crashes == 0)
            continue;
        if (best < 0) {
            best = i;
            continue;
        }
        const CellResult &b = cells[best];
        const double low = c.interval().low;
        const double bestLow = b.interval().low;
        if (low > bestLow || (low == bestLow && *c.firstCrashCycle < *b.firstCrashCycle))
            best = i;
    }
    return best;
}

} // namespace kms::hunt
