// The hunt driver over a simulated backend: each cell crashes with a rate planted in its
// `fault_window_us` value, drawn per cycle from a seeded PRNG. Checks the driver's own rules
// (limits, budget, stopping, a lost node, compare pairing); the node is the e2e tests' job.
#include "hunt/hunt.h"
#include "hunt/huntjson.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <random>

using namespace kms::hunt;

namespace {

class SimulatedNode : public HuntBackend
{
public:
    // rate(conditions, build): crash probability per cycle.
    std::function<double(const Conditions &, int)> rate;
    qint64 loseNodeAfter = -1; // total cycles after which the node never comes back
    qint64 total = 0;
    QList<Batch> batches;
    std::mt19937_64 random{12345};

    void runBatch(const Batch &batch) override
    {
        batches << batch;
        m_left = batch.cycles;
        m_batch = batch;
        m_stop = false;
        QTimer::singleShot(0, this, [this] { step(); });
    }
    void stop() override { m_stop = true; }

private:
    void step()
    {
        if (m_stop)
            return Q_EMIT batchFinished(BatchEnd::Stopped, {});
        if (loseNodeAfter >= 0 && total >= loseNodeAfter)
            return Q_EMIT batchFinished(BatchEnd::NodeLost, QStringLiteral("no SSH answer within 120 s"));
        if (m_left == 0)
            return Q_EMIT batchFinished(BatchEnd::Ok, {});
        --m_left;
        ++total;
        const bool crash = double(random() >> 11) * 0x1.0p-53 < rate(m_batch.conditions, m_batch.build);
        if (crash)
            Q_EMIT cycleFinished(QStringLiteral("crash"), {QStringLiteral("BUG: unable to handle page fault in x")});
        else
            Q_EMIT cycleFinished(QStringLiteral("pass"), {});
        // A crash ends the batch (the runner stops at it, the node reboots).
        if (crash && !m_stop)
            return Q_EMIT batchFinished(BatchEnd::Ok, {});
        QTimer::singleShot(0, this, [this] { step(); });
    }

    Batch m_batch;
    qint64 m_left = 0;
    bool m_stop = false;
};

double windowRate(const Conditions &c, int)
{
    for (const auto &[name, value] : c.params) {
        if (name == QLatin1String("w"))
            return value.toDouble() / 100.0;
    }
    return 0;
}

QList<Conditions> cellsFor(const QString &vary)
{
    QString error;
    Grid grid;
    grid.add(*Dimension::parse(vary, &error), &error);
    return grid.cells({});
}

HuntResult runHunt(SimulatedNode &node, const HuntConfig &config)
{
    Hunt hunt(&node, config);
    QSignalSpy spy(&hunt, &Hunt::finished);
    hunt.start();
    if (!spy.wait(20000))
        qFatal("the hunt did not finish");
    return spy.at(0).at(0).value<HuntResult>();
}

} // namespace

Q_DECLARE_METATYPE(kms::hunt::HuntResult)

