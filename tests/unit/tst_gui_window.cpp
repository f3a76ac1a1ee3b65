// The real main window, offscreen, fed through a pty "serial port": the seed ARM oops shows up
// with its guilty function; a fixture-module oops is resolved off the GUI thread, and a click
// on a frame row (or on a frame in the console) opens the source view at the line binutils'
// addr2line gives; the bug-report Markdown carries the decoded frames.
#include "consolemodel.h"
#include "consoleview.h"
#include "mainwindow.h"
#include "reportsmodel.h"
#include "reportsview.h"
#include "sourceview.h"

#include "gui_oracle.h"
#include "gui_test_support.h"
#include "log/sessionlogreader.h"
#include "ptypeer.h"
#include "tst_symbols_helpers.h"

#include <Qsci/qsciscintilla.h>

#include <QDockWidget>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace kms;
using namespace kms::gui;

class TestGuiWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void seedOopsThroughPtyProfile();
    void fixtureOopsFrameClickOpensOracleLine();
    void profilesRoundTrip();
    void missingSourceNamesThePathAndPathMapFixesIt();
    void dockLayoutIsRestored();
    void pickingAModuleResolvesAgain();
    void sameReportOnTwoSourcesIsOneEntry();

private:
    QTemporaryDir m_dir;
};

namespace {

using guitest::findReport;
using guitest::oracle;

// Opens the source of `function`'s frame as a click in the frame table would.
void onFrameOf(MainWindow &w, int reportId, const QString &function)
{
    const KernelReport &r = w.reportsModel()->entry(reportId)->report;
    for (qsizetype i = 0; i < r.frames.size(); ++i) {
        if (r.frames[i].function == function) {
            w.sourceView()->showFrame(r, int(i));
            return;
        }
    }
}

} // namespace

void TestGuiWindow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    guitest::isolate(m_dir, QStringLiteral("tst_gui_window"));
}

