// A live session (NodeSession: what the GUI and `watch` run on) with debuginfod: reports are
// detected and resolved at once whatever the server does; frames whose debug file is being
// fetched say so and the report is resolved again when the fetch ends, from a real debuginfod on
// 127.0.0.1 (against the stripped fixture module, oracle addr2line) or with the silent server's
// timeout. Nothing waits in the caller's thread (the GUI's): feedLines only posts to the worker.
#include "debuginfodfixture.h"

#include "node/nodesession.h"
#include "symbols/symbolizer.h"

#include <QSignalSpy>

using namespace kms;

class TestDebuginfodSession : public QObject
{
    Q_OBJECT

    dbgtest::Fixture fx;

    // Reports resolved by an engine fed the fixture's log, with debuginfod at `url`.
    struct Run {
        std::unique_ptr<NodeSession> session;
        std::unique_ptr<QSignalSpy> resolved;
        qint64 feedMs = 0;
    };

    Run start(const QString &url, const QString &timeoutSeconds)
    {
        // Read by the worker's client when it is made, and by libdebuginfod in each fetch.
        qputenv("DEBUGINFOD_URLS", url.toUtf8());
        qputenv("DEBUGINFOD_CACHE_PATH", fx.freshCache().toUtf8());
        qputenv("DEBUGINFOD_TIMEOUT", timeoutSeconds.toUtf8());
        Run run;
        run.session = std::make_unique<NodeSession>();
        run.resolved = std::make_unique<QSignalSpy>(run.session.get(), &NodeSession::reportResolved);
        run.session->setSymbolConfig({fx.stripped}, {});
        QFile log(fx.log);
        if (!log.open(QIODevice::ReadOnly))
            return run;
        QList<LogLine> lines;
        for (const QByteArray &text : log.readAll().split('\n')) {
            if (!text.isEmpty())
                lines.append({hostTimeNowNs(), QStringLiteral("serial"), text, 0});
        }
        QElapsedTimer t;
        t.start();
        run.session->feedLines(lines);
        run.feedMs = t.elapsed();
        return run;
    }

    static QList<Frame> moduleFrames(const KernelReport &report)
    {
        QList<Frame> frames;
        for (const Frame &f : report.frames) {
            if (f.module == QLatin1String("kmsfixture"))
                frames.append(f);
        }
        return frames;
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString problem = fx.setUp();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    void cleanup()
    {
        qunsetenv("DEBUGINFOD_URLS");
        qunsetenv("DEBUGINFOD_CACHE_PATH");
        qunsetenv("DEBUGINFOD_TIMEOUT");
    }

    // A silent server: the report is resolved at once with "still fetching" frames (the worker
    // waits 300 ms), then again with the timeout on each module frame. (watch prints the
    // second; the GUI shows both.)
    void debuginfodSilentServerNeverHoldsTheReport()
    {
        dbgtest::Server slow;
        QString why;
        QVERIFY2(slow.startSilent(&why), qPrintable(why));
        QElapsedTimer t;
        t.start();
        Run run = start(slow.url, QStringLiteral("2"));
        QVERIFY2(run.feedMs < 100, qPrintable(QString::number(run.feedMs)));
        QTRY_VERIFY_WITH_TIMEOUT(run.resolved->size() >= 1, 10000);
        const qint64 firstMs = t.elapsed();
        const KernelReport first = run.resolved->at(0).at(1).value<KernelReport>();
        QVERIFY(moduleFrames(first).size() >= 20);
        for (const Frame &f : moduleFrames(first))
            QVERIFY2(f.error.startsWith(QStringLiteral("debuginfod: still fetching build id ")
                                        + QString::fromLatin1(fx.buildId)),
                     qPrintable(f.error));
        // The 2 s stall timeout, checked each second: within 3x (2 + 1) s.
        QTRY_VERIFY_WITH_TIMEOUT(run.resolved->size() >= 2, 9000);
        const KernelReport second = run.resolved->at(1).at(1).value<KernelReport>();
        for (const Frame &f : moduleFrames(second))
            QCOMPARE(f.error, QStringLiteral("debuginfod: timed out, no data for 2 s (%1)").arg(slow.url));
        qInfo("silent server: first answer after %lld ms, the timeout after %lld ms", firstMs, t.elapsed());
        // The idle flush (700 ms) plus the worker's 300 ms wait, with a 3x margin.
        QVERIFY2(firstMs < 3 * 1000, qPrintable(QString::number(firstMs)));
    }

    // The real server: every module frame ends at addr2line's line, without a .ko with DWARF.
    void debuginfodResolvesInTheWorker()
    {
        Run run = start(fx.server.url, QStringLiteral("15"));
        QTRY_VERIFY_WITH_TIMEOUT(run.resolved->size() >= 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(moduleFrames(run.resolved->last().at(1).value<KernelReport>()).first().error.isEmpty(),
                                 20000);
        const QList<Frame> frames = moduleFrames(run.resolved->last().at(1).value<KernelReport>());
        QVERIFY(frames.size() >= 20);
        for (const Frame &f : frames) {
            QVERIFY2(f.error.isEmpty(), qPrintable(f.function + QStringLiteral(": ") + f.error));
            QCOMPARE(f.file + QLatin1Char(':') + QString::number(f.line),
                     fx.oracle(f.function, f.offset.value_or(0), f.exactPc));
        }
    }
};

QTEST_GUILESS_MAIN(TestDebuginfodSession)
#include "tst_debuginfod_session.moc"
