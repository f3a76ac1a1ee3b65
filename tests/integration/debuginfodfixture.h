// Shared by the debuginfod tests: the x86_64 fixture module split as a distribution does it
// (`objcopy --only-keep-debug` for the server, `strip --strip-debug` for the node), a report of
// it from make-oops.py, a small executable standing for the kernel (its functions are the core
// frames make-oops.py prints) split the same way, a real `debuginfod` on 127.0.0.1 serving both
// debug files, a silent HTTP server, fresh client caches, and the oracles (binutils' addr2line
// on the unstripped module and executable).
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
    QString vmlinux; // with DWARF: the kernel oracle's input
    QString vmlinuxStripped;
    QByteArray vmlinuxBuildId;
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

        if (const QString problem = makeVmlinux(); !problem.isEmpty())
            return problem;

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
        if (const QString problem = waitServed(buildId); !problem.isEmpty())
            return problem;
        return waitServed(vmlinuxBuildId);
    }

    // addr2line on the unstripped "vmlinux" at a core frame's address: "file:line".
    QString kernelOracle(const QString &function, quint64 offset, bool exactPc) const
    {
        const RunResult syms = run(QStringLiteral("readelf"), {QStringLiteral("-sW"), vmlinux});
        const RunResult secs = run(QStringLiteral("readelf"), {QStringLiteral("-SW"), vmlinux});
        ElfSymbol sym;
        for (const ElfSymbol &s : parseSymbols(syms.out, parseSections(secs.out))) {
            if (s.name == function)
                sym = s;
        }
        if (sym.name.isEmpty())
            return QStringLiteral("no symbol ") + function;
        const quint64 address = sym.value + offset - (!exactPc && offset > 0 ? 1 : 0);
        const RunResult r = run(QStringLiteral("addr2line"),
                                {QStringLiteral("-e"), vmlinux, QStringLiteral("0x") + QString::number(address, 16)});
        return r.ok ? fileLine(r.out) : r.error;
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
        return r.ok ? fileLine(r.out) : r.error;
    }

private:
    static QString fileLine(const QByteArray &addr2lineOut)
    {
        const QString line = QString::fromUtf8(addr2lineOut.split('\n').first()).trimmed();
        const qsizetype colon = line.lastIndexOf(QLatin1Char(':'));
        QString lineNo = line.mid(colon + 1);
        if (const qsizetype space = lineNo.indexOf(QLatin1Char(' ')); space >= 0)
            lineNo.truncate(space); // " (discriminator N)"
        return QDir::cleanPath(line.left(colon)) + QLatin1Char(':') + lineNo;
    }

    // The kernel's part: an executable whose functions carry the names and sizes of the core
    // frames make-oops.py prints for x86_64 (padding with nops past their offsets), with DWARF.
    QString makeVmlinux()
    {
        const QString src = path(QStringLiteral("core.c"));
        QFile file(src);
        if (!file.open(QIODevice::WriteOnly))
            return QStringLiteral("cannot write ") + src;
        static const char *const names[] = {"__do_sys_delete_module", "exit_to_user_mode_prepare", "do_syscall_64",
                                            "entry_SYSCALL_64_after_hwframe"};
        QByteArray code;
        for (const char *name : names) {
            code += QByteArray("__attribute__((noinline)) int ") + name + "(volatile int *p)\n{\n\tint v = *p;\n"
                + "\t__asm__ volatile(\".skip 0x100, 0x90\");\n\tv += *p;\n"
                + "\t__asm__ volatile(\".skip 0x200, 0x90\");\n\treturn v + 1;\n}\n";
        }
        code += "int main(void)\n{\n\tstatic volatile int x;\n\treturn __do_sys_delete_module(&x)"
                " + exit_to_user_mode_prepare(&x)\n\t\t+ do_syscall_64(&x) + entry_SYSCALL_64_after_hwframe(&x);\n}\n";
        file.write(code);
        file.close();
        vmlinux = path(QStringLiteral("vmlinux"));
        vmlinuxStripped = path(QStringLiteral("node/vmlinux"));
        const QList<QPair<QString, QStringList>> steps = {
            {QStringLiteral("cc"),
             {QStringLiteral("-g"), QStringLiteral("-O2"), QStringLiteral("-no-pie"), QStringLiteral("-fno-pie"),
              QStringLiteral("-Wl,--build-id"), QStringLiteral("-o"), vmlinux, src}},
            {QStringLiteral("objcopy"),
             {QStringLiteral("--only-keep-debug"), vmlinux, path(QStringLiteral("served/vmlinux.debug"))}},
            {QStringLiteral("strip"),
             {QStringLiteral("--strip-debug"), QStringLiteral("-o"), vmlinuxStripped, vmlinux}},
        };
        for (const auto &[program, args] : steps) {
            if (const RunResult r = run(program, args); !r.ok)
                return r.error;
        }
        const RunResult notes = run(QStringLiteral("readelf"), {QStringLiteral("-n"), vmlinux});
        const auto m = QRegularExpression(QStringLiteral("Build ID: ([0-9a-f]+)")).match(QString::fromUtf8(notes.out));
        if (!m.hasMatch())
            return QStringLiteral("no build id in ") + vmlinux;
        vmlinuxBuildId = m.captured(1).toLatin1();
        return {};
    }

    // Until the server has indexed a debug file and serves it.
    QString waitServed(const QByteArray &id)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            if (server.process.state() == QProcess::NotRunning)
                return QStringLiteral("debuginfod exited: ") + QString::fromLocal8Bit(server.process.readAll());
            const RunResult r = run(
                QStringLiteral("curl"),
                {QStringLiteral("-sf"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                 server.url + QStringLiteral("/buildid/") + QString::fromLatin1(id) + QStringLiteral("/debuginfo")},
                10000);
            if (r.ok)
                return {};
            QThread::msleep(200);
        }
        return QStringLiteral("debuginfod did not serve build id %1 within 60 s").arg(QString::fromLatin1(id));
    }

    int m_caches = 0;
};

} // namespace dbgtest
