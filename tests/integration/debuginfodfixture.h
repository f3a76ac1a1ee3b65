// Shared by the debuginfod tests: the x86_64 fixture module split as a distribution does it
// (`objcopy --only-keep-debug` for the server, `strip --strip-debug` for the node), a report of
// it from make-oops.py, a real `debuginfod` on 127.0.0.1 serving the debug file, a silent HTTP
// server, fresh client caches, and the oracle (binutils' addr2line on the unstripped module).
#pragma once

#include "tst_symbols_helpers.h"

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>

namespace dbgtest {

using namespace symtest;

inline quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// A started process, killed (by its own handle) when it goes out of scope.
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
    // A server that accepts every request and never answers; it prints "request PATH" for each.
    bool startSilent(QString *why)
    {
        const quint16 port = freePort();
        url = QStringLiteral("http://127.0.0.1:%1").arg(port);
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(QStringLiteral("python3"),
                      {QStringLiteral("-c"),
                       QStringLiteral("import http.server, time\n"
                                      "class H(http.server.BaseHTTPRequestHandler):\n"
                                      "    def do_GET(self):\n"
                                      "        print('request', self.path, flush=True)\n"
                                      "        time.sleep(600)\n"
                                      "s = http.server.ThreadingHTTPServer(('127.0.0.1', %1), H)\n"
                                      "print('listening', flush=True)\n"
                                      "s.serve_forever()\n")
                           .arg(port)});
        if (!process.waitForReadyRead(10000) || !process.readLine().startsWith("listening")) {
            *why = QStringLiteral("the silent server did not start");
            return false;
        }
        return true;
    }
};

class Fixture
{
public:
    QTemporaryDir dir;
    QString ko; // unstripped: the oracle's input
    QString stripped;
    QByteArray buildId;
    QString log; // make-oops.py's x86_64 report
    QHash<QString, ElfSymbol> functions;
    Server server; // debuginfod over the debug file

    QString path(const QString &name) const { return dir.filePath(name); }

    // A fresh client cache for one run.
    QString freshCache()
    {
        const QString cache = path(QStringLiteral("cache-%1").arg(++m_caches));
        QDir().mkpath(cache);
        return cache;
    }

    // Empty on success, else why not.
    QString setUp()
    {
        ko = QStringLiteral(KMS_FIXTURE_KO_X86_64);
        if (const QString problem = fixtureProblem(ko); !problem.isEmpty())
            return QStringLiteral("fixture module missing: ") + problem;
        if (!dir.isValid())
            return QStringLiteral("no temporary directory");
        if (QStandardPaths::findExecutable(QStringLiteral("debuginfod")).isEmpty())
            return QStringLiteral("debuginfod (Debian package debuginfod) is not installed: scripts/install-deps");
        QDir().mkpath(path(QStringLiteral("served")));
        QDir().mkpath(path(QStringLiteral("node")));
        stripped = path(QStringLiteral("node/kmsfixture.ko"));
        const QList<QPair<QString, QStringList>> steps = {
            {QStringLiteral("objcopy"),
             {QStringLiteral("--only-keep-debug"), ko, path(QStringLiteral("served/kmsfixture.ko.debug"))}},
            {QStringLiteral("strip"), {QStringLiteral("--strip-debug"), QStringLiteral("-o"), stripped, ko}},
        };
        for (const auto &[program, args] : steps) {
            if (const RunResult r = run(program, args); !r.ok)
                return r.error;
        }
        const RunResult notes = run(QStringLiteral("readelf"), {QStringLiteral("-n"), stripped});
        const auto m = QRegularExpression(QStringLiteral("Build ID: ([0-9a-f]+)")).match(QString::fromUtf8(notes.out));
        if (!m.hasMatch())
            return QStringLiteral("no build id in ") + stripped;
        buildId = m.captured(1).toLatin1();

        const RunResult secs = run(QStringLiteral("readelf"), {QStringLiteral("-SW"), ko});
        const RunResult syms = run(QStringLiteral("readelf"), {QStringLiteral("-sW"), ko});
        for (const ElfSymbol &s : parseSymbols(syms.out, parseSections(secs.out))) {
            if (s.function)
                functions.insert(s.name, s);
        }
        const RunResult oops = run(QStringLiteral("python3"),
                                   {QStringLiteral(KMS_FIXTURE_SRC_DIR "/make-oops.py"), ko, QStringLiteral("x86_64")});
        if (!oops.ok)
            return oops.error;
        log = path(QStringLiteral("oops.log"));
        QFile file(log);
        if (!file.open(QIODevice::WriteOnly) || file.write(oops.out) != oops.out.size())
            return QStringLiteral("cannot write ") + log;
        file.close();

        const quint16 port = freePort();
        server.url = QStringLiteral("http://127.0.0.1:%1").arg(port);
        server.process.setProcessChannelMode(QProcess::MergedChannels);
        // -F: scan the directory for ELF/DWARF files; -t 1: rescan each second; -g 0: no grooming.
        server.process.start(QStringLiteral("debuginfod"),
                             {QStringLiteral("-p"), QString::number(port), QStringLiteral("-d"),
                              path(QStringLiteral("index.sqlite")), QStringLiteral("-F"),
                              path(QStringLiteral("served")), QStringLiteral("-t"), QStringLiteral("1"),
                              QStringLiteral("-g"), QStringLiteral("0")});
        if (!server.process.waitForStarted())
            return server.process.errorString();
        return waitServed();
    }

    // addr2line on the unstripped module at a frame's address (the call for a return address):
    // "file:line" of the innermost location.
    QString oracle(const QString &function, quint64 offset, bool exactPc) const
    {
        const ElfSymbol sym = functions.value(function);
        const quint64 address = sym.value + offset - (!exactPc && offset > 0 ? 1 : 0);
        const RunResult r = run(tool("", "addr2line"),
                                {QStringLiteral("-e"), ko, QStringLiteral("-j"), sym.section,
                                 QStringLiteral("0x") + QString::number(address, 16)});
        if (!r.ok)
            return r.error;
        const QString line = QString::fromUtf8(r.out.split('\n').first()).trimmed();
        const qsizetype colon = line.lastIndexOf(QLatin1Char(':'));
        QString lineNo = line.mid(colon + 1);
        if (const qsizetype space = lineNo.indexOf(QLatin1Char(' ')); space >= 0)
            lineNo.truncate(space); // " (discriminator N)"
        return QDir::cleanPath(line.left(colon)) + QLatin1Char(':') + lineNo;
    }

private:
    // Until the server has indexed the debug file and serves it.
    QString waitServed()
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            if (server.process.state() == QProcess::NotRunning)
                return QStringLiteral("debuginfod exited: ") + QString::fromLocal8Bit(server.process.readAll());
            const RunResult r = run(QStringLiteral("curl"),
                                    {QStringLiteral("-sf"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                                     server.url + QStringLiteral("/buildid/") + QString::fromLatin1(buildId)
                                         + QStringLiteral("/debuginfo")},
                                    10000);
            if (r.ok)
                return {};
            QThread::msleep(200);
        }
        return QStringLiteral("debuginfod did not serve the debug file within 60 s");
    }

    int m_caches = 0;
};

} // namespace dbgtest
