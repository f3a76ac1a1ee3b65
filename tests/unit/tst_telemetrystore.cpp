// TelemetryStore: the pyramid's min/max against a brute-force scan of every sample the test fed,
// gaps never joined, the byte budget, bad values counted.
#include "telemetry/telemetrystore.h"

#include <QRandomGenerator>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

using namespace kms::telemetry;

namespace {

struct Truth {
    std::vector<RawSample> samples;
    // Brute force over [t0, t1]: {valid, min, max}.
    std::tuple<bool, double, double> scan(qint64 t0, qint64 t1) const
    {
        bool valid = false;
        double lo = 0, hi = 0;
        for (const RawSample &s : samples) {
            if (s.t < t0 || s.t > t1)
                continue;
            lo = valid ? std::min(lo, s.v) : s.v;
            hi = valid ? std::max(hi, s.v) : s.v;
            valid = true;
        }
        return {valid, lo, hi};
    }
};

// A random walk with spikes, times strictly increasing with random steps, some repeated.
Truth feed(TelemetryStore &store, const QString &key, int n, quint32 seed, qint64 t = 1000)
{
    QRandomGenerator rng(seed);
    Truth truth;
    double v = 0;
    QList<TelemetrySet> batch;
    for (int i = 0; i < n; ++i) {
        t += rng.bounded(4) == 0 ? 0 : qint64(rng.bounded(1000)) + 1;
        v += rng.bounded(2.0) - 1.0;
        const double value = rng.bounded(500) == 0 ? v + rng.bounded(1000.0) - 500.0 : v;
        truth.samples.push_back({t, value});
        batch.append({t, QStringLiteral("stream:test"), {{key, value}}});
        if (batch.size() == 97 || i == n - 1) {
            store.append(batch);
            batch.clear();
        }
    }
    return truth;
}

TelemetryStore::Limits smallLimits()
{
    TelemetryStore::Limits l;
    l.rawChunkItems = 64;
    l.bucketChunkItems = 16;
    l.fanout = 4;
    l.levels = 5;
    return l;
}

} // namespace

class TestTelemetryStore : public QObject
{
    Q_OBJECT
private slots:
    void minMaxEqualsBruteForceOnRandomRanges()
    {
        TelemetryStore store(smallLimits()); // nothing evicted: every range is exact
        const Truth truth = feed(store, QStringLiteral("sync_err_ns"), 20000, 1);
        QRandomGenerator rng(2);
        const qint64 first = truth.samples.front().t, last = truth.samples.back().t;
        for (int i = 0; i < 3000; ++i) {
            qint64 a = first - 2000 + qint64(rng.bounded(quint64(last - first + 4000)));
            qint64 b = a + qint64(rng.bounded(quint64(i % 3 == 0 ? 5000 : last - first + 1)));
            const auto [valid, lo, hi] = truth.scan(a, b);
            const auto s = store.minMax(QStringLiteral("sync_err_ns"), a, b);
            QCOMPARE(s.valid, valid);
            if (!valid)
                continue;
            QVERIFY(s.exact);
            QCOMPARE(s.min, lo);
            QCOMPARE(s.max, hi);
        }
    }