void TestGuiWindow::seedOopsThroughPtyProfile()
{
    PtyPeer peer(m_dir.filePath(QStringLiteral("seed-tty")));
    QVERIFY(peer.create());
    Profile p;
    p.name = QStringLiteral("Seed board");
    p.serialPort = m_dir.filePath(QStringLiteral("seed-tty"));
    ProfileStore::save(p);

    StartOptions options;
    options.profile = p.name;
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.profile().serialPort, p.serialPort);
    QTRY_COMPARE_WITH_TIMEOUT(w.serialStateText(), QStringLiteral("up"), 10000);

    QFile log(QStringLiteral(KMS_SAMPLES_DIR "/arm32-hrtimer-uaf-unload-panic.log"));
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray bytes = log.readAll();
    QVERIFY(peer.writeAll(bytes));

    QTRY_VERIFY_WITH_TIMEOUT(findReport(w.reportsModel(), QStringLiteral("pru0_comm_receive_msg")), 15000);
    const ReportsModel::Entry *e = findReport(w.reportsModel(), QStringLiteral("pru0_comm_receive_msg"));
    QVERIFY(e->report.arch == Arch::Arm);
    QVERIFY(e->report.title.contains(QStringLiteral("pru0_comm_receive_msg")));
    QVERIFY(w.reportsDock()->windowTitle().contains(QStringLiteral("new")));
    // All the lines arrived, and the report's lines are marked in the console.
    const auto nodeLines = [&w] {
        int n = 0;
        for (int r = 0; r < w.consoleModel()->rowCount(); ++r)
            n += (w.consoleModel()->index(r).data(ConsoleModel::FlagsRole).toInt() & LogLine::Event) ? 0 : 1;
        return n;
    };
    QTRY_COMPARE(nodeLines(), int(bytes.count('\n')));
    // The session log has every line too, with its source.
    QVERIFY(w.sessionLogPath().startsWith(m_dir.filePath(QStringLiteral("data"))));
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            int n = 0;
            for (const LogLine &l : SessionLogReader().readAll(w.sessionLogPath()))
                n += (l.source == QLatin1String("serial") && !(l.flags & LogLine::Event)) ? 1 : 0;
            return n == int(bytes.count('\n'));
        }(),
        5000);
    QVERIFY(!e->rows.isEmpty());
    // Report rows are console line numbers (they never shift when old lines are dropped).
    const int firstRow = w.consoleModel()->rowForLine(e->rows.first());
    QCOMPARE(w.consoleModel()->reportId(firstRow), e->id);
    QVERIFY(w.consoleModel()->text(firstRow).contains(QStringLiteral("Unable to handle kernel NULL pointer")));
    // Selecting it marks it read and shows its frames; no .ko given: the table says why.
    QTRY_VERIFY(w.reportsModel()->entry(e->id)->resolved);
    w.reportsView()->selectReport(e->id);
    QCOMPARE(w.reportsView()->currentReportId(), e->id);
    QCOMPARE(w.reportsDock()->windowTitle(), QStringLiteral("Reports"));
    // The console left the tail for the report's first line, in view.
    QVERIFY(!w.consoleView()->followTail());
    {
        QTableView *view = w.consoleView()->listView();
        const int top = view->rowAt(0);
        const int bottom = view->rowAt(view->viewport()->height() - 1);
        QVERIFY2(top <= firstRow && (bottom < 0 || firstRow <= bottom),
                 qPrintable(QStringLiteral("rows %1..%2 shown, report at %3").arg(top).arg(bottom).arg(firstRow)));
    }
    QVERIFY(w.reportsView()->frameTree()->topLevelItemCount() >= 3);
    QTreeWidgetItem *first = w.reportsView()->frameItem(0);
    QVERIFY(first->text(0).contains(QStringLiteral("pru0_comm_receive_msg")));
    QCOMPARE(first->text(3), QStringLiteral("module not given"));
    QVERIFY(!w.reportsView()->registersView()->toPlainText().isEmpty());
    // The fault explanation, in the line above the frames: the access and the kind of address
    // (no .ko: no member).
    const auto *explanation = w.reportsView()->findChild<QLabel *>(QStringLiteral("faultExplanation"));
    QVERIFY(explanation && explanation->isVisible());
    QVERIFY2(explanation->text().contains(QStringLiteral("r3 (0x0) + r6 (0x1c1) = 0x1c1")),
             qPrintable(explanation->text()));
    QVERIFY(explanation->text().contains(QStringLiteral("NULL + 0x1c1")));
    QVERIFY(explanation->mapTo(w.reportsView(), QPoint(0, explanation->height())).y()
            <= w.reportsView()->frameTree()->mapTo(w.reportsView(), QPoint(0, 0)).y());
    // A frame without source: the source view says why.
    const QRect r = w.reportsView()->frameTree()->visualItemRect(first);
    QTest::mouseClick(w.reportsView()->frameTree()->viewport(), Qt::LeftButton, {}, r.center());
    QVERIFY(w.sourceView()->showsMissing());
    QVERIFY(w.sourceView()->missingText().contains(QStringLiteral("module not given")));
}

