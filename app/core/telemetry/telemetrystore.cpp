#include "telemetry/telemetrystore.h"

#include "telemetry/columndecimator.h"

#include <QMutexLocker>

#include <cmath>
#include <limits>

namespace kms::telemetry {

struct TelemetryStore::Channel {
    Channel(const QString &k, const Limits &l)
        : key(k)
        , history(l.levels, l.fanout, l.rawChunkItems, l.bucketChunkItems)
    {
    }
    QString key;
    QString source; // the source that fed it last (a gap of that source breaks it)
    ChannelHistory history;
};

// The byte budget of each level, shared by all channels: past it, a new chunk is the oldest
// chunk of the level (whichever channel holds it), so the window is the same span of time for
// channels of the same rate.
class TelemetryStore::Budget : public ChunkBudget
{
public:
    Budget(TelemetryStore &store)
        : m_store(store)
        , m_levelBytes(size_t(store.m_limits.levels) + 1, 0)
    {
    }

    std::unique_ptr<std::vector<RawSample>> rawChunk() override
    {
        const qint64 bytes = qint64(m_store.m_limits.rawChunkItems) * qint64(sizeof(RawSample));
        if (m_levelBytes[0] + bytes <= m_store.m_limits.fullRateBytes) {
            m_levelBytes[0] += bytes;
            return {};
        }
        Channel *victim = oldest([](Channel &c) { return c.history.raw().oldestChunkEnd(); });
        if (!victim) { // every channel is down to the chunk it writes: grow rather than lose it
            m_levelBytes[0] += bytes;
            return {};
        }
        auto chunk = victim->history.raw().dropOldest();
        victim->history.pruneGaps();
        return chunk;
    }

    std::unique_ptr<std::vector<MinMaxBucket>> bucketChunk(int level) override
    {
        const qint64 bytes = qint64(m_store.m_limits.bucketChunkItems) * qint64(sizeof(MinMaxBucket));
        if (m_levelBytes[size_t(level)] + bytes <= m_store.m_limits.levelBytes) {
            m_levelBytes[size_t(level)] += bytes;
            return {};
        }
        Channel *victim = oldest([level](Channel &c) { return c.history.level(level).oldestChunkEnd(); });
        if (!victim) {
            m_levelBytes[size_t(level)] += bytes;
            return {};
        }
        auto chunk = victim->history.level(level).dropOldest();
        victim->history.pruneGaps();
        return chunk;
    }

    qint64 rawBytes() const { return m_levelBytes[0]; }
    qint64 pyramidBytes() const
    {
        qint64 n = 0;
        for (size_t i = 1; i < m_levelBytes.size(); ++i)
            n += m_levelBytes[i];
        return n;
    }

private:
    template<typename F> Channel *oldest(F chunkEnd)
    {
        Channel *best = nullptr;
        qint64 bestEnd = std::numeric_limits<qint64>::max();
        for (auto &c : m_store.m_channels) {
            const qint64 end = chunkEnd(*c);
            if (end < bestEnd) {
                bestEnd = end;
                best = c.get();
            }
        }
        return best;
    }