    void evictedRangesUseCoarserLevelsAndRecentStayExact()
    {
        TelemetryStore::Limits l = smallLimits();
        l.fullRateBytes = 20 * 64 * qint64(sizeof(RawSample)); // 20 chunks of samples
        l.levelBytes = 12 * 16 * qint64(sizeof(MinMaxBucket));
        TelemetryStore store(l);
        const QString key = QStringLiteral("a_fill_n");
        const Truth truth = feed(store, key, 60000, 3);
        const qint64 rawFirst = store.fullRateFirstNs(key);
        QVERIFY(rawFirst > truth.samples.front().t); // the window moved on
        const qint64 last = truth.samples.back().t;
        QRandomGenerator rng(4);
        int exact = 0, coarse = 0;
        for (int i = 0; i < 2000; ++i) {
            // Half of the ranges start inside the full-rate window.
            const qint64 from = i % 2 ? rawFirst : truth.samples.front().t;
            const qint64 a = from + qint64(rng.bounded(quint64(last - from)));
            const qint64 b = a + qint64(rng.bounded(quint64(last - a + 1)));
            const auto [valid, lo, hi] = truth.scan(a, b);
            const auto s = store.minMax(key, a, b);
            if (a >= rawFirst) {
                QVERIFY(s.exact);
                QCOMPARE(s.valid, valid);
                if (valid) {
                    QCOMPARE(s.min, lo);
                    QCOMPARE(s.max, hi);
                }
                ++exact;
            } else if (s.valid) {
                // Older than the window: only whole buckets inside the range were looked at, so
                // the answer is the exact min/max of the span it says it covered.
                QVERIFY(!s.exact);
                QVERIFY(s.coveredFirstNs >= a && s.coveredLastNs <= b);
                const auto [cv, clo, chi] = truth.scan(s.coveredFirstNs, s.coveredLastNs);
                QVERIFY(cv);
                QVERIFY(s.min >= lo && s.max <= hi);
                QVERIFY(s.min >= clo && s.max <= chi);
                ++coarse;
            }
        }
        QVERIFY(exact > 100);
        QVERIFY(coarse > 100);
        // Traces across the window's start (samples and older buckets together, few enough
        // items to be drawn one by one if they were all samples) lose no extreme either.
        for (int i = 0; i < 200; ++i) {
            const qint64 a = rawFirst - 1 - qint64(rng.bounded(quint64(rawFirst - truth.samples.front().t)));
            const qint64 b = rawFirst + qint64(rng.bounded(quint64(last - rawFirst)));
            const auto [valid, lo, hi] = truth.scan(a, b);
            const PlotTrace t = store.trace(key, a, b, 4000);
            double plo = std::numeric_limits<double>::max(), phi = -plo;
            for (const QPointF &p : t.points) {
                if (!std::isnan(p.y())) {
                    plo = std::min(plo, p.y());
                    phi = std::max(phi, p.y());
                }
            }
            QVERIFY(valid);
            QVERIFY2(plo <= lo && phi >= hi,
                     qPrintable(QStringLiteral("[%1, %2] level %3").arg(a).arg(b).arg(t.level)));
        }
        // The top level still reaches back to the start.
        QCOMPARE(store.extent(key).firstNs, truth.samples.front().t);
    }

    void traceDrawsAtMostTwoPointsPerColumnAndKeepsExtremes()
    {
        TelemetryStore store(smallLimits());
        const QString key = QStringLiteral("corr_ppm");
        const Truth truth = feed(store, key, 50000, 5);
        const qint64 first = truth.samples.front().t, last = truth.samples.back().t;
        QRandomGenerator rng(6);
        for (int i = 0; i < 300; ++i) {
            const int columns = 50 + int(rng.bounded(1500));
            const qint64 span = 1 + qint64(rng.bounded(quint64(last - first)));
            const qint64 a = first + qint64(rng.bounded(quint64(last - first - span + 1)));
            const PlotTrace t = store.trace(key, a, a + span, columns);
            QVERIFY2(t.points.size() <= 2 * columns + 2,
                     qPrintable(QStringLiteral("%1 points for %2 columns").arg(t.points.size()).arg(columns)));
            const auto [valid, lo, hi] = truth.scan(a, a + span);
            if (!valid || t.points.isEmpty())
                continue;
            // Aggregated from samples, the columns hold the range's extremes; drawn sample by
            // sample (zoomed in), the points are the samples (plus one outside each edge).
            double plo = std::numeric_limits<double>::max(), phi = -plo;
            for (const QPointF &p : t.points) {
                const qint64 ns = qint64(std::llround(p.x() * 1e9));
                if (ns < a - 1 || ns > a + span + 1) // the samples just outside, zoomed in
                    continue;
                plo = std::min(plo, p.y());
                phi = std::max(phi, p.y());
            }
            // No extreme is lost at any zoom; drawn from the samples, nothing else is drawn either
            // (a coarser level's first and last buckets may reach past the range's edges).
            QVERIFY(plo <= lo && phi >= hi);
            if (t.level == 0) {
                QCOMPARE(plo, lo);
                QCOMPARE(phi, hi);
            }
        }
    }

