// The way to the answer, driven on the real main window offscreen: a new report opens its guilty
// frame's source by itself at the line binutils' addr2line gives (unless the user is reading
// another report, or always with "Follow newest report"); a console capture, a journal export and
// a session log opened from a file list and decode their reports; a line that arrives on serial
// and again over SSH is one row of "All sources"; every dock can be hidden, shown and put back.
#include "bugreport.h"
#include "consolemodel.h"
#include "consoleview.h"
#include "logfilereader.h"
#include "logopener.h"
#include "mainwindow.h"
#include "reportfollower.h"
#include "reportsmodel.h"
#include "reportsview.h"
#include "sourceview.h"
#include "viewmenu.h"

#include "gui_fixture.h"
#include "gui_oracle.h"
#include "gui_test_support.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QSet>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeWidget>

using namespace kms;
using namespace kms::gui;
using guitest::findReport;

class TestGuiFollow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void newReportOpensGuiltySourceAtOracleLine();
    void userReadingAnotherReportIsNotMoved();
    void openedConsoleCaptureListsAndDecodesItsReports();
    void journalExportAndSessionLogOpen();
    void viewMenuHidesShowsAndResetsEveryDock();
    void lineOnSerialAndSshIsOneRow();
    void typedTextIsNotEchoedTwice();
    void unreliableFrameHasNoExcerptInBugReport();

private:
    // Waits for the n-th report of `guilty` (oldest first) and its resolution; its id.
    int resolvedReport(MainWindow &w, const QString &guilty, int n = 1);
    void checkGuiltySourceShown(MainWindow &w, int id);

    QTemporaryDir m_dir;
    QString m_ko;
};

void TestGuiFollow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    guitest::isolate(m_dir, QStringLiteral("tst_gui_follow"));
    m_ko = QStringLiteral(KMS_FIXTURE_KO_X86_64);
}

int TestGuiFollow::resolvedReport(MainWindow &w, const QString &guilty, int n)
{
    int id = -1;
    const auto nth = [&] {
        int seen = 0;
        const ReportsModel *m = w.reportsModel();
        for (int row = m->rowCount() - 1; row >= 0; --row) {
            if (m->entryAt(row)->report.guiltyFunction == guilty && ++seen == n) {
                id = m->entryAt(row)->id;
                return m->entryAt(row)->resolved;
            }
        }
        return false;
    };
    [&] {
        QTRY_VERIFY_WITH_TIMEOUT(nth(), 30000);
    }();
    return id;
}

void TestGuiFollow::checkGuiltySourceShown(MainWindow &w, int id)
{
    const KernelReport report = w.reportsModel()->entry(id)->report;
    QCOMPARE(w.reportsView()->currentReportId(), id);
    // The frame shown is the guilty function's, in the module.
    QTreeWidgetItem *current = w.reportsView()->frameTree()->currentItem();
    QVERIFY(current);
    const int frame = w.reportsView()->frameTree()->indexOfTopLevelItem(current);
    QVERIFY(frame >= 0);
    const Frame &f = report.frames[frame];
    QCOMPARE(f.function, report.guiltyFunction);
    QCOMPARE(f.module, QStringLiteral("kmsfixture"));
    QCOMPARE(ReportFollower::guiltyFrame(report), frame);
    QString file;
    int line = 0;
    QString error;
    QVERIFY2(guitest::oracle(m_ko, f, &file, &line, &error), qPrintable(error));
    QVERIFY2(!w.sourceView()->showsMissing(), qPrintable(w.sourceView()->missingText()));
    QCOMPARE(w.sourceView()->currentLine(), line);
    QCOMPARE(QDir::cleanPath(w.sourceView()->currentFile()), QDir::cleanPath(file));
    QVERIFY(w.sourceDock()->isVisible());
}

