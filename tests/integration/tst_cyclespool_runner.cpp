// CycleRunner's spool against the fake node (real sshd, real cycle script): every finished cycle
// is a line on disk as the run goes; the streamed `--json` report is byte for byte what Qt writes
// for the report in memory, and the streamed Markdown is the same as the one from it; a spool
// directory that cannot be written refuses the run before the node is touched; a disk that stops
// taking the spool mid-run (RLIMIT_FSIZE) ends the run with a clear message, the module left
// unloaded, and no cycle missing from the report.
#include "fakenodetest.h"

#include "cycle/cyclemarkdown.h"
#include "cycle/cyclerunner.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/resource.h>

using namespace kms;

namespace {

QList<QByteArray> fileLines(const QString &path)
{
    QList<QByteArray> lines = readFile(path).split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}

QByteArray streamed(const CycleRunner &runner)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QString error;
    if (!runner.writeRunReport(&buffer, &error))
        qWarning("writeRunReport: %s", qPrintable(error));
    return buffer.data();
}

QString streamedMarkdown(const CycleRunner &runner)
{
    return runReportMarkdown(runner.runReportHead(), [&runner](const std::function<void(const QJsonObject &)> &fn) {
        return runner.forEachCycleJson(fn);
    });
}

} // namespace

class TestCycleSpoolRunner : public FakeNodeTest
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(setUpNode()); }

    void init() { QVERIFY(resetNode()); }

    void everyCycleOnDiskAndTheReportStreams()
    {
        QTemporaryDir dir;
        QString spoolPath;
        {
            CycleRunner runner(m_link.get());
            runner.setSpoolDir(dir.filePath(QStringLiteral("spool")), true);
            // Each cycle is on disk by the time the run says it finished.
            QList<int> linesAtFinish;
            connect(&runner, &CycleRunner::cycleFinished, &runner,
                    [&] { linesAtFinish.append(int(fileLines(runner.spoolPath()).size())); });
            QVERIFY(runner.start(config(3)));
            spoolPath = runner.spoolPath();
            QVERIFY2(spoolPath.startsWith(dir.filePath(QStringLiteral("spool/"))), qPrintable(spoolPath));
            QVERIFY(waitFinished(runner, 30000));
            QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Completed));
            QCOMPARE(linesAtFinish, (QList<int>{1, 2, 3}));
            const QList<QByteArray> lines = fileLines(spoolPath);
            for (int n = 1; n <= 3; ++n)
                QCOMPARE(QJsonDocument::fromJson(lines.at(n - 1)).object().value(QStringLiteral("n")).toInt(), n);

            // The streamed report is exactly Qt's rendering of the whole report in memory.
            const QJsonObject report = runner.runReport();
            QCOMPARE(report.value(QStringLiteral("cycles")).toArray().size(), 3);
            QCOMPARE(report.value(QStringLiteral("memory"))
                         .toObject()
                         .value(QStringLiteral("slab_kb_after_unload"))
                         .toArray()
                         .size(),
                     3);
            const QByteArray expected = QJsonDocument(report).toJson(QJsonDocument::Indented);
            QCOMPARE(streamed(runner), expected);
            QCOMPARE(streamedMarkdown(runner), runReportMarkdown(report));
        }
        QVERIFY2(QFileInfo::exists(spoolPath), "a spool asked to be kept is kept");

        // By default the spool goes with the runner (its report has been written by then).
        CycleRunner runner(m_link.get());
        runner.setSpoolDir(dir.filePath(QStringLiteral("spool2")));
        QVERIFY(runner.start(config(1)));
        QVERIFY(waitFinished(runner, 30000));
        const QString second = runner.spoolPath();
        QVERIFY(QFileInfo::exists(second));
        QVERIFY(runner.start(config(1))); // the next run: the last one's spool goes
        QVERIFY(!QFileInfo::exists(second));
        QVERIFY(waitFinished(runner, 30000));
    }

    void unwritableSpoolIsRefusedBeforeTheNode()
    {
        QTemporaryDir dir;
        QVERIFY(writeFile(dir.filePath(QStringLiteral("file")), "not a directory\n"));
        CycleRunner runner(m_link.get());
        runner.setSpoolDir(dir.filePath(QStringLiteral("file/spool")));
        QString error;
        QVERIFY(!runner.start(config(3), &error));
        QVERIFY2(error.contains(dir.filePath(QStringLiteral("file/spool"))), qPrintable(error));
        QCOMPARE(runner.state(), CycleRunner::State::Idle);
        QTest::qWait(200);
        QVERIFY(!readFile(root(QStringLiteral("calls"))).contains("modprobe"));
    }

    void fullDiskEndsTheRunAndLosesNothing()
    {
        QTemporaryDir dir;
        CycleRunner runner(m_link.get());
        runner.setSpoolDir(dir.path());
        // After the first cycle the spool cannot grow (as a full disk: the write fails).
        rlimit saved{};
        ::getrlimit(RLIMIT_FSIZE, &saved);
        ::signal(SIGXFSZ, SIG_IGN);
        connect(&runner, &CycleRunner::cycleFinished, &runner, [&](const CycleResult &c) {
            if (c.n != 1)
                return;
            rlimit limit = saved;
            limit.rlim_cur = rlim_t(QFileInfo(runner.spoolPath()).size() + 10);
            ::setrlimit(RLIMIT_FSIZE, &limit);
        });
        QVERIFY(runner.start(config(5)));
        const bool finished = waitFinished(runner, 30000);
        const qint64 spoolSize = QFileInfo(runner.spoolPath()).size();
        ::setrlimit(RLIMIT_FSIZE, &saved);
        ::signal(SIGXFSZ, SIG_DFL);
        QVERIFY(finished);
        QCOMPARE(toString(runner.runEnd()), toString(RunEnd::Error));
        QVERIFY2(runner.runEndMessage().contains(QLatin1String("cannot write cycle 2"))
                     && runner.runEndMessage().contains(runner.spoolPath()),
                 qPrintable(runner.runEndMessage()));
        QCOMPARE(fileLines(runner.spoolPath()).size(), 1); // no half line
        QCOMPARE(spoolSize, QFileInfo(runner.spoolPath()).size());
        QVERIFY2(!loaded(), "the module is left unloaded");
        // Cycle 2 is in the report all the same.
        QCOMPARE(runner.totals().cycles, 2);
        const QJsonObject report = runner.runReport();
        const QJsonArray cycles = report.value(QStringLiteral("cycles")).toArray();
        QCOMPARE(cycles.size(), 2);
        QCOMPARE(cycles.at(1).toObject().value(QStringLiteral("n")).toInt(), 2);
        QCOMPARE(streamed(runner), QJsonDocument(report).toJson(QJsonDocument::Indented));
    }
};

QTEST_GUILESS_MAIN(TestCycleSpoolRunner)
#include "tst_cyclespool_runner.moc"