void TestGuiWindow::fixtureOopsFrameClickOpensOracleLine()
{
    const QString ko = QStringLiteral(KMS_FIXTURE_KO_X86_64);
    SYMTEST_REQUIRE_FIXTURE(ko);
    SYMTEST_RUN(oops, QStringLiteral("python3"),
                (QStringList{QStringLiteral(KMS_SOURCE_DIR "/tests/fixtures/kmsfixture/make-oops.py"), ko,
                             QStringLiteral("x86_64"), QStringLiteral("--frames"), QStringLiteral("12")}));

    PtyPeer peer(m_dir.filePath(QStringLiteral("fixture-tty")));
    QVERIFY(peer.create());
    StartOptions options;
    options.profile = QStringLiteral("no such profile");
    options.serial = m_dir.filePath(QStringLiteral("fixture-tty"));
    options.koPaths = {ko};
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTRY_COMPARE_WITH_TIMEOUT(w.serialStateText(), QStringLiteral("up"), 10000);
    QVERIFY(peer.writeAll(QByteArray("booting...\r\n[    1.000000] kmsfixture: loaded\r\n") + oops.out));

    QTRY_VERIFY_WITH_TIMEOUT(findReport(w.reportsModel(), QStringLiteral("kmsfix_receive")), 15000);
    const int id = findReport(w.reportsModel(), QStringLiteral("kmsfix_receive"))->id;
    QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->entry(id)->resolved, 30000);
    const KernelReport report = w.reportsModel()->entry(id)->report;
    w.reportsView()->selectReport(id);
    QTreeWidget *tree = w.reportsView()->frameTree();
    QCOMPARE(tree->topLevelItemCount(), int(report.frames.size()));

    int checked = 0;
    bool exactSeen = false;
    bool returnSeen = false;
    for (qsizetype i = 0; i < report.frames.size(); ++i) {
        const Frame &f = report.frames[i];
        if (f.module != QLatin1String("kmsfixture"))
            continue;
        QVERIFY2(f.error.isEmpty(), qPrintable(f.function + QStringLiteral(": ") + f.error));
        QString file;
        int line = 0;
        QString error;
        QVERIFY2(oracle(ko, f, &file, &line, &error), qPrintable(error));
        QTreeWidgetItem *item = w.reportsView()->frameItem(int(i));
        QVERIFY(item);
        tree->scrollToItem(item);
        const QRect rect = tree->visualItemRect(item);
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, rect.center());
        QVERIFY2(!w.sourceView()->showsMissing(), qPrintable(w.sourceView()->missingText()));
        QCOMPARE(w.sourceView()->currentLine(), line);
        QCOMPARE(QDir::cleanPath(w.sourceView()->currentFile()), QDir::cleanPath(file));
        // The marked line is the one shown.
        int cursorLine = -1;
        int cursorIndex = -1;
        w.sourceView()->editor()->getCursorPosition(&cursorLine, &cursorIndex);
        QCOMPARE(cursorLine, line - 1);
        (f.exactPc ? exactSeen : returnSeen) = true;
        ++checked;
    }
    QVERIFY(exactSeen);
    QVERIFY(returnSeen);
    QVERIFY(checked >= 3);

    // A frame in the console is a link too: click kmsfix_exit's span.
    ConsoleModel *cm = w.consoleModel();
    const Frame *exitFrame = nullptr;
    for (const Frame &f : report.frames) {
        if (f.function == QLatin1String("kmsfix_exit"))
            exitFrame = &f;
    }
    QVERIFY(exitFrame);
    int row = -1;
    for (int r = 0; r < cm->rowCount(); ++r) {
        if (cm->text(r).contains(QStringLiteral("kmsfix_exit+")))
            row = r;
    }
    QVERIFY(row >= 0);
    QCOMPARE(cm->reportId(row), id);
    QTableView *lv = w.consoleView()->listView();
    lv->scrollTo(lv->model()->index(row, 0), QAbstractItemView::PositionAtCenter);
    QApplication::processEvents();
    const QString text = cm->text(row);
    const QFontMetrics fm(lv->font());
    for (bool showTime : {false, true}) {
        w.consoleView()->setShowTime(showTime);
        lv->scrollTo(lv->model()->index(row, 0), QAbstractItemView::PositionAtCenter);
        QApplication::processEvents();
        // Another frame first, so that the click below is what moves the source view.
        onFrameOf(w, id, QStringLiteral("kmsfix_receive"));
        QVERIFY(w.sourceView()->currentLine() != exitFrame->line);
        const QRect rowRect = lv->visualRect(lv->model()->index(row, 0));
        const int x = rowRect.left() + w.consoleView()->delegate()->textLeft(fm, lv->model()->index(row, 0))
            + fm.horizontalAdvance(text.left(text.indexOf(QStringLiteral("kmsfix_exit+")))) + 4;
        QTest::mouseClick(lv->viewport(), Qt::LeftButton, {}, QPoint(x, rowRect.center().y()));
        QCOMPARE(w.sourceView()->currentLine(), exitFrame->line);
    }

    // The bug report carries the decoded frames, source excerpts, registers and the release.
    const QString md = w.reportsView()->bugReport();
    QVERIFY(md.contains(QStringLiteral("kmsfix_receive+0x")));
    for (const Frame &f : report.frames) {
        if (f.module == QLatin1String("kmsfixture")) {
            QVERIFY2(md.contains(QStringLiteral("%1:%2").arg(f.file).arg(f.line)), qPrintable(md));
        }
    }
    QVERIFY(md.contains(QStringLiteral("### Source")));
    QVERIFY(md.contains(QStringLiteral("### Registers")));
    QVERIFY(md.contains(QStringLiteral("6.1.0-56-amd64")));
    QVERIFY(md.contains(QStringLiteral("=> "))); // the trapping instruction
}