void TestGuiFollow::newReportOpensGuiltySourceAtOracleLine()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.feedLines(guitest::asLines("[    1.000000] kmsfixture: loaded\n" + guitest::fixtureOops(m_ko, 8),
                                 QStringLiteral("serial")));
    const int id = resolvedReport(w, QStringLiteral("kmsfix_receive"));
    QVERIFY(id >= 0);
    // No click: the report is selected and its source open.
    QTRY_VERIFY_WITH_TIMEOUT(w.sourceView()->currentLine() > 0, 10000);
    checkGuiltySourceShown(w, id);
}

void TestGuiFollow::userReadingAnotherReportIsNotMoved()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const QByteArray text = guitest::fixtureOops(m_ko, 6);
    const QString guilty = QStringLiteral("kmsfix_receive");
    w.feedLines(guitest::asLines(text, QStringLiteral("serial")));
    const int first = resolvedReport(w, guilty, 1);
    QTRY_COMPARE_WITH_TIMEOUT(w.reportsView()->currentReportId(), first, 10000);

    // The user clicks the report's row (reading it): the next report does not take the view.
    QTableView *list = w.reportsView()->reportList();
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                      list->visualRect(w.reportsModel()->index(w.reportsModel()->rowOf(first), 2)).center());
    w.sourceView()->openFile(QStringLiteral(KMS_FIXTURE_SRC_DIR "/kmsfixture.h"), 1);
    w.feedLines(guitest::asLines(text, QStringLiteral("serial")));
    const int second = resolvedReport(w, guilty, 2);
    QVERIFY(second != first);
    QTest::qWait(200);
    QCOMPARE(w.reportsView()->currentReportId(), first);
    QCOMPARE(w.sourceView()->currentLine(), 1);

    // "Follow newest report" follows even a busy user.
    w.viewMenu()->followAction()->setChecked(true);
    w.feedLines(guitest::asLines(text, QStringLiteral("serial")));
    const int third = resolvedReport(w, guilty, 3);
    QTRY_COMPARE_WITH_TIMEOUT(w.reportsView()->currentReportId(), third, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(w.sourceView()->currentLine() != 1, 10000);
    checkGuiltySourceShown(w, third);
    w.viewMenu()->followAction()->setChecked(false);
}

void TestGuiFollow::openedConsoleCaptureListsAndDecodesItsReports()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.show();
    // A colleague's UART capture: CR LF line ends, boot noise around the oops.
    QByteArray capture = "U-Boot 2022.04\r\nStarting kernel ...\r\n[    0.000000] Linux version 6.1.0\r\n";
    QByteArray body = guitest::fixtureOops(m_ko, 8);
    body.replace("\n", "\r\n");
    capture += body + "login: ";
    const QString path = m_dir.filePath(QStringLiteral("uart-capture.log"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(capture);
    }
    QSignalSpy finished(w.logOpener(), &LogOpener::finished);
    QVERIFY(w.logOpener()->open(path));
    QVERIFY(!w.logOpener()->open(m_dir.filePath(QStringLiteral("no-such.log"))));
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
    QCOMPARE(finished.first().at(2).toString(), QString());
    const qint64 lines = finished.first().at(1).toLongLong();
    QCOMPARE(lines, capture.count('\n') + 1);

    const int id = resolvedReport(w, QStringLiteral("kmsfix_receive"));
    QCOMPARE(w.reportsModel()->entry(id)->report.source, QStringLiteral("uart-capture.log"));
    QTRY_VERIFY_WITH_TIMEOUT(w.sourceView()->currentLine() > 0, 10000);
    checkGuiltySourceShown(w, id);

    // Its lines are a source of the console, searchable, without the CRs.
    w.consoleModel()->flushPending();
    w.consoleView()->showSource(QStringLiteral("uart-capture.log"));
    QCOMPARE(w.consoleView()->shownRowCount(), int(lines));
    QCOMPARE(w.consoleView()->textAtRow(1), QStringLiteral("Starting kernel ..."));
    w.consoleView()->startSearch(QStringLiteral("kmsfix_receive+0x"), false);
    QTRY_VERIFY_WITH_TIMEOUT(!w.consoleView()->searching(), 10000);
    QVERIFY(w.consoleView()->matchCount() >= 1);
}

