#include "cycle/cycletelemetry.h"

#include "telemetry/telemetryalarms.h"
#include "telemetry/telemetryparser.h"

namespace kms {

namespace {

constexpr int maxFindingLines = 5; // the lines kept with a finding

// The fullest ring of a set: <ring>_fill_n over <ring>_cap_n, or <ring>_fill_pct.
void fullestRing(const telemetry::TelemetrySet &set, TelemetryCheck &check)
{
    static const QLatin1String fillSuffix("_fill_n"), capSuffix("_cap_n"), pctSuffix("_fill_pct");
    for (const telemetry::TelemetryValue &v : set.values) {
        double pct = -1;
        QString ring;
        if (v.key.endsWith(fillSuffix)) {
            ring = v.key.chopped(fillSuffix.size());
            for (const telemetry::TelemetryValue &c : set.values) {
                if (c.key.size() == ring.size() + capSuffix.size() && c.key.startsWith(ring)
                    && c.key.endsWith(capSuffix) && c.value > 0)
                    pct = 100.0 * v.value / c.value;
            }
        } else if (v.key.endsWith(pctSuffix)) {
            ring = v.key.chopped(pctSuffix.size());
            pct = v.value;
        }
        if (pct > check.maxFillPct) {
            check.maxFillPct = pct;
            check.maxFillRing = ring;
        }
    }
}

} // namespace

void checkCycleTelemetry(const CycleScriptOutput &out, const CycleRunConfig &config, CycleResult &result)
{
    if (config.telemetryPath.isEmpty())
        return;
    const QString path = config.telemetryPath;
    const ScriptStep *reader = out.step(QStringLiteral("telemetry"));
    const bool missing = out.facts.contains(QStringLiteral("tlm_missing"));
    if (!reader && !missing)
        return; // the cycle ended before the settle
    TelemetryCheck check;
    check.path = path;
    if (missing) {
        result.telemetry = check;
        result.addFinding({Verdict::Warning,
                           QStringLiteral("telemetry_missing"),
                           QStringLiteral("telemetry: %1 is not there or not readable on the node while %2 is live")
                               .arg(path, config.module),
                           QStringLiteral("telemetry"),
                           {}});
        return;
    }
    check.opened = true;
    check.windowMs = (reader->endS - reader->startS) * 1000.0;
    check.lines = out.facts.value(QStringLiteral("tlm_lines")).toInt();

    telemetry::TelemetryParser parser(QStringLiteral("stream:") + path);
    telemetry::AlarmSettings settings;
    settings.fillThresholdPct = config.telemetryFillLimitPct;
    settings.syncErrorLimitNs = 0; // fill only: the other rules are the Telemetry dock's
    settings.timeJumps = false;
    telemetry::TelemetryAlarms alarms(settings);
    QList<telemetry::TelemetryAlarm> raised;
    QHash<QString, QString> lineOf; // alarm key -> the line that raised it
    for (const QString &line : out.telemetryLines) {
        telemetry::TelemetrySet set;
        const QByteArray bytes = line.toUtf8();
        if (parser.parseLine(bytes, &set) == telemetry::TelemetryParser::Result::Dropped)
            continue;
        ++check.samples;
        fullestRing(set, check);
        const qsizetype before = raised.size();
        alarms.check(set, &raised);
        for (qsizetype i = before; i < raised.size(); ++i)
            lineOf.insert(raised[i].key, line);
    }
    check.rejected = int(parser.stats().lines - parser.stats().sets);
    result.telemetry = check;

    if (check.samples == 0 && check.windowMs >= config.telemetryMinWindowMs) {
        result.addFinding(
            {Verdict::Warning, QStringLiteral("telemetry_dead"),
             QStringLiteral("telemetry: no sample from %1 in %2 ms with %3 live (%4 line(s), %5 rejected)")
                 .arg(path)
                 .arg(check.windowMs, 0, 'f', 0)
                 .arg(config.module)
                 .arg(check.lines)
                 .arg(check.rejected),
             QStringLiteral("telemetry"), out.telemetryLines.mid(0, maxFindingLines)});
    }
    for (const telemetry::TelemetryAlarm &a : std::as_const(raised)) {
        if (a.kind != QLatin1String("fill"))
            continue;
        QString ring = a.key;
        for (const QLatin1String suffix : {QLatin1String("_fill_n"), QLatin1String("_fill_pct")}) {
            if (ring.endsWith(suffix))
                ring.chop(suffix.size());
        }
        result.addFinding({Verdict::Warning,
                           QStringLiteral("telemetry_fill"),
                           QStringLiteral("telemetry: %1 fill %2 %, at or over the limit of %3 %")
                               .arg(ring)
                               .arg(a.value, 0, 'f', 0)
                               .arg(config.telemetryFillLimitPct, 0, 'f', 0),
                           QStringLiteral("telemetry"),
                           {lineOf.value(a.key)}});
    }
}

} // namespace kms