    void gapsBreakTheLineAndAreNeverJoined()
    {
        TelemetryStore store(smallLimits());
        const QString key = QStringLiteral("sample_fill_n");
        QList<TelemetrySet> a, b;
        for (int i = 0; i < 100; ++i)
            a.append({1000 + i * 10, QStringLiteral("stream:x"), {{key, double(i)}}});
        for (int i = 0; i < 100; ++i)
            b.append({5000 + i * 10, QStringLiteral("stream:x"), {{key, double(1000 - i)}}});
        store.append(a);
        store.addGap({1990, QStringLiteral("stream:x"), QStringLiteral("link lost")});
        store.append(b);
        QCOMPARE(store.gaps(key, 0, 1'000'000), QList<qint64>{1990});
        for (int columns : {20, 100, 400, 2000}) {
            const PlotTrace t = store.trace(key, 0, 7000, columns);
            int breaks = 0;
            for (qsizetype i = 0; i + 1 < t.points.size(); ++i) {
                const QPointF p = t.points[i], q = t.points[i + 1];
                if (std::isnan(p.y()) || std::isnan(q.y())) {
                    breaks += std::isnan(p.y()) ? 1 : 0;
                    continue;
                }
                // No segment between two finite points crosses the gap.
                QVERIFY2(!(p.x() * 1e9 < 1995 && q.x() * 1e9 > 4995),
                         qPrintable(QStringLiteral("joined across the gap at %1 columns").arg(columns)));
            }
            QCOMPARE(breaks, 1);
        }
        // No pyramid bucket spans the gap: min/max of the part after it sees none of before.
        const auto s = store.minMax(key, 2000, 7000);
        QCOMPARE(s.max, 1000.0);
        QCOMPARE(s.min, 901.0);
        // A gap of another source leaves this channel alone.
        store.addGap({6000, QStringLiteral("poll:/sys/x"), QStringLiteral("lost")});
        QCOMPARE(store.gaps(key, 0, 1'000'000).size(), 1);
    }