class TestHunt : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<HuntResult>(); }

    void budgets()
    {
        QString error;
        QCOMPARE(parseBudget(QStringLiteral("500"), &error)->cycles, 500);
        QCOMPARE(parseBudget(QStringLiteral("90s"), &error)->durationMs, 90000);
        QCOMPARE(parseBudget(QStringLiteral("30m"), &error)->durationMs, 1800000);
        QCOMPARE(parseBudget(QStringLiteral("1h30m"), &error)->durationMs, 5400000);
        QCOMPARE(parseBudget(QStringLiteral("2h"), &error)->cycles, 0);
        for (const char *bad : {"", "0", "-5", "5x", "m", "1.5h", "h30"}) {
            QVERIFY2(!parseBudget(QLatin1String(bad), &error), bad);
            QVERIFY(error.contains(QLatin1String("expected a number of cycles")));
        }
    }

    void wholeGrid()
    {
        SimulatedNode node;
        node.rate = windowRate;
        HuntConfig config;
        config.conditions = cellsFor(QStringLiteral("param:w=0,50"));
        config.limits = {40, 5, 5};
        config.reproducer.module = QStringLiteral("prudaq");
        Hunt hunt(&node, config);
        QSignalSpy finished(&hunt, &Hunt::finished);
        QSignalSpy batches(&hunt, &Hunt::batchFinished);
        hunt.start();
        QVERIFY(finished.wait(20000));
        const HuntResult r = finished.at(0).at(0).value<HuntResult>();
        QCOMPARE(batches.size(), node.batches.size());
        QCOMPARE(r.ended, EndReason::Done);
        QCOMPARE(r.cells.size(), 2);
        QCOMPARE(r.cells[0].cycles, 40);
        QCOMPARE(r.cells[0].crashes, 0);
        QCOMPARE(r.cells[1].crashes, 5); // stopped at its crash limit
        QVERIFY(r.cells[1].cycles < 40);
        QCOMPARE(r.totalCycles, r.cells[0].cycles + r.cells[1].cycles);
        QVERIFY(r.best);
        QCOMPARE(r.best->cell, 1);
        QVERIFY(r.best->nodeCommand.contains(QLatin1String("modprobe prudaq w=50")));
        QVERIFY(r.firstCrashTotalCycle);
        for (const Batch &b : node.batches)
            QVERIFY(b.cycles <= 5);
    }

    // A budget of cycles is never exceeded; each batch is cut to what is left.
    void cycleBudget()
    {
        SimulatedNode node;
        node.rate = windowRate;
        HuntConfig config;
        config.conditions = cellsFor(QStringLiteral("param:w=0,1,2,3"));
        config.limits = {100, 10, 7};
        config.budget.cycles = 30;
        const HuntResult r = runHunt(node, config);
        QCOMPARE(r.ended, EndReason::Budget);
        QCOMPARE(r.totalCycles, 30);
        QCOMPARE(node.total, 30);
    }

    void durationBudget()
    {
        SimulatedNode node;
        node.rate = windowRate;
        HuntConfig config;
        config.conditions = cellsFor(QStringLiteral("param:w=0,1"));
        config.limits = {1000000, 0, 5};
        config.budget.durationMs = 300;
        QElapsedTimer t;
        t.start();
        const HuntResult r = runHunt(node, config);
        QCOMPARE(r.ended, EndReason::Budget);
        QVERIFY(t.elapsed() >= 300);
        QVERIFY(r.totalCycles > 0);
    }

    // A node that does not come back ends the hunt with what it has.
    void nodeLost()
    {
        SimulatedNode node;
        node.rate = windowRate;
        node.loseNodeAfter = 12;
        HuntConfig config;
        config.conditions = cellsFor(QStringLiteral("param:w=0,1,2"));
        config.order = Order::Grid;
        config.limits = {10, 0, 5};
        const HuntResult r = runHunt(node, config);
        QCOMPARE(r.ended, EndReason::NodeLost);
        QCOMPARE(r.endDetail, QStringLiteral("no SSH answer within 120 s"));
        QCOMPARE(r.totalCycles, 12);
        QCOMPARE(r.cells[0].cycles, 10);
        QCOMPARE(r.cells[1].cycles, 2);
        const QJsonObject json = huntToJson(r);
        QCOMPARE(json[QStringLiteral("ended")].toString(), QStringLiteral("node_lost"));
        QCOMPARE(json[QStringLiteral("cells")].toArray().size(), 3);
    }

    void stopEndsTheBatch()
    {
        SimulatedNode node;
        node.rate = windowRate;
        HuntConfig config;
        config.conditions = cellsFor(QStringLiteral("param:w=0"));
        config.limits = {1000000, 0, 1000000};
        Hunt hunt(&node, config);
        QSignalSpy spy(&hunt, &Hunt::finished);
        hunt.start();
        QTimer::singleShot(50, &hunt, &Hunt::stop);
        QVERIFY(spy.wait(5000));
        const HuntResult r = spy.at(0).at(0).value<HuntResult>();
        QCOMPARE(r.ended, EndReason::Stopped);
        QVERIFY(r.totalCycles > 0);
        QVERIFY(!hunt.running());
    }

    // Compare: every condition runs on both builds, taking turns; build A crashes (30%), B
    // never does. The statement and the test say so.
    void compareBuildsTakeTurns()
    {
        SimulatedNode node;
        node.rate = [](const Conditions &, int build) {
            return build == 0 ? 0.3 : 0.0;
        };
        HuntConfig config;
        config.conditions = cellsFor(QStringLiteral("settle=0,10"));
        config.builds = {QStringLiteral("/tmp/before.ko"), QStringLiteral("/tmp/after.ko")};
        config.buildNodePaths = {QStringLiteral("/tmp/kms/a/prudaq.ko"), QStringLiteral("/tmp/kms/b/prudaq.ko")};
        config.limits = {100, 0, 10};
        config.order = Order::Grid;
        config.reproducer.module = QStringLiteral("prudaq");
        const HuntResult r = runHunt(node, config);
        QCOMPARE(r.cells.size(), 4);
        QCOMPARE(r.cells[0].build, QStringLiteral("a"));
        QCOMPARE(r.cells[1].build, QStringLiteral("b"));
        for (const CellResult &c : r.cells)
            QCOMPARE(c.cycles, 100);
        // The builds alternate on the first condition before the second one starts.
        QCOMPARE(node.batches[0].build, 0);
        QCOMPARE(node.batches[0].conditions.settleMs, 0);
        bool sawB = false;
        for (const Batch &b : node.batches.mid(0, 4))
            sawB = sawB || b.build == 1;
        QVERIFY(sawB);
        QVERIFY(r.compare);
        QCOMPARE(r.compare->b.crashes, 0);
        QCOMPARE(r.compare->b.cycles, 200);
        QVERIFY(r.compare->a.crashes > 20);
        QVERIFY(r.compare->pValue < 0.001);
        QVERIFY2(r.compare->statement.startsWith(
                     QStringLiteral("after: 0 crashes in 200 cycles, rate below 1.9% at 95%; before: ")),
                 qPrintable(r.compare->statement));
        QVERIFY(r.compare->statement.endsWith(QStringLiteral("p < 0.001")));
        QCOMPARE(r.compare->cells.size(), 2);
        QVERIFY(r.best);
        QCOMPARE(r.cells[r.best->cell].build, QStringLiteral("a"));
        QVERIFY(r.best->nodeCommand.contains(QLatin1String("insmod /tmp/kms/a/prudaq.ko")));
        const QJsonObject json = huntToJson(r);
        QCOMPARE(
            json[QStringLiteral("compare")].toObject()[QStringLiteral("b")].toObject()[QStringLiteral("ko")].toString(),
            QStringLiteral("/tmp/after.ko"));
        QVERIFY(json[QStringLiteral("compare")].toObject()[QStringLiteral("significant")].toBool());
    }
};

QTEST_GUILESS_MAIN(TestHunt)
#include "tst_hunt.moc"
