// An append-only, time-ordered sequence of items kept in fixed-size chunks, so that the oldest
// data leaves a chunk at a time (no copying, no reallocation of what stays) and a time lookup is
// two binary searches. The owner (TelemetryStore) decides which chunk to drop: the budget is
// shared by all channels.
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <deque>
#include <limits>
#include <memory>
#include <vector>

namespace kms::telemetry {

// A raw sample: node time (ns) and value.
struct RawSample {
    qint64 t = 0;
    double v = 0;
    qint64 first() const { return t; }
    qint64 last() const { return t; }
    double lo() const { return v; }
    double hi() const { return v; }
};

// A pyramid item: the min and max of the samples of [t0, t1] (both inclusive, node ns).
struct MinMaxBucket {
    qint64 t0 = 0;
    qint64 t1 = 0;
    double min = 0;
    double max = 0;
    qint64 first() const { return t0; }
    qint64 last() const { return t1; }
    double lo() const { return min; }
    double hi() const { return max; }
};

template<typename T> class ChunkedSeries
{
public:
    explicit ChunkedSeries(int chunkItems)
        : m_chunkItems(chunkItems)
    {
    }

    static constexpr qint64 itemBytes() { return sizeof(T); }
    qint64 chunkBytes() const { return qint64(m_chunkItems) * qint64(sizeof(T)); }
    int chunkItems() const { return m_chunkItems; }

    bool empty() const { return m_chunks.empty() || m_chunks.front()->empty(); }
    qint64 size() const
    {
        if (m_chunks.empty())
            return 0;
        return qint64(m_chunks.size() - 1) * m_chunkItems + qint64(m_chunks.back()->size());
    }
    int chunkCount() const { return int(m_chunks.size()); }
    // True when the next append needs a new chunk.
    bool full() const { return m_chunks.empty() || int(m_chunks.back()->size()) == m_chunkItems; }

    // Appends; `spare` (a dropped chunk, or null) is reused when a new chunk is needed.
    void append(const T &item, std::unique_ptr<std::vector<T>> spare = {})
    {
        if (full()) {
            if (!spare)
                spare = std::make_unique<std::vector<T>>();
            spare->clear();
            spare->reserve(size_t(m_chunkItems));
            m_chunks.push_back(std::move(spare));
        }
        m_chunks.back()->push_back(item);
    }

    // The oldest chunk, taken out (for reuse); null when only the chunk being written is left.
    std::unique_ptr<std::vector<T>> dropOldest()
    {
        if (m_chunks.size() < 2)
            return {};
        auto c = std::move(m_chunks.front());
        m_chunks.pop_front();
        return c;
    }
    // Time of the newest item of the oldest chunk (the eviction order), or max when none can go.
    qint64 oldestChunkEnd() const
    {
        return m_chunks.size() < 2 ? std::numeric_limits<qint64>::max() : m_chunks.front()->back().last();
    }

    const T &at(qint64 i) const { return (*m_chunks[size_t(i / m_chunkItems)])[size_t(i % m_chunkItems)]; }
    const T &back() const { return m_chunks.back()->back(); }
    qint64 firstTime() const { return m_chunks.front()->front().first(); }

    // Index of the first item whose start is >= t (size() if none).
    qint64 lowerBoundFirst(qint64 t) const
    {
        return search([t](const T &x) { return x.first() < t; });
    }
    // Index of the first item whose end is > t (size() if none).
    qint64 upperBoundLast(qint64 t) const
    {
        return search([t](const T &x) { return x.last() <= t; });
    }

private:
    // The first index for which `before` is false (before is true on a prefix).
    template<typename Pred> qint64 search(Pred before) const
    {
        if (m_chunks.empty())
            return 0;
        // First chunk whose last item is not "before".
        auto it = std::partition_point(m_chunks.begin(), m_chunks.end(),
                                       [&](const std::unique_ptr<std::vector<T>> &c) { return before(c->back()); });
        if (it == m_chunks.end())
            return size();
        const auto &c = **it;
        const auto in = std::partition_point(c.begin(), c.end(), before);
        return qint64(it - m_chunks.begin()) * m_chunkItems + qint64(in - c.begin());
    }

    int m_chunkItems;
    std::deque<std::unique_ptr<std::vector<T>>> m_chunks;
};

} // namespace kms::telemetry