void TestGuiFollow::journalExportAndSessionLogOpen()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    const QByteArray text = guitest::fixtureOops(m_ko, 6);
    // journalctl -o export: kernel entries (one MESSAGE in the binary form), and a program's own
    // "WARNING:" that is not the kernel's.
    QByteArray journal;
    static const QRegularExpression stamp(QStringLiteral("^\\[\\s*(\\d+)\\.(\\d{6})\\] ?(.*)$"));
    qint64 realtime = 1733500000000000;
    int kernelEntries = 0;
    for (const QByteArray &l : text.split('\n')) {
        const auto m = stamp.match(QString::fromUtf8(l));
        if (!m.hasMatch())
            continue;
        const QByteArray message = m.captured(3).toUtf8();
        journal += "__CURSOR=s=1;i=" + QByteArray::number(kernelEntries) + "\n__REALTIME_TIMESTAMP="
            + QByteArray::number(realtime++) + "\n_TRANSPORT=kernel\n_SOURCE_MONOTONIC_TIMESTAMP="
            + QByteArray::number(m.captured(1).toLongLong() * 1000000 + m.captured(2).toLongLong()) + "\n";
        if (kernelEntries == 3) {
            journal += "MESSAGE\n";
            const quint64 n = quint64(message.size());
            for (int i = 0; i < 8; ++i)
                journal += char((n >> (8 * i)) & 0xff);
            journal += message + "\n\n";
        } else {
            journal += "MESSAGE=" + message + "\n\n";
        }
        ++kernelEntries;
        if (kernelEntries == 2) {
            journal += "__REALTIME_TIMESTAMP=" + QByteArray::number(realtime++)
                + "\n_TRANSPORT=stdout\nSYSLOG_IDENTIFIER=fsck\n_PID=77\nMESSAGE=WARNING: at boot, a "
                  "program's warning\n\n";
        }
    }
    QVERIFY(kernelEntries > 10);
    QCOMPARE(LogFileReader::sniff(journal), LogFileReader::Format::JournalExport);
    const QString journalPath = m_dir.filePath(QStringLiteral("node.export"));
    QByteArray session = "# kmodscope session log 1\n";
    for (const QByteArray &l : text.split('\n'))
        session += "1733500000.000000000\tserial\t-\t" + l + "\n";
    QCOMPARE(LogFileReader::sniff(session), LogFileReader::Format::SessionLog);
    const QString sessionPath = m_dir.filePath(QStringLiteral("old-session.log"));
    for (const auto &[p, data] : {std::pair{journalPath, journal}, std::pair{sessionPath, session}}) {
        QFile f(p);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(data);
    }

    // Each in a window of its own: opened together they print the same report twice, which the
    // session rightly pairs as one report seen on two sources.
    for (const auto &[path, source] : {std::pair{journalPath, QStringLiteral("node.export")},
                                       std::pair{sessionPath, QStringLiteral("old-session.log/serial")}}) {
        StartOptions options = guitest::offlineOptions(m_ko);
        options.logs = {path}; // as `kmodscope FILE` passes it
        MainWindow w(options);
        w.show();
        QTRY_COMPARE_WITH_TIMEOUT(w.logOpener()->reading(), 0, 15000);
        const int id = resolvedReport(w, QStringLiteral("kmsfix_receive"));
        QVERIFY(id >= 0);
        // The program's warning is not a report.
        QCOMPARE(w.reportsModel()->rowCount(), 1);
        const KernelReport &r = w.reportsModel()->entry(id)->report;
        QCOMPARE(r.source, source);
        const int frame = ReportFollower::guiltyFrame(r);
        QVERIFY(frame >= 0);
        QString file;
        int line = 0;
        QString error;
        QVERIFY2(guitest::oracle(m_ko, r.frames[frame], &file, &line, &error), qPrintable(error));
        QCOMPARE(r.frames[frame].line, line);
        QTRY_COMPARE_WITH_TIMEOUT(w.sourceView()->currentLine(), line, 10000);
    }
}

