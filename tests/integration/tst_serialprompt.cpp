// The node's shell prompt on a real pty serial console, as a UART carries it: "root@node:~# "
// without newline (the console shows it while it waits), then a kernel oops whose first line the
// console driver prints right after the prompt, on the same physical line. The report is found,
// and decoded with the module that was loaded when the capture was taken; gdb is the oracle for
// the faulting line. The console model shows the prompt, and the completed line replaces it.
#include "ptypeer.h"

#include "console/consolemodel.h"
#include "node/nodesession.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace kms;

namespace {

constexpr int upTimeout = 20000;
const QString dataDir = QStringLiteral(KMS_TEST_DATA_DIR "/captures/explain");
const QByteArray prompt = "root@node:~# ";

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// gdb's line for an address inside a function of the module: "Line 75 of \"...prudaq_comm.c\"".
QPair<QString, int> gdbLine(const QString &ko, const QString &location)
{
    QProcess gdb;
    gdb.start(QStringLiteral("gdb-multiarch"),
              {QStringLiteral("-batch"), QStringLiteral("-ex"), QStringLiteral("info line *(%1)").arg(location), ko});
    if (!gdb.waitForFinished(60000))
        return {};
    const QString out = QString::fromUtf8(gdb.readAllStandardOutput());
    static const QRegularExpression re(QStringLiteral("Line (\\d+) of \"([^\"]+)\""));
    const auto m = re.match(out);
    if (!m.hasMatch())
        return {};
    return {QFileInfo(m.captured(2)).fileName(), m.captured(1).toInt()};
}

} // namespace

class TestSerialPrompt : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void oopsAfterPromptOnOneLine()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        qputenv("XDG_CACHE_HOME", dir.filePath(QStringLiteral("cache")).toUtf8());
        const QString koXz = dataDir + QStringLiteral("/ko/x86_64/prudaq.ko.xz");
        const QByteArray capture = readFile(dataDir + QStringLiteral("/x86_64-prudaq-unload_race.log"));
        QVERIFY(!capture.isEmpty());

        PtyPeer peer(dir.filePath(QStringLiteral("ttyNode")));
        QVERIFY(peer.create());
        NodeSession session;
        gui::ConsoleModel console;
        console.setPublishIntervalMs(10);
        // As the main window wires them.
        connect(&session, &NodeSession::linesReceived, &console,
                [&console](quint64, const QList<LogLine> &lines) { console.appendLines(lines); });
        connect(&session, &NodeSession::partialLineChanged, &console, &gui::ConsoleModel::setPartialLine);
        QList<KernelReport> detected;
        QList<KernelReport> resolved;
        connect(&session, &NodeSession::reportDetected, this,
                [&](int, const KernelReport &r, const QList<quint64> &) { detected.append(r); });
        connect(&session, &NodeSession::reportResolved, this, [&](int, const KernelReport &r) { resolved.append(r); });
        session.setSymbolConfig({koXz}, {});

        SerialSettings serial;
        serial.path = peer.linkPath();
        session.startSerial(serial);
        QTRY_VERIFY_WITH_TIMEOUT(session.serialState() == SerialLink::State::Open, upTimeout);

        // The module's load messages, then the shell prints its prompt and waits: the console
        // shows it.
        const qsizetype cut = capture.indexOf("] BUG: kernel NULL pointer dereference");
        QVERIFY(cut > 0);
        const qsizetype oopsStart = capture.lastIndexOf('\n', cut) + 1;
        QByteArray before = capture.left(oopsStart);
        before.replace("\n", "\r\n");
        QVERIFY(peer.writeAll(before.constData(), before.size()));
        QVERIFY(peer.writeAll(prompt.constData(), prompt.size()));
        QTRY_COMPARE_WITH_TIMEOUT(console.partialLine().text, prompt, upTimeout);
        QCOMPARE(console.partialLine().source, QStringLiteral("serial"));
        console.flushPending();
        for (int row = 0; row < console.rowCount(); ++row)
            QVERIFY(!console.rawText(row).contains(prompt)); // not a line yet

        // modprobe -r ran in the background; the hrtimer faults while the prompt waits.
        QByteArray oops = capture.mid(oopsStart);
        oops.replace("\n", "\r\n");
        QVERIFY(peer.writeAll(oops.constData(), oops.size()));

        QTRY_VERIFY_WITH_TIMEOUT(!resolved.isEmpty(), upTimeout);
        QCOMPARE(detected.size(), 1);
        const KernelReport &r = resolved.front();
        QVERIFY(r.kind == ReportKind::Oops);
        QCOMPARE(r.guiltyFunction, QStringLiteral("prudaq_comm_receive_msg"));
        QCOMPARE(r.guiltyModule, QStringLiteral("prudaq"));
        QVERIFY(r.panicked);
        QVERIFY(r.timestamp.has_value());
        // Its headline is the line behind the prompt (arch/x86/mm/fault.c page_fault_oops()).
        QCOMPARE(r.lines.front(), QStringLiteral("BUG: kernel NULL pointer dereference, address: 0000000000000174"));
        QVERIFY(r.title.endsWith(QStringLiteral(" in prudaq_comm_receive_msg")));
        QCOMPARE(r.faultAddress, std::optional<std::uint64_t>(0x174));

        // Decoded: the faulting PC's line is gdb's for prudaq_comm_receive_msg+0xd.
        const QString ko = dir.filePath(QStringLiteral("prudaq.ko"));
        QProcess xz;
        xz.setStandardOutputFile(ko);
        xz.start(QStringLiteral("xz"), {QStringLiteral("-dc"), koXz});
        QVERIFY(xz.waitForFinished(60000) && xz.exitCode() == 0);
        const auto expected = gdbLine(ko, QStringLiteral("prudaq_comm_receive_msg+0xd"));
        QVERIFY2(expected.second > 0, "gdb-multiarch gave no line");
        const Frame *pc = nullptr;
        for (const Frame &f : r.frames) {
            if (f.function == QLatin1String("prudaq_comm_receive_msg") && f.exactPc)
                pc = &f;
        }
        QVERIFY(pc);
        QVERIFY2(pc->error.isEmpty(), qPrintable(pc->error));
        QCOMPARE(QFileInfo(pc->file).fileName(), expected.first);
        QCOMPARE(pc->line, expected.second);

        // The prompt's line is complete now: withdrawn below, stored whole with the kernel line.
        QTRY_VERIFY_WITH_TIMEOUT(console.partialLine().text.isEmpty(), upTimeout);
        console.flushPending();
        int promptRow = -1;
        for (int row = 0; row < console.rowCount(); ++row) {
            if (console.rawText(row).startsWith(prompt))
                promptRow = row;
        }
        QVERIFY(promptRow >= 0);
        QCOMPARE(console.rawText(promptRow), prompt + capture.mid(oopsStart, capture.indexOf('\n', cut) - oopsStart));

        // A new prompt after the panic's last line waits again.
        QVERIFY(peer.writeAll(prompt.constData(), prompt.size()));
        QTRY_COMPARE_WITH_TIMEOUT(console.partialLine().text, prompt, upTimeout);
        session.stopSerial();
        QVERIFY(console.partialLine().text.isEmpty());
    }
};

QTEST_MAIN(TestSerialPrompt)
#include "tst_serialprompt.moc"
