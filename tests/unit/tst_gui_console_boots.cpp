// "All sources" across a reboot of the node, through the real window: the serial console on a
// real pty, the SSH kernel log fed as the session receives it. The captures are the virtual
// node's own (tests/data/captures/boot/x86_64-*.log: its serial console and `dmesg` of one
// boot); the early lines of every boot print the same time and text, which is what used to
// merge the new boot's serial lines into the old boot's SSH lines and show the new boot's
// first lines seconds later, after its later ones.
#include "consolemodel.h"
#include "consoleview.h"
#include "gui_test_support.h"
#include "mainwindow.h"
#include "ptypeer.h"

#include <QDockWidget>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace kms;
using namespace kms::gui;

namespace {

QByteArray capture(const char *name)
{
    QFile f(QStringLiteral(KMS_TEST_DATA_DIR "/captures/") + QLatin1String(name));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A kernel line as the kernel prints it, "[%5lu.%06lu] message" (after whatever the console
// held, such as a shell prompt): (time in µs, message), the oracle, parsed here.
std::optional<QPair<qint64, QByteArray>> kernelLine(const QByteArray &raw)
{
    static const QRegularExpression re(QStringLiteral(R"(\[\s*(\d+)\.(\d{6})\] (.*)$)"));
    const QRegularExpressionMatch m = re.match(QString::fromUtf8(raw.trimmed()));
    if (!m.hasMatch())
        return std::nullopt;
    return QPair<qint64, QByteArray>{m.captured(1).toLongLong() * 1000000 + m.captured(2).toLongLong(),
                                     m.captured(3).toUtf8()};
}

QList<QPair<qint64, QByteArray>> kernelLines(const QByteArray &text)
{
    QList<QPair<qint64, QByteArray>> lines;
    for (const QByteArray &raw : text.split('\n')) {
        if (const auto l = kernelLine(raw))
            lines.append(*l);
    }
    return lines;
}

// The capture without the kernel lines it prints more than once (a few early lines are printed
// twice with the same time): which copy pairs with which is not what is tested here.
QByteArray withoutRepeats(const QByteArray &text)
{
    QList<QPair<qint64, QByteArray>> seen;
    QByteArray out;
    for (const QByteArray &raw : text.split('\n')) {
        if (const auto l = kernelLine(raw)) {
            if (seen.contains(*l))
                continue;
            seen.append(*l);
        }
        out += raw + '\n';
    }
    return out;
}

int countSource(const ConsoleView *view, const QString &source, int fromRow = 0)
{
    int n = 0;
    for (int r = fromRow; r < view->shownRowCount(); ++r)
        n += view->listView()->model()->index(r, 0).data(ConsoleModel::SourceRole).toString() == source;
    return n;
}

} // namespace

class TestGuiConsoleBoots : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        guitest::isolate(m_dir, QStringLiteral("tst_gui_console_boots"));
    }

    void rebootKeepsEachBootsLinesInPlace()
    {
        const QByteArray serialBoot = withoutRepeats(capture("boot/x86_64-serial.log"));
        const QByteArray dmesgBoot = withoutRepeats(capture("boot/x86_64-dmesg.log"));
        const QByteArray panic = capture("x86_64-prudaq-unload_race.log");
        QVERIFY(!serialBoot.isEmpty() && !dmesgBoot.isEmpty() && !panic.isEmpty());
        const auto serialLines = kernelLines(serialBoot);
        const auto dmesgLines = kernelLines(dmesgBoot);
        // The lines only `dmesg` has (the console prints up to its log level).
        QList<QPair<qint64, QByteArray>> dmesgOnly = dmesgLines;
        for (const auto &l : serialLines)
            dmesgOnly.removeOne(l);
        QVERIFY(dmesgOnly.size() > 0 && dmesgOnly.size() < dmesgLines.size());

        PtyPeer peer(m_dir.filePath(QStringLiteral("node-tty")));
        QVERIFY(peer.create());
        StartOptions options;
        options.profile = QStringLiteral("no such profile");
        options.serial = m_dir.filePath(QStringLiteral("node-tty"));
        MainWindow w(options);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.serialStateText(), QStringLiteral("up"), 10000);
        ConsoleModel *model = w.consoleModel();
        ConsoleView *view = w.consoleView();
        const QString ssh = QStringLiteral("ssh-dmesg");
        const QString serial = QStringLiteral("serial");