void TestGuiFollow::viewMenuHidesShowsAndResetsEveryDock()
{
    StartOptions options = guitest::offlineOptions();
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const QList<QDockWidget *> docks{w.consoleDock(), w.reportsDock(), w.sourceDock()};
    for (QDockWidget *dock : docks) {
        QAction *toggle = dock->toggleViewAction();
        QVERIFY2(toggle->isEnabled(), qPrintable(dock->objectName()));
        QVERIFY(dock->isVisible());
        toggle->trigger();
        QVERIFY(!dock->isVisible());
        toggle->trigger();
        QVERIFY(dock->isVisible());
    }
    // All gone, one floating: Reset layout brings them back, docked.
    w.sourceDock()->setFloating(true);
    for (QDockWidget *dock : docks)
        dock->toggleViewAction()->trigger();
    for (QDockWidget *dock : docks)
        QVERIFY(!dock->isVisible());
    w.viewMenu()->resetLayoutAction()->trigger();
    for (QDockWidget *dock : docks) {
        QVERIFY(dock->isVisible());
        QVERIFY(!dock->isFloating());
    }
    QTRY_VERIFY(w.consoleDock()->geometry().right() < w.reportsDock()->geometry().left());
    // Sized for the window it is in now: the console about half of it, not squeezed.
    QTRY_VERIFY(w.consoleDock()->width() > w.width() * 4 / 10);
}