void TestGuiWindow::profilesRoundTrip()
{
    Profile p;
    p.name = QStringLiteral("Virtual node");
    p.serialPort = QStringLiteral("/dev/pts/99");
    p.baud = 921600;
    p.sshHost = QStringLiteral("vnode");
    p.sshPort = 2222;
    p.sshUser = QStringLiteral("root");
    p.sshKey = QStringLiteral("/tmp/key");
    p.knownHosts = QStringLiteral("/tmp/known_hosts");
    p.modules = {QStringLiteral("prudaq")};
    p.koPaths = {QStringLiteral("/tmp/prudaq.ko")};
    p.pathMaps = {QStringLiteral("/build=/src")};
    // Every field away from its default: a field the store or the dialog forgets shows.
    p.dataBits = 7;
    p.parity = QStringLiteral("even");
    p.stopBits = QStringLiteral("2");
    p.flowControl = QStringLiteral("rts/cts");
    p.kernelLogCommand = QStringLiteral("sudo dmesg -w");
    p.fetchKo = false;
    p.sshPasswordLogin = true;
    p.telemetrySource = QStringLiteral("/sys/kernel/debug/prudaq/telemetry");
    ProfileStore::save(p);
    Profile q;
    QVERIFY(ProfileStore::load(p.name, &q));
    QCOMPARE(q, p);
    QVERIFY(ProfileStore::names().contains(p.name));
    ProfileDialog dialog(q);
    QCOMPARE(dialog.profile(), p);
    // The serial settings reach the link as QSerialPort's values.
    const SerialSettings serial = serialSettings(q);
    QCOMPARE(serial.baudRate, 921600);
    QVERIFY(serial.dataBits == QSerialPort::Data7);
    QVERIFY(serial.parity == QSerialPort::EvenParity);
    QVERIFY(serial.stopBits == QSerialPort::TwoStop);
    QVERIFY(serial.flowControl == QSerialPort::HardwareControl);
    ProfileStore::remove(p.name);
    QVERIFY(!ProfileStore::names().contains(p.name));
}

