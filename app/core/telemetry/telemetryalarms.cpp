#include "telemetry/telemetryalarms.h"

#include <cmath>

namespace kms::telemetry {

double nsPerUnit(const QString &key)
{
    if (key.endsWith(QLatin1String("_ns")))
        return 1;
    if (key.endsWith(QLatin1String("_us")))
        return 1e3;
    if (key.endsWith(QLatin1String("_ms")))
        return 1e6;
    if (key.endsWith(QLatin1String("_s")))
        return 1e9;
    return 0;
}

void TelemetryAlarms::check(const TelemetrySet &set, QList<TelemetryAlarm> *out)
{
    static const QLatin1String fillSuffix("_fill_n"), capSuffix("_cap_n"), pctSuffix("_fill_pct");
    static const QLatin1String syncPart("sync_err"), jumpsSuffix("jumps_total_n");
    SourceState &src = m_sources[set.source];
    // Capacities first: a set carries fill and cap side by side, in any order.
    for (const TelemetryValue &v : set.values) {
        if (v.key.endsWith(capSuffix))
            src.caps.insert(v.key.chopped(capSuffix.size()), v.value);
    }
    for (const TelemetryValue &v : set.values) {
        // Which rule, if any, before any lookup: most keys are counters no rule reads.
        const bool fill = v.key.endsWith(fillSuffix);
        const bool pctKey = !fill && v.key.endsWith(pctSuffix);
        const bool sync
            = !fill && !pctKey && v.key.contains(syncPart) && nsPerUnit(v.key) > 0 && m_settings.syncErrorLimitNs > 0;
        const bool jumps = !fill && !pctKey && !sync && m_settings.timeJumps && v.key.endsWith(jumpsSuffix);
        if (!fill && !pctKey && !sync && !jumps)
            continue;
        double pct = -1;
        QString what;
        if (fill) {
            const QString ring = v.key.chopped(fillSuffix.size());
            const double cap = src.caps.value(ring, 0);
            if (cap <= 0)
                continue; // no capacity known (yet)
            pct = 100.0 * v.value / cap;
            what = QStringLiteral("%1 fill %2 % (%3 of %4)")
                       .arg(ring)
                       .arg(pct, 0, 'f', 0)
                       .arg(v.value, 0, 'f', 0)
                       .arg(cap, 0, 'f', 0);
        } else if (pctKey) {
            pct = v.value;
            what = QStringLiteral("%1 fill %2 %").arg(v.key.chopped(pctSuffix.size())).arg(pct, 0, 'f', 0);
        }
        KeyState &st = src.keys[v.key];
        if (pct >= 0) {
            if (!st.raised && pct >= m_settings.fillThresholdPct) {
                st.raised = true;
                out->append({set.tNs, v.key, QStringLiteral("fill"), pct,
                             QStringLiteral("telemetry alarm: %1 >= %2 %")
                                 .arg(what)
                                 .arg(m_settings.fillThresholdPct, 0, 'f', 0)});
            } else if (st.raised && pct < m_settings.fillThresholdPct - 10) {
                st.raised = false;
            }
            continue;
        }
        if (sync) {
            const double ns = v.value * nsPerUnit(v.key);
            if (!st.raised && std::fabs(ns) > m_settings.syncErrorLimitNs) {
                st.raised = true;
                out->append({set.tNs, v.key, QStringLiteral("sync_error"), ns,
                             QStringLiteral("telemetry alarm: %1 = %2 us, over the %3 us limit")
                                 .arg(v.key)
                                 .arg(ns / 1e3, 0, 'f', 1)
                                 .arg(m_settings.syncErrorLimitNs / 1e3, 0, 'f', 0)});
            } else if (st.raised && std::fabs(ns) < m_settings.syncErrorLimitNs / 2) {
                st.raised = false;
            }
            continue;
        }
        if (st.haveLast && v.value > st.last) {
            out->append({set.tNs, v.key, QStringLiteral("time_jump"), v.value - st.last,
                         QStringLiteral("telemetry alarm: timestamp jump (%1 %2 -> %3)")
                             .arg(v.key)
                             .arg(st.last, 0, 'f', 0)
                             .arg(v.value, 0, 'f', 0)});
        }
        st.last = v.value;
        st.haveLast = true;
    }
}

TelemetryAlarm TelemetryAlarms::timeWentBack(const QString &source, qint64 lastTNs, qint64 tNs) const
{
    return {tNs, QStringLiteral("t_ns"), QStringLiteral("time_jump"), double(tNs - lastTNs),
            QStringLiteral("telemetry alarm: %1 time went back %2 ms (source clock restarted)")
                .arg(source)
                .arg(double(lastTNs - tNs) / 1e6, 0, 'f', 3)};
}

void TelemetryAlarms::reset(const QString &source)
{
    m_sources.remove(source);
}

} // namespace kms::telemetry
