// Which plot a channel goes to, from its key's unit suffix (the telemetry stream contract):
// ring fills as % of their `<ring>_cap_n`, `_total_n` counters, errors (`_err_ns`), then one plot per unit (`_ns`,
// `_ppm`, `_us`, `_pct`, other `_n`), and a generic plot for keys without a known unit.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace kms::gui {

struct ChannelGroup {
    // SyncError: `_err_ns` keys (a sync loop's error) get a plot of their own, apart from the
    // other `_ns` keys (an integrator's state is orders of magnitude larger).
    enum Kind { Fill, Counters, SyncError, Nanoseconds, Ppm, Microseconds, Percent, Count, Other };
    Kind kind = Other;
    QString title; // the value axis title
    QStringList keys; // in order of first appearance
    QStringList capKeys; // Fill only: the capacity key of each fill key
};

// Groups in a fixed order (fills first); `_cap_n` keys with a fill are not plotted on their own.
QList<ChannelGroup> groupChannels(const QStringList &keys);

} // namespace kms::gui
