#include "telemetry/channelhistory.h"

#include <algorithm>

namespace kms::telemetry {

namespace {

void merge(MinMaxBucket &into, const MinMaxBucket &b, bool first)
{
    if (first) {
        into = b;
        return;
    }
    into.t1 = b.t1;
    into.min = std::min(into.min, b.min);
    into.max = std::max(into.max, b.max);
}

MinMaxBucket asBucket(const RawSample &s)
{
    return {s.t, s.t, s.v, s.v};
}

} // namespace

ChannelHistory::ChannelHistory(int levels, int fanout, int rawChunkItems, int bucketChunkItems)
    : m_fanout(std::max(2, fanout))
    , m_raw(rawChunkItems)
{
    for (int l = 0; l < std::max(1, levels); ++l)
        m_levels.emplace_back(bucketChunkItems);
}

void ChannelHistory::append(qint64 t, double v, ChunkBudget &budget)
{
    m_raw.append({t, v}, m_raw.full() ? budget.rawChunk() : nullptr);
    m_lastT = t;
    m_lastV = v;
    feed(1, {t, t, v, v}, budget);
}

void ChannelHistory::feed(int level, const MinMaxBucket &child, ChunkBudget &budget)
{
    if (level > int(m_levels.size()))
        return;
    Level &l = m_levels[size_t(level - 1)];
    merge(l.open, child, l.openCount == 0);
    if (++l.openCount == m_fanout)
        close(level, budget);
}

void ChannelHistory::close(int level, ChunkBudget &budget)
{
    Level &l = m_levels[size_t(level - 1)];
    if (l.openCount == 0)
        return;
    const MinMaxBucket done = l.open;
    l.series.append(done, l.series.full() ? budget.bucketChunk(level) : nullptr);
    l.openCount = 0;
    feed(level + 1, done, budget);
}

void ChannelHistory::addGap(qint64 t, ChunkBudget &budget)
{
    if (m_raw.empty() && m_levels.front().series.empty() && m_levels.front().openCount == 0)
        return; // nothing to break
    // Ascending: closing level L feeds L+1, which is closed right after.
    for (int l = 1; l <= int(m_levels.size()); ++l)
        close(l, budget);
    const qint64 at = std::max(t, m_lastT);
    if (m_gaps.empty() || m_gaps.back() < at)
        m_gaps.push_back(at);
}

qint64 ChannelHistory::firstTime() const
{
    qint64 first = m_raw.empty() ? m_lastT : m_raw.firstTime();
    for (const Level &l : m_levels) {
        if (!l.series.empty())
            first = std::min(first, l.series.firstTime());
        else if (l.openCount > 0)
            first = std::min(first, l.open.t0);
    }
    return first;
}

void ChannelHistory::pruneGaps()
{
    const qint64 first = firstTime();
    const auto keep = std::lower_bound(m_gaps.begin(), m_gaps.end(), first);
    m_gaps.erase(m_gaps.begin(), keep);
}

qint64 ChannelHistory::itemCount(int level, qint64 t0, qint64 t1) const
{
    if (level == 0)
        return m_raw.lowerBoundFirst(t1 + 1) - m_raw.upperBoundLast(t0 - 1);
    const Level &l = m_levels[size_t(level - 1)];
    const qint64 n = l.series.lowerBoundFirst(t1 + 1) - l.series.upperBoundLast(t0 - 1);
    return n + (l.openCount > 0 ? 1 : 0);
}

int ChannelHistory::collect(qint64 t0, qint64 t1, qint64 maxItems, std::vector<MinMaxBucket> &out) const
{
    const int top = int(m_levels.size());
    int chosen = top;
    for (int l = 0; l < top; ++l) {
        if (itemCount(l, t0, t1) <= maxItems) {
            chosen = l;
            break;
        }
    }
    // Newest part from the chosen level, each older part from the next coarser level that still
    // holds it: parts[i] is older than parts[i-1].
    std::vector<std::vector<MinMaxBucket>> parts;
    qint64 cutoff = t1; // items starting after it are already covered by a finer level
    for (int l = chosen; l <= top && cutoff >= t0; ++l) {
        std::vector<MinMaxBucket> part;
        qint64 oldest = cutoff + 1;
        if (l == 0) {
            const qint64 from = m_raw.upperBoundLast(t0 - 1), to = m_raw.lowerBoundFirst(cutoff + 1);
            part.reserve(size_t(std::max<qint64>(0, to - from)));
            for (qint64 i = from; i < to; ++i)
                part.push_back(asBucket(m_raw.at(i)));
            if (!m_raw.empty())
                oldest = m_raw.firstTime();
        } else {
            const Level &lv = m_levels[size_t(l - 1)];
            const qint64 from = lv.series.upperBoundLast(t0 - 1), to = lv.series.lowerBoundFirst(cutoff + 1);
            for (qint64 i = from; i < to; ++i)
                part.push_back(lv.series.at(i));
            if (lv.openCount > 0 && lv.open.t0 <= cutoff && lv.open.t1 >= t0)
                part.push_back(lv.open);
            if (!lv.series.empty())
                oldest = lv.series.firstTime();
            else if (lv.openCount > 0)
                oldest = lv.open.t0;
        }
        parts.push_back(std::move(part));
        cutoff = std::min(cutoff, oldest - 1);
    }
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        out.insert(out.end(), it->begin(), it->end());
    return chosen;
}

ChannelHistory::Stats ChannelHistory::minMax(qint64 t0, qint64 t1) const
{
    Stats s;
    stats(int(m_levels.size()), t0, t1, s);
    return s;
}

void ChannelHistory::stats(int level, qint64 a, qint64 b, Stats &s) const
{
    if (a > b)
        return;
    auto take = [&s](qint64 first, qint64 last, double lo, double hi) {
        if (!s.valid) {
            s = {true, lo, hi, first, last, s.count};
            return;
        }
        s.min = std::min(s.min, lo);
        s.max = std::max(s.max, hi);
        s.coveredFirst = std::min(s.coveredFirst, first);
        s.coveredLast = std::max(s.coveredLast, last);
    };
    if (level == 0) {
        const qint64 from = m_raw.lowerBoundFirst(a), to = m_raw.upperBoundLast(b);
        for (qint64 i = from; i < to; ++i) {
            const RawSample &r = m_raw.at(i);
            take(r.t, r.t, r.v, r.v);
            ++s.count;
        }
        return;
    }
    // Buckets lying wholly inside [a, b]; the edges (inclusive: min/max do not mind counting a
    // sample twice, and equal timestamps may sit on both sides of a bucket border) go one level down.
    const Level &lv = m_levels[size_t(level - 1)];
    const qint64 from = lv.series.lowerBoundFirst(a), to = lv.series.upperBoundLast(b);
    bool any = false;
    qint64 first = 0, last = 0;
    for (qint64 i = from; i < to; ++i) {
        const MinMaxBucket &m = lv.series.at(i);
        take(m.t0, m.t1, m.min, m.max);
        if (!any)
            first = m.t0;
        last = m.t1;
        any = true;
    }
    if (lv.openCount > 0 && lv.open.t0 >= a && lv.open.t1 <= b) {
        take(lv.open.t0, lv.open.t1, lv.open.min, lv.open.max);
        if (!any)
            first = lv.open.t0;
        last = lv.open.t1;
        any = true;
    }
    if (!any) {
        stats(level - 1, a, b, s);
        return;
    }
    stats(level - 1, a, first, s);
    stats(level - 1, last, b, s);
}

void ChannelHistory::rawSamples(qint64 t0, qint64 t1, std::vector<RawSample> &out) const
{
    const qint64 from = m_raw.lowerBoundFirst(t0), to = m_raw.upperBoundLast(t1);
    for (qint64 i = from; i < to; ++i)
        out.push_back(m_raw.at(i));
}

} // namespace kms::telemetry
