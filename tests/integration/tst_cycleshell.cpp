// The shell a run's cycles share (CycleShell, cyclescript.sh's kms_call) against a real sshd on
// the fake node of tests/integration/fakenode: one shell for the whole run, the words of a call
// quoted on its stdin, and a shell that dies in the middle of a cycle.
#include "fakenodetest.h"

#include <QDir>

class TestCycleShell : public FakeNodeTest
{
    Q_OBJECT

private:
    // The run's directory on the node, from the kernel-log marker's run token.
    QString runDir() const
    {
        const QByteArray marker = readFile(root(QStringLiteral("dev/kmsg")));
        const QByteArray run = marker.mid(marker.indexOf("run=") + 4).trimmed().split(' ').first();
        return QStringLiteral("/tmp/kmodscope-cycle-") + QString::fromUtf8(run);
    }
    // Each kept shell makes its own request FIFO for its snapshot helper (req.PID).
    static QStringList shellFifos(const QString &dir)
    {
        return QDir(dir).entryList({QStringLiteral("req.*")}, QDir::System | QDir::Files);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(setUpNode()); }

    void init() { QVERIFY(resetNode()); }

    void cyclesShareOneShell()
    {
        CycleRunner runner(m_link.get());
        QStringList fifos;
        connect(&runner, &CycleRunner::cycleFinished, &runner, [&](const CycleResult &c) {
            if (c.n == 4)
                fifos = shellFifos(runDir());
        });
        QVERIFY(runner.start(config(4)));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(runner.totals().byVerdict.value(Verdict::Pass), 4);
        QVERIFY2(fifos.size() == 1, qPrintable(fifos.join(QLatin1Char(' '))));
        QCOMPARE(readFile(root(QStringLiteral("calls"))).count("modprobe fakemod fault=none rate=5\n"), 4);
    }

    void hostileWordsReachTheKeptShellLiterally()
    {
        // Parameters and a post command travel as quoted words on the kept shell's stdin.
        const QString marker = root(QStringLiteral("pwned"));
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(2);
        c.params = {QStringLiteral("name=it's $(touch %1)").arg(marker), QStringLiteral("x=`touch %1`;").arg(marker)};
        c.postCommand = QStringLiteral("echo \"post $((1 + 2))\"");
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 30000));
        QCOMPARE(runner.totals().byVerdict.value(Verdict::Pass), 2);
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        const QByteArray load = "modprobe fakemod " + c.params.join(QLatin1Char(' ')).toUtf8() + '\n';
        QVERIFY2(calls.count(load) == 2, calls.constData());
        QVERIFY(!QFileInfo::exists(marker));
        QCOMPARE(runner.cycles().first().stepMs.contains(QStringLiteral("post")), true);
    }

    void shellDiesMidCycle()
    {
        // The kept shell is killed while the module settles: that cycle fails (the node did not
        // reboot), the next cycles run on a new shell and unload what the dead one left loaded.
        CycleRunner runner(m_link.get());
        CycleRunConfig c = config(3);
        c.settleMs = 1500;
        QString dir;
        QByteArray killed;
        QStringList fifos;
        connect(&runner, &CycleRunner::cycleStarted, &runner, [&](int n) {
            if (n != 1)
                return;
            QTimer::singleShot(700, &runner, [&] {
                dir = runDir();
                killed = readFile(dir + QStringLiteral("/pid")).trimmed();
                QVERIFY2(!killed.isEmpty() && loaded(), "cycle 1 is not settling");
                QVERIFY(
                    SshdFixture::runTool(QStringLiteral("kill"), {QStringLiteral("-9"), QString::fromLatin1(killed)}));
            });
        });
        connect(&runner, &CycleRunner::cycleFinished, &runner, [&](const CycleResult &r) {
            if (r.n == 3)
                fifos = shellFifos(dir);
        });
        QVERIFY(runner.start(c));
        QVERIFY(waitFinished(runner, 60000));
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Completed));
        QCOMPARE(runner.cycles().size(), 3);
        const CycleResult &first = runner.cycles().first();
        QCOMPARE(toString(first.verdict), toString(Verdict::Fail));
        bool linkLost = false;
        for (const Finding &f : first.findings)
            linkLost = linkLost || f.kind == QLatin1String("link_lost");
        QVERIFY2(linkLost, qPrintable(first.findings.value(0).message));
        QCOMPARE(toString(runner.cycles().at(1).verdict), toString(Verdict::Pass));
        QCOMPARE(toString(runner.cycles().at(2).verdict), toString(Verdict::Pass));
        // Cycles 2 and 3 on a second shell (the probe after the loss cleared the run's directory).
        QVERIFY2(fifos.size() == 1 && fifos.first() != QStringLiteral("req.") + QString::fromLatin1(killed),
                 qPrintable(fifos.join(QLatin1Char(' '))));
        QVERIFY(!loaded());
        // Cycle 2 unloaded the module the dead shell left live, then loaded it again.
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        QCOMPARE(calls.count("modprobe -r fakemod\n"), 3);
        QCOMPARE(calls.count("modprobe fakemod fault=none rate=5\n"), 3);
    }
};

QTEST_GUILESS_MAIN(TestCycleShell)
#include "tst_cycleshell.moc"
