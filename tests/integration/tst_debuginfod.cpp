// Debug info by build id through a real debuginfod server (elfutils' `debuginfod`, started here
// on 127.0.0.1 over a directory holding the fixture module's debug file, made with
// `objcopy --only-keep-debug`), decoding a report against the stripped copy (`strip
// --strip-debug`). Every run has its own DEBUGINFOD_CACHE_PATH, so a server that is down cannot
// pass from a cache. The oracle is binutils' addr2line on the unstripped .ko.
#include "debuginfodfixture.h"

#include "symbols/debuginfod.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>

using namespace kms;
using namespace symtest;
using dbgtest::freePort;

namespace {

const QString Cli = QStringLiteral(KMS_BINARY_DIR "/app/cli/kmodscope-cli");

struct CliRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    qint64 elapsedMs = 0;
};

} // namespace

class TestDebuginfod : public QObject
{
    Q_OBJECT

    dbgtest::Fixture fx;

    CliRun decode(const QStringList &args, const QString &urls)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("DEBUGINFOD_URLS"), urls);
        env.insert(QStringLiteral("DEBUGINFOD_CACHE_PATH"), fx.freshCache());
        env.remove(QStringLiteral("DEBUGINFOD_TIMEOUT"));
        p.setProcessEnvironment(env);
        QElapsedTimer t;
        t.start();
        p.start(Cli, QStringList{QStringLiteral("decode"), QStringLiteral("--json")} + args + QStringList{fx.log});
        CliRun r;
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
            return r;
        }
        r.elapsedMs = t.elapsed();
        r.exitCode = p.exitCode();
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }

    QString oracle(const QString &function, quint64 offset, bool exactPc)
    {
        return fx.oracle(function, offset, exactPc);
    }

    // The module frames of a decode --json output.
    static QList<QJsonObject> moduleFrames(const QByteArray &json)
    {
        QList<QJsonObject> frames;
        const QJsonArray reports = QJsonDocument::fromJson(json).object().value(QStringLiteral("reports")).toArray();
        for (const QJsonValue &r : reports) {
            for (const QJsonValue &f : r.toObject().value(QStringLiteral("frames")).toArray()) {
                if (f.toObject().value(QStringLiteral("module")).toString() == QLatin1String("kmsfixture"))
                    frames.append(f.toObject());
            }
        }
        return frames;
    }

    // The core-kernel frames (no module) of a decode --json output.
    static QList<QJsonObject> kernelFrames(const QByteArray &json)
    {
        QList<QJsonObject> frames;
        const QJsonArray reports = QJsonDocument::fromJson(json).object().value(QStringLiteral("reports")).toArray();
        for (const QJsonValue &r : reports) {
            for (const QJsonValue &f : r.toObject().value(QStringLiteral("frames")).toArray()) {
                if (f.toObject().value(QStringLiteral("module")).toString().isEmpty()
                    && !f.toObject().value(QStringLiteral("function")).toString().isEmpty())
                    frames.append(f.toObject());
            }
        }
        return frames;
    }

    // Every core-kernel frame resolved in the "vmlinux", at addr2line's file:line.
    void verifyKernelFrames(const QList<QJsonObject> &frames)
    {
        QVERIFY(frames.size() >= 4);
        for (const QJsonObject &f : frames) {
            const QString function = f.value(QStringLiteral("function")).toString();
            QVERIFY2(f.value(QStringLiteral("error")).isNull(),
                     qPrintable(function + QStringLiteral(": ") + f.value(QStringLiteral("error")).toString()));
            const QString got = f.value(QStringLiteral("file")).toString() + QLatin1Char(':')
                + QString::number(f.value(QStringLiteral("line")).toInt());
            QCOMPARE(got,
                     fx.kernelOracle(function, quint64(f.value(QStringLiteral("offset")).toInteger()),
                                     f.value(QStringLiteral("exact_pc")).toBool()));
        }
    }

    // Every module frame resolved, and at addr2line's file:line.
    void verifyAgainstOracle(const QList<QJsonObject> &frames)
    {
        QVERIFY(frames.size() >= 20);
        for (const QJsonObject &f : frames) {
            const QString function = f.value(QStringLiteral("function")).toString();
            QVERIFY2(f.value(QStringLiteral("error")).isNull(),
                     qPrintable(function + QStringLiteral(": ") + f.value(QStringLiteral("error")).toString()));
            const QString got = f.value(QStringLiteral("file")).toString() + QLatin1Char(':')
                + QString::number(f.value(QStringLiteral("line")).toInt());
            const QString want = oracle(function, quint64(f.value(QStringLiteral("offset")).toInteger()),
                                        f.value(QStringLiteral("exact_pc")).toBool());
            QCOMPARE(got, want);
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString problem = fx.setUp();
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    // The stripped copy really has no debug info: without debuginfod its frames say so.
    void debuginfodOffLeavesStrippedFrames()
    {
        const CliRun r
            = decode({QStringLiteral("--no-debuginfod"), QStringLiteral("--ko"), fx.stripped}, fx.server.url);
        QCOMPARE(r.exitCode, 0);
        const QList<QJsonObject> frames = moduleFrames(r.out);
        QVERIFY(frames.size() >= 20);
        for (const QJsonObject &f : frames)
            QCOMPARE(f.value(QStringLiteral("error")).toString(), symbolerror::Stripped);
    }

    // A module stripped on the node: its build id from its own note, the debug file from the
    // server ($DEBUGINFOD_URLS is enough to turn debuginfod on).
    void debuginfodDecodesStrippedModule()
    {
        const CliRun r = decode({QStringLiteral("--ko"), fx.stripped}, fx.server.url);
        QCOMPARE(r.exitCode, 0);
        verifyAgainstOracle(moduleFrames(r.out));
        // Core-kernel frames: no vmlinux and no kernel build id, said as before.
        QVERIFY(r.out.contains("\"error\":\"no vmlinux given\""));
    }

    // Kernel frames from a debug vmlinux given as such (what a profile's vmlinux field does).
    void debuginfodOffKernelFramesFromGivenVmlinux()
    {
        const CliRun r = decode({QStringLiteral("--no-debuginfod"), QStringLiteral("--ko"), fx.stripped,
                                 QStringLiteral("--vmlinux"), fx.vmlinux},
                                fx.server.url);
        QCOMPARE(r.exitCode, 0);
        verifyKernelFrames(kernelFrames(r.out));
    }

    // A stripped vmlinux (as a distribution installs it): the kernel's debug file by the build
    // id in its note, from the server, as for a module.
    void debuginfodKernelFramesByStrippedVmlinux()
    {
        const CliRun r = decode({QStringLiteral("--ko"), fx.stripped, QStringLiteral("--vmlinux"), fx.vmlinuxStripped},
                                fx.server.url);
        QCOMPARE(r.exitCode, 0);
        verifyKernelFrames(kernelFrames(r.out));
        verifyAgainstOracle(moduleFrames(r.out));
    }

    // No vmlinux at all: the kernel's build id as read on the node (/sys/kernel/notes).
    void debuginfodKernelFramesByBuildIdAlone()
    {
        const CliRun r = decode({QStringLiteral("--ko"), fx.stripped, QStringLiteral("--build-id"),
                                 QStringLiteral("vmlinux=") + QString::fromLatin1(fx.vmlinuxBuildId)},
                                fx.server.url);
        QCOMPARE(r.exitCode, 0);
        verifyKernelFrames(kernelFrames(r.out));
    }

    // No .ko at all: the build id read on the node (/sys/module/NAME/notes) is enough.
    void debuginfodByBuildIdAlone()
    {
        const CliRun r
            = decode({QStringLiteral("--build-id"), QStringLiteral("kmsfixture=") + QString::fromLatin1(fx.buildId)},
                     QStringLiteral("http://127.0.0.1:1 ") + fx.server.url);
        QCOMPARE(r.exitCode, 0);
        verifyAgainstOracle(moduleFrames(r.out));
    }

    // A build id the server does not have: said per frame.
    void debuginfodUnknownBuildId()
    {
        const QByteArray other = QByteArray(fx.buildId).replace(0, 4, "0000");
        const CliRun r = decode(
            {QStringLiteral("--build-id"), QStringLiteral("kmsfixture=") + QString::fromLatin1(other)}, fx.server.url);
        QCOMPARE(r.exitCode, 0);
        const QList<QJsonObject> frames = moduleFrames(r.out);
        QVERIFY(frames.size() >= 20);
        for (const QJsonObject &f : frames)
            QCOMPARE(f.value(QStringLiteral("error")).toString(),
                     QStringLiteral("debuginfod: no debug info for build id ") + QString::fromLatin1(other));
    }

    // The build id read on the node is what ran: it wins over the given stripped file's.
    void debuginfodNodeBuildIdWinsOverTheFile()
    {
        const QByteArray other = QByteArray(fx.buildId).replace(0, 4, "0000");
        const CliRun r = decode({QStringLiteral("--ko"), fx.stripped, QStringLiteral("--build-id"),
                                 QStringLiteral("kmsfixture=") + QString::fromLatin1(other)},
                                fx.server.url);
        QCOMPARE(r.exitCode, 0);
        const QList<QJsonObject> frames = moduleFrames(r.out);
        QVERIFY(frames.size() >= 20);
        for (const QJsonObject &f : frames)
            QCOMPARE(f.value(QStringLiteral("error")).toString(),
                     QStringLiteral("debuginfod: no debug info for build id ") + QString::fromLatin1(other));
    }

    // Nothing listens: every module frame says so, and the decode is not held up (a refused
    // connection costs well under a second: asserted with a 3x margin).
    void debuginfodServerDownSaysSoPerFrame()
    {
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(freePort());
        const CliRun r = decode({QStringLiteral("--ko"), fx.stripped}, url);
        QCOMPARE(r.exitCode, 0);
        const QList<QJsonObject> frames = moduleFrames(r.out);
        QVERIFY(frames.size() >= 20);
        for (const QJsonObject &f : frames)
            QCOMPARE(f.value(QStringLiteral("error")).toString(),
                     QStringLiteral("debuginfod: server unreachable (%1)").arg(url));
        qInfo("decode with the server down: %lld ms", r.elapsedMs);
        QVERIFY2(r.elapsedMs < 3 * 1000, qPrintable(QString::number(r.elapsedMs)));
    }

    // A server that accepts the connection and never answers: the fetch is given up after the
    // stall timeout (checked each second by libdebuginfod), so within 3x (timeout + 1 s).
    void debuginfodSlowServerIsBounded()
    {
        dbgtest::Server slow;
        QString why;
        QVERIFY2(slow.startSilent(&why), qPrintable(why));
        const QString url = slow.url;
        const CliRun r = decode(
            {QStringLiteral("--ko"), fx.stripped, QStringLiteral("--debuginfod-timeout"), QStringLiteral("2")}, url);
        QCOMPARE(r.exitCode, 0);
        const QList<QJsonObject> frames = moduleFrames(r.out);
        QVERIFY(frames.size() >= 20);
        for (const QJsonObject &f : frames)
            QCOMPARE(f.value(QStringLiteral("error")).toString(),
                     QStringLiteral("debuginfod: timed out, no data for 2 s (%1)").arg(url));
        qInfo("decode with a silent server, 2 s stall timeout: %lld ms", r.elapsedMs);
        // The request did reach the server (it was not refused and taken for a timeout).
        QByteArray seen = slow.process.readAll();
        while (!seen.contains("request") && slow.process.waitForReadyRead(5000))
            seen += slow.process.readAll();
        QVERIFY2(seen.contains("request /buildid/" + fx.buildId + "/debuginfo"), seen.constData());
        QVERIFY2(r.elapsedMs < 3 * 3000, qPrintable(QString::number(r.elapsedMs)));
    }

    // The GUI's way: a resolve waits only as long as asked, the frame says the fetch is running,
    // the client tells when it ended, and the next resolve has the line. One fetch per build id.
    void debuginfodAsyncInTheCore()
    {
        const QString cache = fx.freshCache();
        qputenv("DEBUGINFOD_URLS", fx.server.url.toUtf8());
        qputenv("DEBUGINFOD_CACHE_PATH", cache.toUtf8());
        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(fx.stripped, &error), qPrintable(error));
        auto client = std::make_shared<DebuginfodClient>();
        std::atomic<int> finished{0};
        client->setFinishedCallback([&finished](const QByteArray &) { ++finished; });
        Symbolizer symbolizer(catalog);
        symbolizer.setDebuginfod(client, 0);

        const QString function = QStringLiteral("kmsfix_process");
        const ElfSymbol sym = fx.functions.value(function);
        QVERIFY(sym.size > 8);
        Frame frame;
        frame.module = QStringLiteral("kmsfixture");
        frame.function = function;
        frame.offset = 4;
        frame.exactPc = true;
        QElapsedTimer t;
        t.start();
        symbolizer.resolve(frame);
        QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
        QVERIFY2(frame.error.startsWith(QStringLiteral("debuginfod: still fetching build id ")
                                        + QString::fromLatin1(fx.buildId)),
                 qPrintable(frame.error));
        QTRY_COMPARE_WITH_TIMEOUT(finished.load(), 1, 30000);
        symbolizer.resolve(frame);
        QVERIFY2(frame.error.isEmpty(), qPrintable(frame.error));
        QCOMPARE(frame.file + QLatin1Char(':') + QString::number(frame.line), oracle(function, 4, true));
        // Every further frame of that module: no second fetch.
        Frame other = frame;
        other.offset = 1;
        symbolizer.resolve(other);
        QVERIFY(other.error.isEmpty());
        QTest::qWait(100);
        QCOMPARE(finished.load(), 1);
        QVERIFY(QFileInfo::exists(cache + QLatin1Char('/') + QString::fromLatin1(fx.buildId)
                                  + QStringLiteral("/debuginfo")));
        qunsetenv("DEBUGINFOD_URLS");
        qunsetenv("DEBUGINFOD_CACHE_PATH");
    }

    void bogusBuildIdOptionIsAUsageError()
    {
        const CliRun r = decode({QStringLiteral("--build-id"), QStringLiteral("kmsfixture=xyz")}, fx.server.url);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("bad --build-id"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestDebuginfod)
#include "tst_debuginfod.moc"
