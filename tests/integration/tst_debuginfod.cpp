// Debug info by build id through a real debuginfod server (elfutils' `debuginfod`, started here
// on 127.0.0.1 over a directory holding the fixture module's debug file, made with
// `objcopy --only-keep-debug`), decoding a report against the stripped copy (`strip
// --strip-debug`). Every run has its own DEBUGINFOD_CACHE_PATH, so a server that is down cannot
// pass from a cache. The oracle is binutils' addr2line on the unstripped .ko.
#include "../unit/tst_symbols_helpers.h"

#include "symbols/debuginfod.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>

#include <atomic>

using namespace kms;
using namespace symtest;

namespace {

const QString Cli = QStringLiteral(KMS_BINARY_DIR "/app/cli/kmodscope-cli");

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// A started process, killed (by its own handle) when the test ends.
struct Server {
    QProcess process;
    QString url;
    ~Server()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished(5000);
        }
    }
};

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

    QTemporaryDir m_dir;
    QString m_ko; // unstripped: the oracle's input
    QString m_stripped;
    QByteArray m_buildId;
    QString m_log;
    QHash<QString, ElfSymbol> m_symbols;
    Server m_server;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    // A fresh client cache for one run.
    QString freshCache()
    {
        static int n = 0;
        const QString dir = path(QStringLiteral("cache-%1").arg(++n));
        QDir().mkpath(dir);
        return dir;
    }

    CliRun decode(const QStringList &args, const QString &urls)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("DEBUGINFOD_URLS"), urls);
        env.insert(QStringLiteral("DEBUGINFOD_CACHE_PATH"), freshCache());
        env.remove(QStringLiteral("DEBUGINFOD_TIMEOUT"));
        p.setProcessEnvironment(env);
        QElapsedTimer t;
        t.start();
        p.start(Cli, QStringList{QStringLiteral("decode"), QStringLiteral("--json")} + args + QStringList{m_log});
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

    // addr2line on the unstripped module at the frame's address (the call for a return address).
    QString oracle(const QString &function, quint64 offset, bool exactPc)
    {
        const ElfSymbol sym = m_symbols.value(function);
        const quint64 address = sym.value + offset - (!exactPc && offset > 0 ? 1 : 0);
        const RunResult r = run(tool("", "addr2line"),
                                {QStringLiteral("-e"), m_ko, QStringLiteral("-j"), sym.section,
                                 QStringLiteral("0x") + QString::number(address, 16)});
        if (!r.ok)
            return r.error;
        const QString line = QString::fromUtf8(r.out.split('\n').first()).trimmed();
        const qsizetype colon = line.lastIndexOf(QLatin1Char(':'));
        QString lineNo = line.mid(colon + 1);
        lineNo = lineNo.left(lineNo.indexOf(QLatin1Char(' ')) < 0 ? lineNo.size() : lineNo.indexOf(QLatin1Char(' ')));
        return QDir::cleanPath(line.left(colon)) + QLatin1Char(':') + lineNo;
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

    // Waits until the server has indexed the debug file and serves it.
    bool waitServed(const QString &url, QString *why)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            if (m_server.process.state() == QProcess::NotRunning) {
                *why = QStringLiteral("debuginfod exited: ") + QString::fromLocal8Bit(m_server.process.readAll());
                return false;
            }
            const RunResult r = run(
                QStringLiteral("curl"),
                {QStringLiteral("-sf"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                 url + QStringLiteral("/buildid/") + QString::fromLatin1(m_buildId) + QStringLiteral("/debuginfo")},
                10000);
            if (r.ok)
                return true;
            QThread::msleep(200);
        }
        *why = QStringLiteral("debuginfod did not serve the debug file within 60 s");
        return false;
    }

