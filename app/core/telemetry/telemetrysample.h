// One sample set from a telemetry source: every value a line or poll carried, stamped with node
// time (CLOCK_MONOTONIC ns of the node), so that telemetry and kernel reports share one clock.
#pragma once

#include <QList>
#include <QMetaType>
#include <QString>

namespace kms::telemetry {

struct TelemetryValue {
    QString key; // e.g. "sample_fill_n", "sync_err_ns": unit in the suffix
    double value = 0;
};

struct TelemetrySet {
    qint64 tNs = 0; // node CLOCK_MONOTONIC, ns
    QString source; // "stream:/sys/kernel/debug/prudaq/telemetry", "poll:...", "regex:..."
    QList<TelemetryValue> values;
};

// A break in a source's data (link lost, module unloaded, node rebooted): plots never join across it.
struct TelemetryGap {
    qint64 tNs = 0; // node time of the last sample before the gap (or 0 if unknown)
    QString source;
    QString reason;
};

// An alarm raised by the rules (fill over a threshold, sync error over a limit, a time jump).
struct TelemetryAlarm {
    qint64 tNs = 0;
    QString key;
    QString kind; // "fill", "sync_error", "time_jump"
    double value = 0;
    QString text; // one line, for the console and the session log
};

} // namespace kms::telemetry

Q_DECLARE_METATYPE(kms::telemetry::TelemetrySet)
Q_DECLARE_METATYPE(kms::telemetry::TelemetryGap)
Q_DECLARE_METATYPE(kms::telemetry::TelemetryAlarm)
