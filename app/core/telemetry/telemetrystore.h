// TelemetryStore: every channel's history for plots and export. Per channel, the full-rate
// samples of a window sized in bytes (shared by all channels, so its length in time follows the
// rate) and a min/max pyramid over them whose levels are trimmed by bytes too: older data stays
// only as coarser levels, and memory is bounded whatever the session length. A plot asks for a
// trace over a time range and a pixel width and gets at most about 2 points per pixel column,
// whatever the rate. Gaps are kept and never joined.
//
// Thread-safe: append/addGap from the link's thread (or the GUI thread) in batches, queries from
// the plot's timer; one mutex, held for a batch or for one query (a query's cost is bounded by
// the pixel width, not by the rate).
#pragma once

#include "telemetry/channelhistory.h"
#include "telemetry/telemetrysample.h"

#include <QHash>
#include <QList>
#include <QMutex>
#include <QPointF>
#include <QStringList>

#include <atomic>
#include <memory>
#include <optional>

namespace kms::telemetry {

// Points of one channel for a plot: x in node seconds, y the value; a NaN y breaks the line
// (a gap, or the end of the data: lines are never joined across one).
struct PlotTrace {
    QList<QPointF> points;
    int level = 0; // pyramid level used for the newest part (0: full-rate samples)
    qint64 newestNs = 0; // node time of the newest sample the trace includes
};

class TelemetryStore
{
public:
    struct Limits {
        qint64 fullRateBytes = 64ll << 20; // the full-rate window, all channels together
        qint64 levelBytes = 4ll << 20; // each pyramid level, all channels together
        int fanout = 8; // items of level L-1 per bucket of level L
        int levels = 7; // pyramid levels above the samples (8^7 samples per top bucket)
        int rawChunkItems = 4096;
        int bucketChunkItems = 1024;
    };
    struct Counters {
        qint64 samples = 0; // values stored
        qint64 outOfOrder = 0; // values older than their channel's newest: dropped
        qint64 nonFinite = 0; // NaN or infinite values: dropped
        qint64 gaps = 0;
    };
    struct Stats {
        bool valid = false;
        bool exact = false; // the full-rate samples of the whole range were still there
        double min = 0, max = 0;
        qint64 coveredFirstNs = 0, coveredLastNs = 0; // span of the data looked at
    };
    struct Extent {
        bool valid = false;
        qint64 firstNs = 0, lastNs = 0;
    };

    explicit TelemetryStore(const Limits &limits);
    TelemetryStore();
    ~TelemetryStore();
    TelemetryStore(const TelemetryStore &) = delete;
    TelemetryStore &operator=(const TelemetryStore &) = delete;

    void append(const QList<TelemetrySet> &sets);
    // Breaks every channel last fed by gap.source (all channels when the source is empty).
    void addGap(const TelemetryGap &gap);
    void clear();

    // Changes whenever data or gaps were added: a plot with nothing new skips its redraw.
    quint64 revision() const { return m_revision.load(std::memory_order_acquire); }
    QStringList keys() const; // in order of first appearance
    Extent extent(const QString &key = {}) const; // all channels when key is empty
    std::optional<RawSample> latest(const QString &key) const;
    Stats minMax(const QString &key, qint64 t0Ns, qint64 t1Ns) const;
    // At most about 2 points per column of `columns` over [t0Ns, t1Ns] (plus one each side so
    // that a zoomed-in line reaches the edges).
    PlotTrace trace(const QString &key, qint64 t0Ns, qint64 t1Ns, int columns) const;
    QList<qint64> gaps(const QString &key, qint64 t0Ns, qint64 t1Ns) const;
    // Full-rate samples still held in [t0Ns, t1Ns].
    QList<RawSample> samples(const QString &key, qint64 t0Ns, qint64 t1Ns) const;
    // Oldest node time whose full-rate samples are still held, per channel (for "exact" labels).
    qint64 fullRateFirstNs(const QString &key) const;

    Counters counters() const;
    qint64 fullRateBytes() const; // bytes of chunks allocated for full-rate samples
    qint64 pyramidBytes() const;
    const Limits &limits() const { return m_limits; }

private:
    class Budget;
    struct Channel;
    Channel *channel(const QString &key);
    const Channel *find(const QString &key) const;

    Limits m_limits;
    mutable QMutex m_mutex;
    QHash<QString, Channel *> m_byKey;
    std::vector<std::unique_ptr<Channel>> m_channels;
    std::unique_ptr<Budget> m_budget;
    Counters m_counters;
    std::atomic<quint64> m_revision{0};
};

} // namespace kms::telemetry
