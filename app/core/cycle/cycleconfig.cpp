#include "cycle/cycleconfig.h"

#include "link/shellquote.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace kms {

QString CycleRunConfig::validate() const
{
    if (!isValidModuleName(module))
        return QStringLiteral("'%1' is not a module name (letters, digits, '_' and '-', at most 55)").arg(module);
    for (const QString &d : dependents) {
        if (!isValidModuleName(d))
            return QStringLiteral("dependent '%1' is not a module name").arg(d);
    }
    if (!insmodPath.isEmpty() && !isValidRemotePath(insmodPath))
        return QStringLiteral("'%1' is not a usable path on the node").arg(insmodPath);
    for (const QString &p : params) {
        if (p.isEmpty() || p.contains(QLatin1Char('\n')) || p.contains(QChar(0)) || p.startsWith(QLatin1Char('-')))
            return QStringLiteral("bad module parameter '%1' (expected key=value)").arg(p);
    }
    if (count < 0 || settleMs < 0 || delayMs < 0 || returnTimeoutS <= 0 || commandTimeoutMs <= 0)
        return QStringLiteral("counts and times must not be negative");
    if (!errorPattern.isEmpty() && !QRegularExpression(errorPattern).isValid())
        return QStringLiteral("bad error pattern: %1").arg(QRegularExpression(errorPattern).errorString());
    if (!telemetryPath.isEmpty() && (!isValidRemotePath(telemetryPath) || !telemetryPath.startsWith(QLatin1Char('/'))))
        return QStringLiteral("'%1' is not a usable telemetry path on the node").arg(telemetryPath);
    if (!(telemetryFillLimitPct > 0 && telemetryFillLimitPct <= 100) || telemetryMinWindowMs < 0)
        return QStringLiteral("the telemetry fill limit must be a percentage above 0 and at most 100");
    if (preCommand.contains(QChar(0)) || postCommand.contains(QChar(0)))
        return QStringLiteral("a command cannot hold a NUL byte");
    return {};
}

QJsonObject CycleRunConfig::toJson() const
{
    return {
        {QStringLiteral("module"), module},
        {QStringLiteral("params"), QJsonArray::fromStringList(params)},
        {QStringLiteral("insmod"), insmodPath},
        {QStringLiteral("dependents"), QJsonArray::fromStringList(dependents)},
        {QStringLiteral("count"), count},
        {QStringLiteral("until_failure"), untilFailure},
        {QStringLiteral("stop_on_crash"), stopOnCrash},
        {QStringLiteral("settle_ms"), settleMs},
        {QStringLiteral("delay_ms"), delayMs},
        {QStringLiteral("return_timeout_s"), returnTimeoutS},
        {QStringLiteral("command_timeout_ms"), commandTimeoutMs},
        {QStringLiteral("sudo"), useSudo},
        {QStringLiteral("pre"), preCommand},
        {QStringLiteral("post"), postCommand},
        {QStringLiteral("error_pattern"), errorPattern},
        {QStringLiteral("leak_check"), leakCheck == LeakCheck::Off ? QStringLiteral("off") : QStringLiteral("auto")},
        {QStringLiteral("kmemleak"), kmemleakScan},
        {QStringLiteral("mark_kernel_log"), markKernelLog},
        {QStringLiteral("final_state"),
         finalState == FinalState::Loaded ? QStringLiteral("loaded") : QStringLiteral("unloaded")},
        {QStringLiteral("slab_growth_warn_kb_per_cycle"), slabGrowthWarnKbPerCycle},
        {QStringLiteral("marker_wait_ms"), markerWaitMs},
        {QStringLiteral("telemetry"), telemetryPath},
        {QStringLiteral("telemetry_fill_limit_pct"), telemetryFillLimitPct},
        {QStringLiteral("telemetry_min_window_ms"), telemetryMinWindowMs}};
}

CycleRunConfig CycleRunConfig::fromJson(const QJsonObject &o)
{
    CycleRunConfig c;
    const auto strings = [&o](const char *key) {
        QStringList list;
        for (const QJsonValue &v : o.value(QLatin1String(key)).toArray())
            list.append(v.toString());
        return list;
    };
    c.module = o.value(QLatin1String("module")).toString();
    c.params = strings("params");
    c.insmodPath = o.value(QLatin1String("insmod")).toString();
    c.dependents = strings("dependents");
    c.count = o.value(QLatin1String("count")).toInt(c.count);
    c.untilFailure = o.value(QLatin1String("until_failure")).toBool(c.untilFailure);
    c.stopOnCrash = o.value(QLatin1String("stop_on_crash")).toBool(c.stopOnCrash);
    c.settleMs = o.value(QLatin1String("settle_ms")).toInt(c.settleMs);
    c.delayMs = o.value(QLatin1String("delay_ms")).toInt(c.delayMs);
    c.returnTimeoutS = o.value(QLatin1String("return_timeout_s")).toInt(c.returnTimeoutS);
    c.commandTimeoutMs = o.value(QLatin1String("command_timeout_ms")).toInt(c.commandTimeoutMs);
    c.useSudo = o.value(QLatin1String("sudo")).toBool(c.useSudo);
    c.preCommand = o.value(QLatin1String("pre")).toString();
    c.postCommand = o.value(QLatin1String("post")).toString();
    c.errorPattern = o.value(QLatin1String("error_pattern")).toString();
    c.leakCheck
        = o.value(QLatin1String("leak_check")).toString() == QLatin1String("off") ? LeakCheck::Off : LeakCheck::Auto;
    c.kmemleakScan = o.value(QLatin1String("kmemleak")).toBool(c.kmemleakScan);
    c.markKernelLog = o.value(QLatin1String("mark_kernel_log")).toBool(c.markKernelLog);
    c.finalState = o.value(QLatin1String("final_state")).toString() == QLatin1String("loaded") ? FinalState::Loaded
                                                                                               : FinalState::Unloaded;
    c.slabGrowthWarnKbPerCycle
        = o.value(QLatin1String("slab_growth_warn_kb_per_cycle")).toDouble(c.slabGrowthWarnKbPerCycle);
    c.markerWaitMs = o.value(QLatin1String("marker_wait_ms")).toInt(c.markerWaitMs);
    c.telemetryPath = o.value(QLatin1String("telemetry")).toString();
    c.telemetryFillLimitPct = o.value(QLatin1String("telemetry_fill_limit_pct")).toDouble(c.telemetryFillLimitPct);
    c.telemetryMinWindowMs = o.value(QLatin1String("telemetry_min_window_ms")).toInt(c.telemetryMinWindowMs);
    return c;
}

} // namespace kms