    void fullRateWindowIsSizedInBytesAndFollowsTheRate()
    {
        TelemetryStore::Limits l;
        l.fullRateBytes = 1ll << 20;
        l.levelBytes = 256ll << 10; // 8 chunks: each of 4 channels keeps at least the one it writes
        l.rawChunkItems = 256; // fine enough that the windows compare within 2%
        TelemetryStore one(l), four(l);
        // 10 kHz for 50 s: 1 channel vs 4 channels in the same byte budget.
        QList<TelemetrySet> batch;
        for (qint64 i = 0; i < 500'000; ++i) {
            const qint64 t = i * 100'000;
            const double v = std::sin(double(i) / 1000.0);
            batch.append({t, QStringLiteral("s"), {{QStringLiteral("a_ns"), v}}});
            if (batch.size() == 1000) {
                one.append(batch);
                for (TelemetrySet &s : batch) {
                    s.values.append({QStringLiteral("b_ns"), v});
                    s.values.append({QStringLiteral("c_ns"), v});
                    s.values.append({QStringLiteral("d_ns"), v});
                }
                four.append(batch);
                batch.clear();
            }
        }
        QVERIFY(one.fullRateBytes() <= l.fullRateBytes);
        QVERIFY(four.fullRateBytes() <= l.fullRateBytes);
        QVERIFY(one.pyramidBytes() <= l.levels * l.levelBytes);
        QVERIFY(four.pyramidBytes() <= l.levels * l.levelBytes);
        const qint64 end = 499'999ll * 100'000;
        const double winOne = double(end - one.fullRateFirstNs(QStringLiteral("a_ns")));
        const double winFour = double(end - four.fullRateFirstNs(QStringLiteral("a_ns")));
        // 1 MiB of 16-byte samples: 65536 samples, 6.55 s at 10 kHz for one channel, a quarter for four.
        QVERIFY2(std::abs(winOne / 1e9 - 6.55) < 0.5, qPrintable(QString::number(winOne / 1e9)));
        QVERIFY2(std::abs(winOne / winFour - 4.0) < 0.2, qPrintable(QString::number(winOne / winFour)));
        // The same span for every channel of one rate.
        QVERIFY(std::abs(four.fullRateFirstNs(QStringLiteral("d_ns")) - four.fullRateFirstNs(QStringLiteral("a_ns")))
                < 1'000'000'000);
        // Older data is still there, as coarse levels.
        QCOMPARE(four.extent().firstNs, 0);
        const auto s = four.minMax(QStringLiteral("c_ns"), 0, end);
        QVERIFY(s.valid && !s.exact);
        QVERIFY(s.max > 0.99 && s.min < -0.99);
    }

    void badValuesAreCountedNotStored()
    {
        TelemetryStore store;
        const QString key = QStringLiteral("loop_us");
        store.append({{100, QStringLiteral("s"), {{key, 1.0}}},
                      {200, QStringLiteral("s"), {{key, std::numeric_limits<double>::quiet_NaN()}}},
                      {300, QStringLiteral("s"), {{key, std::numeric_limits<double>::infinity()}}},
                      {50, QStringLiteral("s"), {{key, 5.0}}}, // time went backwards
                      {400, QStringLiteral("s"), {{key, 2.0}}}});
        const auto c = store.counters();
        QCOMPARE(c.samples, 2);
        QCOMPARE(c.nonFinite, 2);
        QCOMPARE(c.outOfOrder, 1);
        QCOMPARE(store.samples(key, 0, 1000).size(), 2);
        QCOMPARE(store.latest(key)->v, 2.0);
    }

    void concurrentAppendAndTrace()
    {
        TelemetryStore::Limits l = smallLimits();
        l.fullRateBytes = 64 * 64 * qint64(sizeof(RawSample));
        TelemetryStore store(l);
        std::atomic<bool> done{false};
        std::atomic<int> traced{0};
        QThread *writer = QThread::create([&] {
            for (int b = 0; b < 400; ++b) {
                // Past the first batch only once the reader has traced: on a loaded machine the
                // writer could otherwise finish before the reader ran at all.
                while (b == 1 && traced.load() == 0)
                    QThread::yieldCurrentThread();
                QList<TelemetrySet> batch;
                for (int i = 0; i < 100; ++i) {
                    const qint64 t = (b * 100 + i) * 1000;
                    batch.append({t,
                                  QStringLiteral("s"),
                                  {{QStringLiteral("x_ns"), double(i)}, {QStringLiteral("y_n"), double(b)}}});
                }
                store.append(batch);
                if (b % 50 == 0)
                    store.addGap({0, QStringLiteral("s"), QStringLiteral("test")});
            }
            done = true;
        });
        writer->start();
        // Checked after the join: a failed check must not leave the writer on a destroyed store.
        int traces = 0;
        qsizetype maxPoints = 0;
        while (!done) {
            const auto e = store.extent();
            if (e.valid) {
                const PlotTrace t = store.trace(QStringLiteral("x_ns"), e.firstNs, e.lastNs, 300);
                maxPoints = std::max(maxPoints, t.points.size());
                ++traces;
                traced = traces;
            }
        }
        writer->wait();
        delete writer;
        // 2 points a column, and a column cut by one of the 8 gaps draws both of its sides (up to
        // 2 more points) with the break between them.
        QVERIFY2(maxPoints <= 2 * 300 + 2 + 3 * 8, qPrintable(QString::number(maxPoints)));
        QVERIFY(traces > 0);
        QCOMPARE(store.counters().samples, 80000);
    }
};

QTEST_GUILESS_MAIN(TestTelemetryStore)
#include "tst_telemetrystore.moc"
