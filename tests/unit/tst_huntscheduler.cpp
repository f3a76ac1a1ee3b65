// The scheduler on a simulated grid: each cell crashes with a planted probability drawn per
// cycle from a seeded PRNG (the node itself is exercised by the e2e tests).
#include "hunt/huntscheduler.h"

#include <QTest>

#include <algorithm>
#include <random>

using namespace kms::hunt;

namespace {

struct Run {
    QList<qsizetype> picks;
    qint64 cyclesToFirstCrash = -1;
    qint64 totalCycles = 0;
    QList<CellResult> cells;
};

Run simulate(Order order, const QList<double> &rates, quint64 seed, ScheduleLimits limits, qint64 budget = -1)
{
    Scheduler scheduler(order, limits, seed);
    std::mt19937_64 node(seed ^ 0x9e3779b97f4a7c15ULL);
    Run run;
    run.cells.resize(rates.size());
    for (;;) {
        const qint64 left = budget < 0 ? -1 : budget - run.totalCycles;
        const auto pick = scheduler.next(run.cells, left);
        if (!pick)
            break;
        run.picks << pick->cell;
        for (qint64 i = 0; i < pick->cycles; ++i) {
            const bool crash = double(node() >> 11) * 0x1.0p-53 < rates[pick->cell];
            run.cells[pick->cell].addCycle(crash ? QStringLiteral("crash") : QStringLiteral("pass"),
                                           {QStringLiteral("BUG")});
            ++run.totalCycles;
            if (crash && run.cyclesToFirstCrash < 0)
                run.cyclesToFirstCrash = run.totalCycles;
            if (scheduler.finished(run.cells[pick->cell]))
                break; // the driver stops a batch at the cell's crash limit
        }
    }
    return run;
}

qint64 median(QList<qint64> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

} // namespace

class TestHuntScheduler : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sameSeedSameHunt()
    {
        const QList<double> rates{0, 0.02, 0, 0.3, 0, 0.05};
        const ScheduleLimits limits{60, 5, 5};
        const Run a = simulate(Order::Adaptive, rates, 42, limits);
        const Run b = simulate(Order::Adaptive, rates, 42, limits);
        QCOMPARE(a.picks, b.picks);
        const Run c = simulate(Order::Adaptive, rates, 43, limits);
        QVERIFY(a.picks != c.picks);
    }

    // Every cell ends at its cycle limit or its crash limit, whatever the order.
    void limitsAreKept()
    {
        const QList<double> rates{0, 0.5, 0.01, 1.0};
        const ScheduleLimits limits{40, 3, 7};
        for (Order order : {Order::Adaptive, Order::Grid}) {
            const Run run = simulate(order, rates, 7, limits);
            for (qsizetype i = 0; i < rates.size(); ++i) {
                const CellResult &c = run.cells[i];
                QVERIFY(c.cycles <= 40);
                QVERIFY(c.crashes <= 3);
                QVERIFY(c.cycles == 40 || c.crashes == 3);
            }
            QCOMPARE(run.cells[0].cycles, 40); // never crashes
            QCOMPARE(run.cells[3].cycles, 3); // crashes every time
        }
        // No crash limit: every cell runs its cycles.
        const Run all = simulate(Order::Adaptive, rates, 7, ScheduleLimits{20, 0, 6});
        for (const CellResult &c : all.cells)
            QCOMPARE(c.cycles, 20);
    }

    void gridIsInOrder()
    {
        const Run run = simulate(Order::Grid, {0, 0, 0}, 1, ScheduleLimits{10, 0, 4});
        QCOMPARE(run.picks, (QList<qsizetype>{0, 0, 0, 1, 1, 1, 2, 2, 2})); // 4 + 4 + 2 each
    }

    void budgetStops()
    {
        const Run run = simulate(Order::Adaptive, {0, 0, 0, 0}, 3, ScheduleLimits{100, 10, 5}, 33);
        QCOMPARE(run.totalCycles, 33);
        Scheduler s(Order::Adaptive, ScheduleLimits{}, 1);
        QVERIFY(!s.next(QList<CellResult>(3), 0));
    }

    // One cell in twelve crashes (30% of its cycles), planted at each position in turn; the
    // others never do. In grid order the first crash waits for every cell before it to run its
    // 100 cycles; the adaptive order reaches the planted cell within a few batches.
    void findsPlantedCellEarly()
    {
        const ScheduleLimits limits{100, 10, 5};
        QList<qint64> adaptive, grid;
        for (int position = 0; position < 12; ++position) {
            QList<double> rates(12, 0.0);
            rates[position] = 0.3;
            for (quint64 seed = 1; seed <= 5; ++seed) {
                adaptive << simulate(Order::Adaptive, rates, seed * 1000 + position, limits).cyclesToFirstCrash;
                grid << simulate(Order::Grid, rates, seed * 1000 + position, limits).cyclesToFirstCrash;
            }
        }
        QVERIFY(!adaptive.contains(-1));
        const qint64 a = median(adaptive), g = median(grid);
        qInfo("cycles to the first crash, median of 60 hunts: adaptive %lld, grid order %lld", a, g);
        // Grid order: about 100 per cell before the planted one (median position 6: ~600).
        QVERIFY(g > 400);
        QVERIFY2(a * 5 < g, qPrintable(QStringLiteral("adaptive %1 vs grid %2").arg(a).arg(g)));
        QVERIFY(*std::max_element(adaptive.begin(), adaptive.end()) < 400);
    }

    // Under a budget the adaptive order spends it where the crashes are: the planted cell gets
    // far more than its 1/8 share and reaches its crash limit.
    void budgetGoesToTheCrashingCell()
    {
        QList<double> rates(8, 0.0);
        rates[5] = 0.2;
        const Run run = simulate(Order::Adaptive, rates, 11, ScheduleLimits{200, 10, 5}, 300);
        QCOMPARE(run.totalCycles, 300);
        QCOMPARE(run.cells[5].crashes, 10);
        QVERIFY(run.cells[5].cycles > 300 / 8);
    }
};

QTEST_GUILESS_MAIN(TestHuntScheduler)
#include "tst_huntscheduler.moc"