void TestGuiWindow::missingSourceNamesThePathAndPathMapFixesIt()
{
    const QString ko = QStringLiteral(KMS_FIXTURE_KO_X86_64);
    SYMTEST_REQUIRE_FIXTURE(ko);
    SYMTEST_RUN(oops, QStringLiteral("python3"),
                (QStringList{QStringLiteral(KMS_SOURCE_DIR "/tests/fixtures/kmsfixture/make-oops.py"), ko,
                             QStringLiteral("x86_64"), QStringLiteral("--frames"), QStringLiteral("8")}));
    // The DWARF path of the source is the fixture's build directory; map it somewhere empty.
    const QString buildDir = QFileInfo(ko).absolutePath();
    const QString elsewhere = m_dir.filePath(QStringLiteral("src"));
    StartOptions options;
    options.connect = false;
    options.koPaths = {ko};
    options.pathMaps = {buildDir + QLatin1Char('=') + elsewhere};
    MainWindow w(options);
    w.show();
    w.feedLines(guitest::asLines(oops.out, QStringLiteral("serial")));
    QTRY_VERIFY_WITH_TIMEOUT(findReport(w.reportsModel(), QStringLiteral("kmsfix_receive")), 15000);
    const int id = findReport(w.reportsModel(), QStringLiteral("kmsfix_receive"))->id;
    QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->entry(id)->resolved, 30000);
    w.reportsView()->selectReport(id);
    QTreeWidget *tree = w.reportsView()->frameTree();
    QTreeWidgetItem *item = w.reportsView()->frameItem(0);
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, tree->visualItemRect(item).center());
    QVERIFY(w.sourceView()->showsMissing());
    QVERIFY2(w.sourceView()->missingText().contains(elsewhere + QStringLiteral("/kmsfixture.c")),
             qPrintable(w.sourceView()->missingText()));
    // The sources appear there: the same click opens them.
    QVERIFY(QDir().mkpath(elsewhere));
    QVERIFY(QFile::copy(buildDir + QStringLiteral("/kmsfixture.c"), elsewhere + QStringLiteral("/kmsfixture.c")));
    QVERIFY(QFile::copy(buildDir + QStringLiteral("/kmsfixture.h"), elsewhere + QStringLiteral("/kmsfixture.h")));
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {},
                      tree->visualItemRect(w.reportsView()->frameItem(0)).center());
    QVERIFY2(!w.sourceView()->showsMissing(), qPrintable(w.sourceView()->missingText()));
    QCOMPARE(w.sourceView()->currentFile(), elsewhere + QStringLiteral("/kmsfixture.c"));
    QCOMPARE(w.sourceView()->currentLine(), w.reportsModel()->entry(id)->report.frames[0].line);
    // "Open in editor" runs the configured command with %f and %l.
    SourceView::setEditorCommand(QStringLiteral("myedit --line=%l %f"));
    QCOMPARE(SourceView::editorArguments(QStringLiteral("/a b/c.c"), 42),
             (QStringList{QStringLiteral("myedit"), QStringLiteral("--line=42"), QStringLiteral("/a b/c.c")}));
    SourceView::setEditorCommand({});
    // Unconfigured: $VISUAL runs as is; a terminal $EDITOR gets a terminal emulator when there is one.
    const QString term = QStringLiteral("/usr/bin/x-terminal-emulator");
    QCOMPARE(SourceView::editorArguments(QStringLiteral("/s.c"), 7, {}, QStringLiteral("gvim -f"), QStringLiteral("vi"),
                                         term),
             (QStringList{QStringLiteral("gvim"), QStringLiteral("-f"), QStringLiteral("+7"), QStringLiteral("/s.c")}));
    QCOMPARE(
        SourceView::editorArguments(QStringLiteral("/s.c"), 7, {}, {}, QStringLiteral("vi"), term),
        (QStringList{term, QStringLiteral("-e"), QStringLiteral("vi"), QStringLiteral("+7"), QStringLiteral("/s.c")}));
    QCOMPARE(SourceView::editorArguments(QStringLiteral("/s.c"), 7, {}, {}, QStringLiteral("vi"), {}),
             (QStringList{QStringLiteral("vi"), QStringLiteral("+7"), QStringLiteral("/s.c")}));
    QVERIFY(SourceView::editorArguments(QStringLiteral("/s.c"), 7, {}, {}, {}, term).isEmpty());
}

void TestGuiWindow::dockLayoutIsRestored()
{
    StartOptions options;
    options.connect = false;
    {
        MainWindow w(options);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.sourceDock()->isVisible());
        w.sourceDock()->hide();
        w.tabifyDockWidget(w.consoleDock(), w.reportsDock());
        w.close(); // saves the layout
    }
    MainWindow w2(options);
    w2.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w2));
    QVERIFY(w2.sourceDock()->isHidden());
    QVERIFY(w2.tabifiedDockWidgets(w2.consoleDock()).contains(w2.reportsDock()));
    QSettings().remove(QStringLiteral("window"));
}

