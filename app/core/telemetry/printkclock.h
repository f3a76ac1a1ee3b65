// The node's printk clock -> its CLOCK_MONOTONIC.
//
// printk stamps kernel-log lines with local_clock() (the scheduler clock); prudaq's t_ns and
// /proc/timer_list's "now at" are CLOCK_MONOTONIC. The two start at different moments and drift
// apart (different clock sources, NTP slewing of the monotonic clock), so a report's printk time
// cannot be put on the telemetry axis as is. How the offset is measured (one SSH command,
// nothing but shell builtins inside the bracket so that it stays narrow even on a slow node):
//
//   read "now at M0 nsecs" from /proc/timer_list      (CLOCK_MONOTONIC before)
//   echo "<7>kmodscope-clock NONCE" > /dev/kmsg       (printk stamps it: P)
//   read "now at M1 nsecs" from /proc/timer_list      (CLOCK_MONOTONIC after)
//   ... three times; then dmesg | grep NONCE gives each marker's P
//
// P was taken between M0 and M1, so offset = (M0 + M1) / 2 - P, give or take (M1 - M0) / 2 plus
// printk's 1 us resolution. The narrowest of the three brackets is kept. The hub measures at
// start and every remeasureIntervalMs (default 30 s); this class keeps the measurements of each
// boot (by boot id) and maps a printk time with a weighted straight-line fit of offset against
// printk time over the recent ones, so the drift between the clocks is followed between
// measurements; with one measurement it is the offset alone.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <optional>

namespace kms::telemetry {

struct ClockMeasurement {
    qint64 printkNs = 0; // printk time of the marker
    qint64 offsetNs = 0; // CLOCK_MONOTONIC - printk at that moment
    qint64 uncertaintyNs = 0; // half the bracket, plus printk's resolution
};

class PrintkClock
{
public:
    static constexpr int keepMeasurements = 16;

    // The node-side command, for a nonce of ours (letters and digits).
    static QByteArray measureCommand(const QByteArray &nonce);
    // Its output -> the best measurement (and the boot id), or nullopt and *error.
    static std::optional<ClockMeasurement> parseMeasureOutput(const QByteArray &output, const QByteArray &nonce,
                                                              QString *bootId, QString *error = nullptr);

    void add(const QString &bootId, const ClockMeasurement &m);
    // CLOCK_MONOTONIC for a printk time of the given boot (empty: the current one, the last
    // one measured). nullopt when that boot was never measured.
    std::optional<qint64> toMonotonic(qint64 printkNs, const QString &bootId = {}) const;
    // The estimated offset at printkNs, and how sure we are.
    std::optional<ClockMeasurement> estimate(qint64 printkNs, const QString &bootId = {}) const;

    QString currentBoot() const { return m_current; }
    const QList<ClockMeasurement> measurements(const QString &bootId = {}) const
    {
        return m_boots.value(bootId.isEmpty() ? m_current : bootId);
    }

private:
    QHash<QString, QList<ClockMeasurement>> m_boots;
    QString m_current;
};

} // namespace kms::telemetry
