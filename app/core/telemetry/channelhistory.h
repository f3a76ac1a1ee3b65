// One channel's history: the full-rate samples (level 0) and a min/max pyramid over them
// (level L holds buckets of `fanout` level L-1 items), each level an independently trimmed
// ChunkedSeries, so older data stays only as coarser levels. Gaps close every open bucket: no
// bucket spans a gap, and a plot is broken at each gap time. Not thread-safe (the store locks).
#pragma once

#include "telemetry/chunkedseries.h"

#include <QList>
#include <QString>

#include <vector>

namespace kms::telemetry {

class ChannelHistory;

// Hands out chunks within a byte budget per level (shared by all channels): a chunk taken from
// the channel whose oldest data is oldest, or null to allocate a new one.
class ChunkBudget
{
public:
    virtual ~ChunkBudget() = default;
    virtual std::unique_ptr<std::vector<RawSample>> rawChunk() = 0;
    virtual std::unique_ptr<std::vector<MinMaxBucket>> bucketChunk(int level) = 0;
};

class ChannelHistory
{
public:
    ChannelHistory(int levels, int fanout, int rawChunkItems, int bucketChunkItems);

    void append(qint64 t, double v, ChunkBudget &budget);
    // A break after the last sample (or at t if given and newer): closes all open buckets.
    void addGap(qint64 t, ChunkBudget &budget);

    bool empty() const { return m_raw.empty() && m_levels.front().series.empty(); }
    qint64 lastTime() const { return m_lastT; }
    double lastValue() const { return m_lastV; }
    qint64 firstTime() const; // oldest time any level still holds
    qint64 rawFirstTime() const { return m_raw.empty() ? m_lastT + 1 : m_raw.firstTime(); }
    int levelCount() const { return int(m_levels.size()) + 1; }
    const std::vector<qint64> &gaps() const { return m_gaps; }

    // Items covering [t0, t1] in ascending time, each level used for the part no finer level
    // still holds, starting at the finest level with at most `maxItems` items in the range.
    // Returns the finest level used (0 = raw samples).
    int collect(qint64 t0, qint64 t1, qint64 maxItems, std::vector<MinMaxBucket> &out) const;
    // Exact min/max over [t0, t1] where the full-rate samples are still there; elsewhere over
    // the buckets lying inside the range. `covered*` is the span of what was looked at.
    struct Stats {
        bool valid = false;
        double min = 0, max = 0;
        qint64 coveredFirst = 0, coveredLast = 0;
        qint64 count = 0; // raw samples scanned at the edges (a cost measure)
    };
    Stats minMax(qint64 t0, qint64 t1) const;
    void rawSamples(qint64 t0, qint64 t1, std::vector<RawSample> &out) const;

    // Eviction: the oldest chunk of a level, for the budget.
    ChunkedSeries<RawSample> &raw() { return m_raw; }
    const ChunkedSeries<RawSample> &raw() const { return m_raw; }
    ChunkedSeries<MinMaxBucket> &level(int l) { return m_levels[size_t(l - 1)].series; }
    // Drops gaps older than everything held.
    void pruneGaps();

private:
    struct Level {
        explicit Level(int chunkItems)
            : series(chunkItems)
        {
        }
        ChunkedSeries<MinMaxBucket> series;
        MinMaxBucket open;
        int openCount = 0;
    };
    void feed(int level, const MinMaxBucket &child, ChunkBudget &budget);
    void close(int level, ChunkBudget &budget);
    qint64 itemCount(int level, qint64 t0, qint64 t1) const;
    void stats(int level, qint64 t0, qint64 t1, Stats &s) const;

    int m_fanout;
    ChunkedSeries<RawSample> m_raw;
    std::deque<Level> m_levels; // level 1..N at [0..N-1] (a deque: a Level cannot be copied)
    std::vector<qint64> m_gaps; // ascending: node time of the last sample before each gap
    qint64 m_lastT = std::numeric_limits<qint64>::min();
    double m_lastV = 0;
};

} // namespace kms::telemetry