    TelemetryStore &m_store;
    std::vector<qint64> m_levelBytes; // [0] full rate, [L] pyramid level L
};

TelemetryStore::TelemetryStore(const Limits &limits)
    : m_limits(limits)
    , m_budget(std::make_unique<Budget>(*this))
{
}

TelemetryStore::TelemetryStore()
    : TelemetryStore(Limits{})
{
}

TelemetryStore::~TelemetryStore() = default;

TelemetryStore::Channel *TelemetryStore::channel(const QString &key)
{
    if (Channel *c = m_byKey.value(key))
        return c;
    m_channels.push_back(std::make_unique<Channel>(key, m_limits));
    Channel *c = m_channels.back().get();
    m_byKey.insert(key, c);
    return c;
}

const TelemetryStore::Channel *TelemetryStore::find(const QString &key) const
{
    return m_byKey.value(key);
}

void TelemetryStore::append(const QList<TelemetrySet> &sets)
{
    if (sets.isEmpty())
        return;
    QMutexLocker lock(&m_mutex);
    // Consecutive sets of a stream carry the same keys in the same order: remember the channel
    // of each position instead of hashing every key of every line.
    QList<Channel *> byPosition;
    for (const TelemetrySet &set : sets) {
        for (qsizetype i = 0; i < set.values.size(); ++i) {
            const TelemetryValue &tv = set.values[i];
            Channel *c = i < byPosition.size() ? byPosition[i] : nullptr;
            if (!c || c->key != tv.key) {
                c = channel(tv.key);
                if (i < byPosition.size())
                    byPosition[i] = c;
                else
                    byPosition.append(c);
            }
            if (!std::isfinite(tv.value)) {
                ++m_counters.nonFinite;
                continue;
            }
            if (set.tNs < c->history.lastTime()) {
                ++m_counters.outOfOrder;
                continue;
            }
            if (c->source != set.source)
                c->source = set.source;
            c->history.append(set.tNs, tv.value, *m_budget);
            ++m_counters.samples;
        }
    }
    m_revision.fetch_add(1, std::memory_order_release);
}

void TelemetryStore::addGap(const TelemetryGap &gap)
{
    QMutexLocker lock(&m_mutex);
    for (auto &c : m_channels) {
        if (gap.source.isEmpty() || c->source == gap.source)
            c->history.addGap(gap.tNs, *m_budget);
    }
    ++m_counters.gaps;
    m_revision.fetch_add(1, std::memory_order_release);
}

void TelemetryStore::clear()
{
    QMutexLocker lock(&m_mutex);
    m_byKey.clear();
    m_channels.clear();
    m_budget = std::make_unique<Budget>(*this);
    m_counters = {};
    m_revision.fetch_add(1, std::memory_order_release);
}

QStringList TelemetryStore::keys() const
{
    QMutexLocker lock(&m_mutex);
    QStringList out;
    out.reserve(qsizetype(m_channels.size()));
    for (const auto &c : m_channels)
        out.append(c->key);
    return out;
}

TelemetryStore::Extent TelemetryStore::extent(const QString &key) const
{
    QMutexLocker lock(&m_mutex);
    Extent e;
    for (const auto &c : m_channels) {
        if ((!key.isEmpty() && c->key != key) || c->history.empty())
            continue;
        const qint64 first = c->history.firstTime(), last = c->history.lastTime();
        e.firstNs = e.valid ? std::min(e.firstNs, first) : first;
        e.lastNs = e.valid ? std::max(e.lastNs, last) : last;
        e.valid = true;
    }
    return e;
}

std::optional<RawSample> TelemetryStore::latest(const QString &key) const
{
    QMutexLocker lock(&m_mutex);
    const Channel *c = find(key);
    if (!c || c->history.empty())
        return std::nullopt;
    return RawSample{c->history.lastTime(), c->history.lastValue()};
}

TelemetryStore::Stats TelemetryStore::minMax(const QString &key, qint64 t0Ns, qint64 t1Ns) const
{
    QMutexLocker lock(&m_mutex);
    Stats s;
    const Channel *c = find(key);
    if (!c || c->history.empty())
        return s;
    const ChannelHistory::Stats h = c->history.minMax(t0Ns, t1Ns);
    s.valid = h.valid;
    // Exact when the full-rate samples reach back to the range's start, or to the first sample
    // ever kept (nothing older was dropped).
    const qint64 rawFirst = c->history.rawFirstTime();
    s.exact = rawFirst <= t0Ns || rawFirst <= c->history.firstTime();
    s.min = h.min;
    s.max = h.max;
    s.coveredFirstNs = h.coveredFirst;
    s.coveredLastNs = h.coveredLast;
    return s;
}

QList<qint64> TelemetryStore::gaps(const QString &key, qint64 t0Ns, qint64 t1Ns) const
{
    QMutexLocker lock(&m_mutex);
    QList<qint64> out;
    if (const Channel *c = find(key)) {
        for (qint64 g : c->history.gaps()) {
            if (g >= t0Ns && g <= t1Ns)
                out.append(g);
        }
    }
    return out;
}

QList<RawSample> TelemetryStore::samples(const QString &key, qint64 t0Ns, qint64 t1Ns) const
{
    QMutexLocker lock(&m_mutex);
    std::vector<RawSample> v;
    if (const Channel *c = find(key))
        c->history.rawSamples(t0Ns, t1Ns, v);
    return QList<RawSample>(v.begin(), v.end());
}

qint64 TelemetryStore::fullRateFirstNs(const QString &key) const
{
    QMutexLocker lock(&m_mutex);
    const Channel *c = find(key);
    return c ? c->history.rawFirstTime() : 0;
}

TelemetryStore::Counters TelemetryStore::counters() const
{
    QMutexLocker lock(&m_mutex);
    return m_counters;
}

qint64 TelemetryStore::fullRateBytes() const
{
    QMutexLocker lock(&m_mutex);
    return m_budget->rawBytes();
}

qint64 TelemetryStore::pyramidBytes() const
{
    QMutexLocker lock(&m_mutex);
    return m_budget->pyramidBytes();
}

} // namespace kms::telemetry

namespace kms::telemetry {

PlotTrace TelemetryStore::trace(const QString &key, qint64 t0Ns, qint64 t1Ns, int columns) const
{
    QMutexLocker lock(&m_mutex);
    PlotTrace trace;
    const Channel *c = find(key);
    if (!c || c->history.empty() || t1Ns < t0Ns)
        return trace;
    columns = std::max(1, columns);
    std::vector<MinMaxBucket> items;
    // Up to 4 items per column before a coarser level is used: the cost is bounded by the width.
    trace.level = c->history.collect(t0Ns, t1Ns, 4ll * columns, items);
    // Drawn sample by sample only when every item is a sample: the full-rate window reaches
    // back over the whole range (else the older part came from coarser levels' buckets).
    const qint64 rawFirst = c->history.rawFirstTime();
    const bool allRaw = rawFirst <= std::max(t0Ns, c->history.firstTime());
    const bool samples = trace.level == 0 && allRaw && qint64(items.size()) <= 2ll * columns;
    if (samples) {
        // Zoomed in: one sample each side, so that the line reaches the plot's edges.
        const auto &raw = c->history.raw();
        const qint64 before = raw.upperBoundLast(t0Ns - 1) - 1, after = raw.lowerBoundFirst(t1Ns + 1);
        if (before >= 0 && (items.empty() || raw.at(before).t < items.front().t0)) {
            const RawSample &r = raw.at(before);
            items.insert(items.begin(), MinMaxBucket{r.t, r.t, r.v, r.v});
        }
        if (after < raw.size()) {
            const RawSample &r = raw.at(after);
            items.push_back({r.t, r.t, r.v, r.v});
        }
    }
    if (items.empty())
        return trace;
    trace.newestNs = items.back().t1;
    DecimatorInput in;
    in.t0Ns = t0Ns;
    in.t1Ns = t1Ns;
    in.columns = columns;
    in.samples = samples;
    in.items = &items;
    in.gaps = &c->history.gaps();
    trace.points = decimateColumns(in);
    return trace;
}

} // namespace kms::telemetry