private Q_SLOTS:
    void initTestCase()
    {
        SYMTEST_REQUIRE_FIXTURE(QStringLiteral(KMS_FIXTURE_KO_X86_64));
        QVERIFY(m_dir.isValid());
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("debuginfod")).isEmpty(),
                 "debuginfod (Debian package debuginfod) is not installed: scripts/install-deps");
        m_ko = QStringLiteral(KMS_FIXTURE_KO_X86_64);
        QDir().mkpath(path(QStringLiteral("served")));
        QDir().mkpath(path(QStringLiteral("node")));
        m_stripped = path(QStringLiteral("node/kmsfixture.ko"));
        SYMTEST_RUN(keep, QStringLiteral("objcopy"),
                    QStringList({QStringLiteral("--only-keep-debug"), m_ko,
                                 path(QStringLiteral("served/kmsfixture.ko.debug"))}));
        SYMTEST_RUN(strip, QStringLiteral("strip"),
                    QStringList({QStringLiteral("--strip-debug"), QStringLiteral("-o"), m_stripped, m_ko}));
        SYMTEST_RUN(notes, QStringLiteral("readelf"), QStringList({QStringLiteral("-n"), m_stripped}));
        const auto m = QRegularExpression(QStringLiteral("Build ID: ([0-9a-f]+)")).match(QString::fromUtf8(notes.out));
        QVERIFY2(m.hasMatch(), notes.out.constData());
        m_buildId = m.captured(1).toLatin1();

        SYMTEST_RUN(secs, QStringLiteral("readelf"), QStringList({QStringLiteral("-SW"), m_ko}));
        SYMTEST_RUN(syms, QStringLiteral("readelf"), QStringList({QStringLiteral("-sW"), m_ko}));
        for (const ElfSymbol &s : parseSymbols(syms.out, parseSections(secs.out))) {
            if (s.function)
                m_symbols.insert(s.name, s);
        }

        SYMTEST_RUN(oops, QStringLiteral("python3"),
                    QStringList({QStringLiteral(KMS_FIXTURE_SRC_DIR "/make-oops.py"), m_ko, QStringLiteral("x86_64")}));
        m_log = path(QStringLiteral("oops.log"));
        QFile log(m_log);
        QVERIFY(log.open(QIODevice::WriteOnly));
        log.write(oops.out);
        log.close();

        const quint16 port = freePort();
        m_server.url = QStringLiteral("http://127.0.0.1:%1").arg(port);
        m_server.process.setProcessChannelMode(QProcess::MergedChannels);
        // -F: scan the directory for ELF/DWARF files; -t 1: rescan each second; -g 0: no grooming.
        m_server.process.start(QStringLiteral("debuginfod"),
                               {QStringLiteral("-p"), QString::number(port), QStringLiteral("-d"),
                                path(QStringLiteral("index.sqlite")), QStringLiteral("-F"),
                                path(QStringLiteral("served")), QStringLiteral("-t"), QStringLiteral("1"),
                                QStringLiteral("-g"), QStringLiteral("0")});
        QVERIFY2(m_server.process.waitForStarted(), qPrintable(m_server.process.errorString()));
        QString why;
        QVERIFY2(waitServed(m_server.url, &why), qPrintable(why));
    }

    // The stripped copy really has no debug info: without debuginfod its frames say so.
    void debuginfodOffLeavesStrippedFrames()
    {
        const CliRun r = decode({QStringLiteral("--no-debuginfod"), QStringLiteral("--ko"), m_stripped}, m_server.url);
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
        const CliRun r = decode({QStringLiteral("--ko"), m_stripped}, m_server.url);
        QCOMPARE(r.exitCode, 0);
        verifyAgainstOracle(moduleFrames(r.out));
        // Core-kernel frames: no vmlinux and no kernel build id, said as before.
        QVERIFY(r.out.contains("\"error\":\"no vmlinux given\""));
    }

    // No .ko at all: the build id read on the node (/sys/module/NAME/notes) is enough.
    void debuginfodByBuildIdAlone()
    {
        const CliRun r
            = decode({QStringLiteral("--build-id"), QStringLiteral("kmsfixture=") + QString::fromLatin1(m_buildId)},
                     QStringLiteral("http://127.0.0.1:1 ") + m_server.url);
        QCOMPARE(r.exitCode, 0);
        verifyAgainstOracle(moduleFrames(r.out));
    }

    // A build id the server does not have: said per frame.
    void debuginfodUnknownBuildId()
    {
        const QByteArray other = QByteArray(m_buildId).replace(0, 4, "0000");
        const CliRun r = decode(
            {QStringLiteral("--build-id"), QStringLiteral("kmsfixture=") + QString::fromLatin1(other)}, m_server.url);
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
        const CliRun r = decode({QStringLiteral("--ko"), m_stripped}, url);
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
        const quint16 port = freePort();
        Server slow;
        slow.process.setProcessChannelMode(QProcess::MergedChannels);
        slow.process.start(QStringLiteral("python3"),
                           {QStringLiteral("-c"),
                            QStringLiteral("import http.server, sys, time\n"
                                           "class H(http.server.BaseHTTPRequestHandler):\n"
                                           "    def do_GET(self):\n"
                                           "        print('request', self.path, flush=True)\n"
                                           "        time.sleep(600)\n"
                                           "s = http.server.ThreadingHTTPServer(('127.0.0.1', %1), H)\n"
                                           "print('listening', flush=True)\n"
                                           "s.serve_forever()\n")
                                .arg(port)});
        QVERIFY(slow.process.waitForReadyRead(10000));
        QVERIFY(slow.process.readLine().startsWith("listening"));
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(port);
        const CliRun r = decode(
            {QStringLiteral("--ko"), m_stripped, QStringLiteral("--debuginfod-timeout"), QStringLiteral("2")}, url);
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
        QVERIFY2(seen.contains("request /buildid/" + m_buildId + "/debuginfo"), seen.constData());
        QVERIFY2(r.elapsedMs < 3 * 3000, qPrintable(QString::number(r.elapsedMs)));
    }

    // The GUI's way: a resolve waits only as long as asked, the frame says the fetch is running,
    // the client tells when it ended, and the next resolve has the line. One fetch per build id.
    void debuginfodAsyncInTheCore()
    {
        const QString cache = freshCache();
        qputenv("DEBUGINFOD_URLS", m_server.url.toUtf8());
        qputenv("DEBUGINFOD_CACHE_PATH", cache.toUtf8());
        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(m_stripped, &error), qPrintable(error));
        auto client = std::make_shared<DebuginfodClient>();
        std::atomic<int> finished{0};
        client->setFinishedCallback([&finished](const QByteArray &) { ++finished; });
        Symbolizer symbolizer(catalog);
        symbolizer.setDebuginfod(client, 0);

        const QString function = QStringLiteral("kmsfix_process");
        const ElfSymbol sym = m_symbols.value(function);
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
                                        + QString::fromLatin1(m_buildId)),
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
        QVERIFY(QFileInfo::exists(cache + QLatin1Char('/') + QString::fromLatin1(m_buildId)
                                  + QStringLiteral("/debuginfo")));
        qunsetenv("DEBUGINFOD_URLS");
        qunsetenv("DEBUGINFOD_CACHE_PATH");
    }

    void bogusBuildIdOptionIsAUsageError()
    {
        const CliRun r = decode({QStringLiteral("--build-id"), QStringLiteral("kmsfixture=xyz")}, m_server.url);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("bad --build-id"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestDebuginfod)
#include "tst_debuginfod.moc"