void TestGuiWindow::pickingAModuleResolvesAgain()
{
    const QString ko = QStringLiteral(KMS_FIXTURE_KO_X86_64);
    SYMTEST_REQUIRE_FIXTURE(ko);
    SYMTEST_RUN(oops, QStringLiteral("python3"),
                (QStringList{QStringLiteral(KMS_SOURCE_DIR "/tests/fixtures/kmsfixture/make-oops.py"), ko,
                             QStringLiteral("x86_64"), QStringLiteral("--frames"), QStringLiteral("6")}));
    StartOptions options;
    options.connect = false;
    MainWindow w(options);
    w.show();
    w.feedLines(guitest::asLines(oops.out, QStringLiteral("serial")));
    QTRY_VERIFY_WITH_TIMEOUT(findReport(w.reportsModel(), QStringLiteral("kmsfix_receive")), 15000);
    const int id = findReport(w.reportsModel(), QStringLiteral("kmsfix_receive"))->id;
    QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->entry(id)->resolved, 30000);
    w.reportsView()->selectReport(id);
    QCOMPARE(w.reportsView()->frameItem(0)->text(3), QStringLiteral("module not given"));
    Q_EMIT w.reportsView()->moduleFilePicked(ko); // as the "Add .ko…" button does
    QTRY_VERIFY_WITH_TIMEOUT(w.reportsView()->frameItem(0)->text(3).contains(QStringLiteral("kmsfixture.c:")), 30000);
    QVERIFY(w.profile().koPaths.contains(ko));
}

void TestGuiWindow::sameReportOnTwoSourcesIsOneEntry()
{
    // A real console of the virtual node, as the UART and as `dmesg -w` deliver it.
    QFile file(QStringLiteral(KMS_TEST_DATA_DIR "/captures/x86_64-prudaq-unload_race.log"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    const auto batch = [&text](const QString &source) {
        return guitest::asLines(text, source);
    };
    StartOptions options;
    options.connect = false;
    MainWindow w(options);
    w.show();
    w.feedLines(batch(QStringLiteral("serial")));
    w.feedLines(batch(QStringLiteral("ssh-dmesg")));
    const QString guilty = QStringLiteral("prudaq_comm_receive_msg");
    QTRY_VERIFY_WITH_TIMEOUT(findReport(w.reportsModel(), guilty), 15000);
    const int id = findReport(w.reportsModel(), guilty)->id;
    QTRY_COMPARE_WITH_TIMEOUT(w.reportsModel()->entry(id)->alsoOn, QStringList{QStringLiteral("ssh-dmesg")}, 15000);
    const auto entries = [&w, &guilty] {
        return guitest::reportCount(w.reportsModel(), guilty);
    };
    QCOMPARE(entries(), 1);
    // Both copies in the console belong to it: a click on either finds this report.
    w.consoleModel()->flushPending();
    int serialMarked = 0;
    int sshMarked = 0;
    for (int r = 0; r < w.consoleModel()->rowCount(); ++r) {
        if (w.consoleModel()->reportId(r) != id)
            continue;
        const QString source = w.consoleModel()->index(r).data(ConsoleModel::SourceRole).toString();
        (source == QLatin1String("serial") ? serialMarked : sshMarked)++;
    }
    QVERIFY(serialMarked > 10);
    QCOMPARE(sshMarked, serialMarked);
    w.reportsView()->selectReport(id);
    // Its summary names both sources.
    bool named = false;
    for (const QLabel *label : w.reportsView()->findChildren<QLabel *>())
        named = named || label->text().contains(QStringLiteral("on serial, ssh-dmesg"));
    QVERIFY(named);
    // The UART prints it again (a second crash): a new entry.
    w.feedLines(batch(QStringLiteral("serial")));
    QTRY_COMPARE_WITH_TIMEOUT(entries(), 2, 15000);
}

QTEST_MAIN(TestGuiWindow)
#include "tst_gui_window.moc"
