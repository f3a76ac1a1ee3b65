// The alarm rules, applied to every accepted sample set in arrival order:
//   fill        <ring>_fill_n / <ring>_cap_n (cap from the same set or the last one seen), or
//               a *_fill_pct value, at or over fillThresholdPct
//   sync_error  |value| of a key with "sync_err" in its name (_ns, _us or _ms) over
//               syncErrorLimitNs
//   time_jump   a counter named *jumps_total_n grows (the sync loop saw its timestamps jump),
//               or a source's t_ns goes backwards (reported by the hub through timeWentBack)
// Each rule has hysteresis: once raised for a key it is raised again only after the value went
// back below re-arm level (fill: threshold - 10 points; sync: half the limit), so a value that
// sits at the limit gives one alarm, not one per sample.
#pragma once

#include "telemetry/telemetrysample.h"

#include <QHash>

namespace kms::telemetry {

struct AlarmSettings {
    double fillThresholdPct = 90;
    double syncErrorLimitNs = 100'000; // 100 us: the virtual node's jitter is a few us
    bool timeJumps = true;
};

class TelemetryAlarms
{
public:
    explicit TelemetryAlarms(AlarmSettings settings = {})
        : m_settings(settings)
    {
    }

    void setSettings(const AlarmSettings &s) { m_settings = s; }
    const AlarmSettings &settings() const { return m_settings; }

    // Appends the alarms this set raises to *out.
    void check(const TelemetrySet &set, QList<TelemetryAlarm> *out);
    // A source's clock went back from lastTNs to tNs.
    TelemetryAlarm timeWentBack(const QString &source, qint64 lastTNs, qint64 tNs) const;
    // Forget a source's state (after a gap: counters restart with a reloaded module).
    void reset(const QString &source);

private:
    struct KeyState {
        bool raised = false;
        double last = 0;
        bool haveLast = false;
    };
    struct SourceState {
        QHash<QString, KeyState> keys; // only keys a rule looks at
        QHash<QString, double> caps; // per ring
    };

    AlarmSettings m_settings;
    QHash<QString, SourceState> m_sources;
};

// Unit scaling for keys by suffix: "_ns" 1, "_us" 1e3, "_ms" 1e6, "_s" 1e9; else 0 (no time).
double nsPerUnit(const QString &key);

} // namespace kms::telemetry
