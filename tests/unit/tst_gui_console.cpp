// The console model and view on their own: a million lines stored, published in batches,
// fetched and searched; follow-tail; report marking.
#include "consolemodel.h"
#include "consoleview.h"

#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace kms;
using namespace kms::gui;

class TestGuiConsole : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void levelsAndTimestamps();
    void batchesArePublishedTogether();
    void holdsOneMillionLines();
    void searchTextAndRegex();
    void followTailStopsWhenScrolledUp();
    void frameSpans_data();
    void frameSpans();
};

static QList<LogLine> makeLines(int first, int count)
{
    QList<LogLine> lines;
    lines.reserve(count);
    for (int i = first; i < first + count; ++i)
        lines.append({qint64(i), QStringLiteral("serial"),
                      QByteArray("[ ") + QByteArray::number(i / 1000.0, 'f', 6) + "] line " + QByteArray::number(i)
                          + " of the console, some text to make it realistic",
                      0});
    return lines;
}

void TestGuiConsole::levelsAndTimestamps()
{
    ConsoleModel m;
    m.appendLines({{1, QStringLiteral("ssh-dmesg"), "<3>[   12.500000] prudaq: bad thing", 0},
                   {2, QStringLiteral("serial"), "plain", LogLine::Sent}});
    m.flushPending();
    QCOMPARE(m.rowCount(), 2);
    QCOMPARE(m.index(0).data(ConsoleModel::LevelRole).toInt(), 3);
    QCOMPARE(m.index(0).data(ConsoleModel::KernelTimeRole).toDouble(), 12.5);
    QCOMPARE(m.index(0).data(ConsoleModel::SourceRole).toString(), QStringLiteral("ssh-dmesg"));
    QCOMPARE(m.index(1).data(ConsoleModel::LevelRole).toInt(), -1);
    QVERIFY(!m.index(1).data(ConsoleModel::KernelTimeRole).isValid());
    QCOMPARE(m.index(1).data(ConsoleModel::FlagsRole).toInt(), int(LogLine::Sent));
    QCOMPARE(m.text(1), QStringLiteral("plain"));
}

void TestGuiConsole::batchesArePublishedTogether()
{
    ConsoleModel m;
    QSignalSpy inserted(&m, &QAbstractItemModel::rowsInserted);
    for (int i = 0; i < 50; ++i)
        QCOMPARE(m.appendLines(makeLines(i * 10, 10)), i * 10);
    QCOMPARE(m.rowCount(), 0); // not yet published
    QCOMPARE(m.pendingCount(), 500);
    QTRY_COMPARE(m.rowCount(), 500); // the display timer publishes them
    QCOMPARE(inserted.count(), 1);
    m.markReport({10, 11, 12}, 7);
    QCOMPARE(m.reportId(11), 7);
    QCOMPARE(m.index(10).data(ConsoleModel::ReportEdgeRole).toInt(), 1);
    QCOMPARE(m.index(12).data(ConsoleModel::ReportEdgeRole).toInt(), 2);
    QCOMPARE(m.reportId(13), -1);
}