void TestGuiFollow::lineOnSerialAndSshIsOneRow()
{
    // A real console of the virtual node, as the UART and as `dmesg -w` deliver it; the UART
    // also had the boot loader and a shell prompt, SSH came up late and missed the first lines.
    QFile file(QStringLiteral(KMS_TEST_DATA_DIR "/captures/x86_64-prudaq-unload_race.log"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QList<QByteArray> stamped;
    for (const QByteArray &l : text.split('\n')) {
        if (l.startsWith('['))
            stamped.append(l);
    }
    QVERIFY(stamped.size() > 50);
    const QByteArray serialText = "SeaBIOS (version 1.16.2)\n" + text + "\nroot@node:~# ";
    QByteArray sshText;
    for (qsizetype i = 5; i < stamped.size(); ++i)
        sshText += stamped[i] + '\n';
    sshText.chop(1);
    StartOptions options = guitest::offlineOptions();
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const QList<LogLine> serial = guitest::asLines(serialText, QStringLiteral("serial"));
    const QList<LogLine> ssh = guitest::asLines(sshText, QStringLiteral("ssh-dmesg"));
    w.feedLines(serial);
    w.feedLines(ssh);
    w.consoleModel()->flushPending();
    ConsoleView *view = w.consoleView();
    QCOMPARE(view->shownSource(), QString());
    // Every serial line once; SSH's are all twins of serial lines.
    QCOMPARE(view->shownRowCount(), int(serial.size()));
    QSet<QString> seen;
    int both = 0;
    for (int row = 0; row < view->shownRowCount(); ++row) {
        const QModelIndex idx = view->listView()->model()->index(row, 0);
        const QString t = idx.data().toString();
        QCOMPARE(idx.data(ConsoleModel::SourceRole).toString(), QStringLiteral("serial"));
        const QStringList also = idx.data(ConsoleModel::AlsoSourcesRole).toStringList();
        const qsizetype at = stamped.indexOf(t.toUtf8());
        if (at >= 5) {
            QCOMPARE(also, QStringList{QStringLiteral("ssh-dmesg")});
            QCOMPARE(ConsoleDelegate::sourceMark(idx), QStringLiteral("serial+ssh-dmesg"));
            ++both;
        } else {
            QVERIFY2(also.isEmpty(), qPrintable(t)); // only serial had it: its own mark alone
        }
        if (t.startsWith(QLatin1Char('['))) {
            QVERIFY2(!seen.contains(t), qPrintable(t));
            seen.insert(t);
        }
    }
    QCOMPARE(both, int(stamped.size()) - 5);
    // One source at a time still shows all that source saw.
    view->showSource(QStringLiteral("ssh-dmesg"));
    QCOMPARE(view->shownRowCount(), int(ssh.size()));
    view->showSource(QStringLiteral("serial"));
    QCOMPARE(view->shownRowCount(), int(serial.size()));

    // Switching the filter keeps the line that was at the top.
    view->setFollowTail(false);
    view->showSource({});
    w.consoleDock()->resize(w.consoleDock()->width(), 300); // fewer rows than lines
    QApplication::processEvents();
    const int target = view->rowForLine(w.consoleModel()->lineAt(40));
    QVERIFY(target >= 0);
    QTRY_VERIFY_WITH_TIMEOUT(
        (view->listView()->scrollTo(view->listView()->model()->index(target, 0), QAbstractItemView::PositionAtTop),
         view->listView()->rowAt(0) == target),
        5000);
    const QString top = view->textAtRow(view->listView()->rowAt(0));
    view->showSource(QStringLiteral("ssh-dmesg"));
    QApplication::processEvents();
    QCOMPARE(view->textAtRow(view->listView()->rowAt(0)), top);
    view->showSource({});
    QApplication::processEvents();
    QCOMPARE(view->textAtRow(view->listView()->rowAt(0)), top);
}

void TestGuiFollow::typedTextIsNotEchoedTwice()
{
    // The serial link puts what we send into the stream (Sent), and the node's tty echoes it.
    ConsoleModel m;
    ConsoleView view(&m);
    QVERIFY(!m.localEcho()); // off by default, as tio and picocom
    const auto typed = [&m](const QByteArray &cmd) {
        m.appendLines({{hostTimeNowNs(), QStringLiteral("serial"), cmd, LogLine::Sent},
                       {hostTimeNowNs(), QStringLiteral("serial"), "root@node:~# " + cmd, 0},
                       {hostTimeNowNs(), QStringLiteral("serial"), "output of " + cmd, 0}});
        m.flushPending();
    };
    typed("uname -r");
    QCOMPARE(view.shownRowCount(), 2);
    QCOMPARE(view.textAtRow(0), QStringLiteral("root@node:~# uname -r"));
    view.showSource(QStringLiteral("serial"));
    QCOMPARE(view.shownRowCount(), 2);
    // With local echo on (a node that does not echo), what is typed from now on is a line too.
    auto *echo = view.findChild<QToolButton *>(QStringLiteral("localEcho"));
    QVERIFY(echo);
    echo->click();
    QVERIFY(m.localEcho());
    typed("ls");
    QCOMPARE(view.shownRowCount(), 5);
    QCOMPARE(view.textAtRow(2), QStringLiteral("ls"));
    echo->click();
}

void TestGuiFollow::unreliableFrameHasNoExcerptInBugReport()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.feedLines(guitest::asLines(guitest::fixtureOops(m_ko, 8), QStringLiteral("serial")));
    const int id = resolvedReport(w, QStringLiteral("kmsfix_receive"));
    KernelReport r = w.reportsModel()->entry(id)->report;
    // kmsfix_exit's frame, as the unwinder would print a stale one: "? kmsfix_exit+0x61/0x71".
    qsizetype exit = -1;
    for (qsizetype i = 0; i < r.frames.size(); ++i) {
        if (r.frames[i].function == QLatin1String("kmsfix_exit"))
            exit = i;
    }
    QVERIFY(exit >= 0);
    const QString key = QStringLiteral("%1:%2").arg(r.frames[exit].file).arg(r.frames[exit].line);
    QVERIFY(bugReportMarkdown(r, 3).contains(key + QStringLiteral(":\n\n```c")));
    r.frames[exit].reliable = false;
    const QString md = bugReportMarkdown(r, 3);
    QVERIFY(md.contains(QStringLiteral("? kmsfix_exit+0x61/0x71")));
    QVERIFY2(!md.contains(key + QStringLiteral(":\n\n```c")), qPrintable(md));
    QVERIFY(md.contains(QStringLiteral("### Source"))); // the reliable frames keep theirs
}

QTEST_MAIN(TestGuiFollow)
#include "tst_gui_follow.moc"