        // The window opened on a node that had booted: SSH brings that boot's log.
        w.feedLines(guitest::asLines(dmesgBoot.trimmed(), ssh));
        // The module's unload panics the node (serial; SSH dies with it), which boots again.
        QVERIFY(peer.writeAll(panic + serialBoot));
        const auto serialRows = [&] {
            model->flushPending();
            int n = 0;
            for (int r = 0; r < model->rowCount(); ++r)
                n += model->index(r).data(ConsoleModel::SourceRole).toString() == serial;
            return n;
        };
        const int expectedSerial = int(panic.trimmed().split('\n').size() + serialBoot.trimmed().split('\n').size());
        QTRY_VERIFY_WITH_TIMEOUT(serialRows() >= expectedSerial - 2, 15000);
        QTest::qWait(300); // the last lines, and the publishing tick
        model->flushPending();

        // Every serial line of the new boot is a row of "All sources" (none taken for an old
        // line of SSH's), and the new boot starts where the console printed it, with a rule.
        QCOMPARE(view->shownSource(), QString());
        int bootStart = -1;
        for (int r = 0; r < view->shownRowCount(); ++r) {
            const QModelIndex i = view->listView()->model()->index(r, 0);
            if (i.data(ConsoleModel::BootStartRole).toBool()) {
                QCOMPARE(bootStart, -1); // one reboot, one rule
                bootStart = r;
            }
        }
        QVERIFY(bootStart > 0);
        const QModelIndex first = view->listView()->model()->index(bootStart, 0);
        QCOMPARE(first.data(ConsoleModel::SourceRole).toString(), serial);
        QVERIFY2(view->textAtRow(bootStart).contains(QStringLiteral("Linux version")),
                 qPrintable(view->textAtRow(bootStart)));
        QCOMPARE(first.data(ConsoleModel::BootRole).toInt(), 1);
        // Under Xvfb with KMS_SCREENSHOT_DIR set: the rule where the node booted again.
        if (const QString dir = qEnvironmentVariable("KMS_SCREENSHOT_DIR"); !dir.isEmpty()) {
            view->setShowTime(true);
            QVERIFY(view->revealLine(view->lineAtRow(bootStart)));
            view->listView()->clearSelection();
            QTest::qWait(200);
            QVERIFY(w.consoleDock()->grab().save(dir + QStringLiteral("/console-reboot.png")));
            view->setShowTime(false);
        }
        // As the console printed them, all of them (the kernel's own clock steps back early in a
        // boot, when the TSC takes over: the order is the console's, not the clock's).
        QByteArray shown;
        for (int r = bootStart; r < view->shownRowCount(); ++r) {
            QCOMPARE(view->listView()->model()->index(r, 0).data(ConsoleModel::SourceRole).toString(), serial);
            shown += view->textAtRow(r).toUtf8() + '\n';
        }
        QCOMPARE(kernelLines(shown), serialLines);
        // The old boot's SSH lines were not printed by this boot's console.
        for (int r = 0; r < bootStart; ++r)
            QVERIFY(
                view->listView()->model()->index(r, 0).data(ConsoleModel::AlsoSourcesRole).toStringList().isEmpty());

        // SSH is back and replays the new boot: what the console printed is one row already; the
        // lines only `dmesg` has come as they arrive.
        const int before = view->shownRowCount();
        w.feedLines(guitest::asLines(dmesgBoot.trimmed(), ssh));
        model->flushPending();
        QCOMPARE(countSource(view, ssh, before), dmesgOnly.size());
        QCOMPARE(view->shownRowCount() - before, dmesgOnly.size());
        int paired = 0;
        for (int r = bootStart; r < before; ++r) {
            const QModelIndex i = view->listView()->model()->index(r, 0);
            const auto line = kernelLines(view->textAtRow(r).toUtf8());
            const bool inDmesg = !line.isEmpty() && dmesgLines.contains(line.first());
            QCOMPARE(i.data(ConsoleModel::AlsoSourcesRole).toStringList(), inDmesg ? QStringList{ssh} : QStringList());
            paired += inDmesg;
        }
        QCOMPARE(paired, dmesgLines.size() - dmesgOnly.size());
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestGuiConsoleBoots)
#include "tst_gui_console_boots.moc"
