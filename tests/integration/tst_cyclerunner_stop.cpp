// CycleRunner::stop() in every state against a real sshd on 127.0.0.1 and the real cycle script,
// on a fake node (tests/integration/fakenode/README.md): the run ends promptly and the module is
// left as chosen; a node that never comes back ends the run. The runner's verdicts: tst_cyclerunner.
#include "fakenodetest.h"

#include "cycle/cyclerunner.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace kms;

class TestCycleRunnerStop : public FakeNodeTest
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(setUpNode()); }

    void init() { QVERIFY(resetNode()); }

    // --- stop() in every state: the run ends promptly and the module is left as chosen.
    void stop_data()
    {
        QTest::addColumn<int>("state");
        QTest::addColumn<bool>("leaveLoaded");
        QTest::newRow("probing") << int(CycleRunner::State::Probing) << false;
        QTest::newRow("cycling, unloaded") << int(CycleRunner::State::Cycling) << false;
        QTest::newRow("cycling, loaded") << int(CycleRunner::State::Cycling) << true;
        QTest::newRow("collecting") << int(CycleRunner::State::Collecting) << false;
        QTest::newRow("delaying") << int(CycleRunner::State::Delaying) << false;
        QTest::newRow("delaying, loaded") << int(CycleRunner::State::Delaying) << true;
        QTest::newRow("waiting for the node") << int(CycleRunner::State::WaitingForNode) << false;
        QTest::newRow("finishing") << int(CycleRunner::State::Finishing) << false;
    }

    void stop()
    {
        QFETCH(int, state);
        QFETCH(bool, leaveLoaded);
        const auto target = CycleRunner::State(state);
        CycleRunConfig c = config(2);
        c.finalState = leaveLoaded ? CycleRunConfig::FinalState::Loaded : CycleRunConfig::FinalState::Unloaded;
        c.markerWaitMs = 10000;
        if (target == CycleRunner::State::Probing)
            control(QStringLiteral("id_sleep"), "3");
        if (target == CycleRunner::State::Cycling)
            c.settleMs = 20000; // stopped while the module is live and settling
        if (target == CycleRunner::State::Delaying)
            c.delayMs = 20000;
        if (target == CycleRunner::State::WaitingForNode)
            c.settleMs = 3000; // the panic line comes while the module settles
        if (target == CycleRunner::State::Finishing)
            QVERIFY(writeFile(root(QStringLiteral("sys/kernel/debug/kmemleak")), ""));

        CycleRunner runner(m_link.get());
        QSignalSpy finished(&runner, &CycleRunner::runFinished);
        QElapsedTimer stopClock;
        bool stopped = false;
        const auto stopNow = [&] {
            if (stopped)
                return;
            stopped = true;
            stopClock.start();
            runner.stop();
        };
        connect(&runner, &CycleRunner::stateChanged, &runner, [&](CycleRunner::State s) {
            if (s != target || stopped)
                return;
            if (s == CycleRunner::State::Cycling) {
                // Into the settle time: the module is live on the node.
                QTimer::singleShot(1500, &runner, stopNow);
                return;
            }
            if (s == CycleRunner::State::WaitingForNode) {
                stopNow();
                return;
            }
            QMetaObject::invokeMethod(&runner, stopNow, Qt::QueuedConnection);
        });
        if (target == CycleRunner::State::Collecting) {
            // A console that shows cycle 1's begin marker but not yet its end: the runner
            // waits for it.
            connect(&runner, &CycleRunner::cycleStarted, &runner, [&](int) {
                QTimer::singleShot(200, &runner, [&] {
                    const QByteArray marker = readFile(root(QStringLiteral("dev/kmsg")));
                    const QByteArray run = marker.mid(marker.indexOf("run=") + 4).trimmed();
                    runner.onLines(
                        QStringLiteral("serial"),
                        {LogLine{hostTimeNowNs(), QStringLiteral("serial"), "kmodscope: cycle 1 begin run=" + run, 0}});
                });
            });
        }
        if (target == CycleRunner::State::WaitingForNode) {
            connect(&runner, &CycleRunner::cycleStarted, &runner, [&](int) {
                QTimer::singleShot(300, &runner, [&] {
                    runner.onLines(QStringLiteral("serial"),
                                   {LogLine{hostTimeNowNs(), QStringLiteral("serial"),
                                            "Kernel panic - not syncing: Fatal exception in interrupt", 0}});
                });
            });
        }
        QVERIFY(runner.start(c));
        QVERIFY2(waitFinished(runner, 40000), "the run did not end");
        QVERIFY2(stopped || target == CycleRunner::State::Finishing, "the state was never reached");
        QCOMPARE(finished.size(), 1);
        if (stopped) {
            // Immediate: one round trip (plus the current step), never the settle or delay time.
            QVERIFY2(stopClock.elapsed() < 5000, qPrintable(QString::number(stopClock.elapsed())));
        }
        if (target == CycleRunner::State::Probing) {
            QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Stopped));
            QVERIFY(runner.runEndMessage().contains(QLatin1String("not touched")));
            QVERIFY(!loaded());
            return;
        }
        if (target == CycleRunner::State::WaitingForNode) {
            QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Stopped));
            QCOMPARE(runner.cycles().size(), 1);
            QCOMPARE(toString(runner.cycles().first().verdict), toString(Verdict::Crash));
            // The abandoned cycle script ends its settle time and unloads before the next test.
            QTest::qWait(c.settleMs + 1500);
            return;
        }
        if (target != CycleRunner::State::Finishing)
            QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Stopped));
        QCOMPARE(loaded(), leaveLoaded);
        QVERIFY2(
            runner.runEndMessage().contains(leaveLoaded ? QLatin1String("left live") : QLatin1String("left unloaded")),
            qPrintable(runner.runEndMessage()));
        if (target == CycleRunner::State::Collecting)
            QCOMPARE(runner.cycles().size(), 1); // the cycle ran to its end: kept
    }

    // Last: it takes the sshd down. A node that does not come back ends the run with a verdict,
    // never an endless wait.
    void nodeNeverComesBack()
    {
        CycleRunner runner(m_link.get());
        connect(m_link.get(), &SshLink::stateChanged, &runner,
                [&runner](SshLink::State state, const QString &detail) { runner.onSshState(state, detail); });
        CycleRunConfig c = config(3);
        c.settleMs = 2000;
        c.returnTimeoutS = 3;
        connect(&runner, &CycleRunner::cycleStarted, &runner, [&](int) {
            QTimer::singleShot(500, &runner, [&] {
                m_sshd.stop(); // the node dies with the panic
                runner.onLines(QStringLiteral("serial"),
                               {LogLine{hostTimeNowNs(), QStringLiteral("serial"),
                                        "Kernel panic - not syncing: Fatal exception in interrupt", 0}});
            });
        });
        QElapsedTimer clock;
        clock.start();
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QVERIFY(clock.elapsed() < 3 * (c.returnTimeoutS * 1000 + 2000));
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::NodeLost));
        QCOMPARE(runner.cycles().size(), 1);
        QCOMPARE(toString(runner.cycles().first().verdict), toString(Verdict::Crash));
        bool said = false;
        for (const Finding &f : runner.cycles().first().findings)
            said = said
                || (f.kind == QLatin1String("node_lost") && f.message.contains(QLatin1String("did not come back")));
        QVERIFY(said);
        QVERIFY(runner.runEndMessage().contains(QLatin1String("did not come back within 3 s")));
    }
};

QTEST_GUILESS_MAIN(TestCycleRunnerStop)
#include "tst_cyclerunner_stop.moc"
