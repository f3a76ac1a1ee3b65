#include "hunt/huntjson.h"

#include <QJsonArray>

namespace kms::hunt {

namespace {

QJsonObject paramsToJson(const CellResult &cell)
{
    QJsonObject params;
    for (const auto &[name, value] : cell.conditions.params)
        params.insert(name, value);
    params.insert(QStringLiteral("settle_ms"), cell.conditions.settleMs);
    params.insert(QStringLiteral("load"), loadName(cell.conditions.load));
    params.insert(QStringLiteral("telemetry"),
                  cell.conditions.telemetry ? QStringLiteral("on") : QStringLiteral("off"));
    if (!cell.build.isEmpty())
        params.insert(QStringLiteral("build"), cell.build);
    return params;
}

QJsonObject rateToJson(RateCount count)
{
    const Interval ci = wilsonInterval(count.crashes, count.cycles);
    return {{QStringLiteral("cycles"), count.cycles},
            {QStringLiteral("crashes"), count.crashes},
            {QStringLiteral("rate"), count.cycles ? double(count.crashes) / double(count.cycles) : 0.0},
            {QStringLiteral("ci_low"), ci.low},
            {QStringLiteral("ci_high"), ci.high}};
}

} // namespace

QJsonObject cellToJson(const CellResult &cell)
{
    const Interval ci = cell.interval();
    QJsonArray titles;
    for (const QString &title : cell.titles)
        titles.append(title);
    QJsonArray crashes;
    for (const CellCrash &crash : cell.crashList)
        crashes.append(QJsonObject{{QStringLiteral("cycle"), crash.cycle}, {QStringLiteral("title"), crash.title}});
    QJsonObject verdicts;
    for (auto it = cell.verdicts.cbegin(); it != cell.verdicts.cend(); ++it)
        verdicts.insert(it.key(), it.value());
    return {{QStringLiteral("params"), paramsToJson(cell)},
            {QStringLiteral("cycles"), cell.cycles},
            {QStringLiteral("crashes"), cell.crashes},
            {QStringLiteral("rate"), cell.rate()},
            {QStringLiteral("ci_low"), ci.low},
            {QStringLiteral("ci_high"), ci.high},
            {QStringLiteral("first_crash_cycle"),
             cell.firstCrashCycle ? QJsonValue(*cell.firstCrashCycle) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("titles"), titles},
            {QStringLiteral("wall_s"), double(cell.wallMs) / 1000.0},
            {QStringLiteral("verdicts"), verdicts},
            {QStringLiteral("crash_cycles"), crashes}};
}

QJsonObject huntToJson(const HuntResult &result)
{
    QJsonArray cells;
    for (const CellResult &cell : result.cells)
        cells.append(cellToJson(cell));

    QJsonValue best(QJsonValue::Null);
    if (result.best && result.best->cell >= 0 && result.best->cell < result.cells.size()) {
        QJsonObject b = cellToJson(result.cells[result.best->cell]);
        b.insert(QStringLiteral("cell"), result.best->cell);
        b.insert(QStringLiteral("node_command"), result.best->nodeCommand);
        b.insert(QStringLiteral("command"), result.best->cliCommand);
        best = b;
    }

    QJsonValue compare(QJsonValue::Null);
    if (result.compare) {
        const CompareResult &c = *result.compare;
        // A side is a local build ("ko") or an install command run on the node ("install_command").
        const QString side = c.kind == CompareKind::Command ? QStringLiteral("install_command") : QStringLiteral("ko");
        QJsonObject a = rateToJson(c.a);
        a.insert(side, c.koA);
        QJsonObject b = rateToJson(c.b);
        b.insert(side, c.koB);
        QJsonArray pairs;
        for (const CompareResult::Pair &pair : c.cells) {
            pairs.append(QJsonObject{{QStringLiteral("cell_a"), pair.cellA},
                                     {QStringLiteral("cell_b"), pair.cellB},
                                     {QStringLiteral("p_value"), pair.pValue}});
        }
        compare = QJsonObject{{QStringLiteral("a"), a},
                              {QStringLiteral("b"), b},
                              {QStringLiteral("test"), QStringLiteral("fisher_exact_two_sided")},
                              {QStringLiteral("p_value"), c.pValue},
                              {QStringLiteral("significant"), c.pValue < 0.05},
                              {QStringLiteral("statement"), c.statement},
                              {QStringLiteral("cells"), pairs}};
    }

    return {{QStringLiteral("module"), result.module},
            {QStringLiteral("cells"), cells},
            {QStringLiteral("best"), best},
            {QStringLiteral("compare"), compare},
            {QStringLiteral("order"), result.order},
            {QStringLiteral("seed"), QString::number(result.seed)},
            {QStringLiteral("ended"), endReasonName(result.ended)},
            {QStringLiteral("end_detail"), result.endDetail},
            {QStringLiteral("total_cycles"), result.totalCycles},
            {QStringLiteral("first_crash_total_cycle"),
             result.firstCrashTotalCycle ? QJsonValue(*result.firstCrashTotalCycle) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("wall_s"), double(result.wallMs) / 1000.0}};
}

} // namespace kms::hunt