void TestGuiConsole::holdsOneMillionLines()
{
    ConsoleModel m;
    ConsoleView view(&m);
    view.resize(800, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    constexpr int total = 1000000;
    for (int i = 0; i < total; i += 10000)
        m.appendLines(makeLines(i, 10000));
    m.flushPending();
    QCOMPARE(m.rowCount(), total);
    QCOMPARE(m.text(total - 1), QString::fromUtf8(makeLines(total - 1, 1).first().text));
    QCOMPARE(m.index(total - 1).data().toString(), m.text(total - 1));
    QCOMPARE(m.text(0), QString::fromUtf8(makeLines(0, 1).first().text));
    QCOMPARE(m.text(4096), QString::fromUtf8(makeLines(4096, 1).first().text)); // chunk boundary
    QVERIFY2(m.storeBytes() < 200LL * 1024 * 1024, qPrintable(QString::number(m.storeBytes())));
    // Follow-tail keeps the last line in view.
    QScrollBar *sb = view.listView()->verticalScrollBar();
    QTRY_VERIFY(sb->maximum() > total - 100);
    QTRY_COMPARE(sb->value(), sb->maximum());
    QVERIFY(view.listView()->viewport()->rect().intersects(view.listView()->visualRect(m.index(total - 1))));
    // Search all of it, sliced.
    QSignalSpy done(&view, &ConsoleView::searchFinished);
    view.startSearch(QStringLiteral("line 99999"), false); // 99999, 999990..999999
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
    QCOMPARE(view.matchCount(), 11);
}

void TestGuiConsole::searchTextAndRegex()
{
    ConsoleModel m;
    ConsoleView view(&m);
    m.appendLines(makeLines(0, 1000));
    QSignalSpy done(&view, &ConsoleView::searchFinished);
    view.startSearch(QStringLiteral("LINE 5"), false); // case-insensitive: 5, 50..59, 500..599
    QTRY_COMPARE(done.count(), 1);
    QCOMPARE(view.matchCount(), 111);
    view.startSearch(QStringLiteral(R"(line 12\d )"), true);
    QTRY_COMPARE(done.count(), 2);
    QCOMPARE(view.matchCount(), 10);
    const int last = view.currentMatchRow();
    QCOMPARE(last, 129);
    view.findNext(); // wraps
    QCOMPARE(view.currentMatchRow(), 120);
    view.findPrevious();
    QCOMPARE(view.currentMatchRow(), 129);
    view.findPrevious();
    QCOMPARE(view.currentMatchRow(), 128);
    QVERIFY(!view.followTail()); // jumping to a match stops following
    view.startSearch(QStringLiteral("("), true);
    QTRY_COMPARE(done.count(), 3);
    QCOMPARE(view.matchCount(), 0);
}

void TestGuiConsole::followTailStopsWhenScrolledUp()
{
    ConsoleModel m;
    ConsoleView view(&m);
    view.resize(600, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    m.appendLines(makeLines(0, 2000));
    m.flushPending();
    QScrollBar *sb = view.listView()->verticalScrollBar();
    QTRY_VERIFY(sb->maximum() > 0);
    QTRY_COMPARE(sb->value(), sb->maximum());
    sb->triggerAction(QAbstractSlider::SliderPageStepSub);
    QTRY_VERIFY(!view.followTail());
    const int where = sb->value();
    m.appendLines(makeLines(2000, 500));
    m.flushPending();
    QApplication::processEvents();
    QCOMPARE(sb->value(), where);
    sb->triggerAction(QAbstractSlider::SliderToMaximum);
    QTRY_VERIFY(view.followTail());
    m.appendLines(makeLines(2500, 500));
    m.flushPending();
    QTRY_COMPARE(sb->value(), sb->maximum());
}

void TestGuiConsole::frameSpans_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<QStringList>("spans");
    QTest::newRow("x86") << QStringLiteral("[ 1.0]  kmsfix_walk+0x14/0x1e [kmsfixture]")
                         << QStringList{QStringLiteral("kmsfix_walk+0x14/0x1e [kmsfixture]")};
    QTest::newRow("arm") << QStringLiteral(
        "[<bf0a1234>] (pru0_comm_receive_msg [shepherd]) from [<c01>] (handler+0x1c/0x70 [shepherd])")
                         << QStringList{QStringLiteral("handler+0x1c/0x70 [shepherd]")};
    QTest::newRow("core") << QStringLiteral(" do_syscall_64+0x5b/0xc0")
                          << QStringList{QStringLiteral("do_syscall_64+0x5b/0xc0")};
    QTest::newRow("none") << QStringLiteral("Modules linked in: a b") << QStringList{};
}

void TestGuiConsole::frameSpans()
{
    QFETCH(QString, line);
    QFETCH(QStringList, spans);
    QStringList got;
    for (const auto &[start, length] : kms::gui::frameSpans(line))
        got.append(line.mid(start, length));
    QCOMPARE(got, spans);
}

QTEST_MAIN(TestGuiConsole)
#include "tst_gui_console.moc"
