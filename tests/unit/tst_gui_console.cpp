// The console model and view on their own: a million lines stored, published in batches,
// fetched and searched; follow-tail; report marking; the cap on stored lines (line numbers that
// outlive dropped rows); one source shown alone.
#include "consolemodel.h"
#include "consoleview.h"

#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QLocale>
#include <QMainWindow>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>

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
    void followTailThroughBurstsAndUserScroll();
    void followTailWhileHiddenThenShown();
    void capDropsOldestKeepsLineNumbers();
    void capAdjustsViewAndSearch();
    void oneSourceShownAlone();
    void oneSourceUnderTheCap();
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

// Every third line from ssh-dmesg, the others from serial; the first line is ssh-dmesg's.
static QString mixedSource(int i)
{
    return i % 3 == 0 ? QStringLiteral("ssh-dmesg") : QStringLiteral("serial");
}

static QByteArray mixedText(int i)
{
    QByteArray text = "[ " + QByteArray::number(i / 1000.0, 'f', 6) + "] " + mixedSource(i).toUtf8() + " line "
        + QByteArray::number(i);
    if (i % 50 == 7)
        text += " RIP: 0010:kmsfix_receive+0x5/0x22 [kmsfixture]";
    return text;
}

static QList<LogLine> makeMixed(int first, int count)
{
    QList<LogLine> lines;
    for (int i = first; i < first + count; ++i)
        lines.append({qint64(i), mixedSource(i), mixedText(i), 0});
    return lines;
}

// The last row of what the view shows is inside its viewport.
static bool tailVisible(ConsoleView &view)
{
    QTableView *lv = view.listView();
    const int last = lv->model()->rowCount() - 1;
    if (last < 0)
        return true;
    const QRect r = lv->visualRect(lv->model()->index(last, 0));
    return r.isValid() && r.top() >= 0 && r.bottom() < lv->viewport()->height();
}

static int topLine(ConsoleView &view)
{
    return view.lineAtRow(view.listView()->rowAt(0));
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
    QVERIFY(view.listView()->viewport()->rect().intersects(
        view.listView()->visualRect(view.listView()->model()->index(total - 1, 0))));
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

void TestGuiConsole::followTailThroughBurstsAndUserScroll()
{
    // Lines arrive in bursts from before the window is shown (as from a link that was up first), in a main window's
    // dock like the application's.
    QMainWindow w;
    auto *m = new ConsoleModel(&w);
    auto *view = new ConsoleView(m, &w);
    auto *dock = new QDockWidget(QStringLiteral("Console"), &w);
    dock->setWidget(view);
    w.addDockWidget(Qt::LeftDockWidgetArea, dock);
    w.resize(900, 600);
    int n = 0;
    QTimer burst;
    QObject::connect(&burst, &QTimer::timeout, [&] {
        m->appendLines(makeLines(n, 40));
        n += 40;
    });
    burst.start(5);
    QTest::qWait(30);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTest::qWait(200);
    const auto stopAndSettle = [&] {
        burst.stop();
        m->flushPending();
        QTest::qWait(50);
    };
    stopAndSettle();
    QVERIFY(view->listView()->verticalScrollBar()->maximum() > 0); // more than a screenful
    QVERIFY(view->followTail());
    QTRY_VERIFY(tailVisible(*view));
    QCOMPARE(view->lineAtRow(view->listView()->model()->rowCount() - 1), n - 1);

    // The user pages up with the keyboard while lines keep coming: following stops, the view stays on its lines.
    burst.start(5);
    QTest::qWait(40);
    QTest::keyClick(view->listView(), Qt::Key_PageUp);
    QTRY_VERIFY(!view->followTail());
    QTest::qWait(30);
    const int kept = topLine(*view);
    QTest::qWait(200);
    stopAndSettle();
    QCOMPARE(topLine(*view), kept);
    QVERIFY(!tailVisible(*view));

    // Back to the end with the keyboard: following again.
    QTest::keyClick(view->listView(), Qt::Key_End, Qt::ControlModifier);
    QTRY_VERIFY(view->followTail());
    burst.start(5);
    QTest::qWait(200);
    stopAndSettle();
    QTRY_VERIFY(tailVisible(*view));

    // The wheel, with a batch published and laid out before the event loop turns again.
    QScrollBar *sb = view->listView()->verticalScrollBar();
    const QPoint at = view->listView()->viewport()->rect().center();
    QWheelEvent up(at, view->listView()->viewport()->mapToGlobal(at), QPoint(), QPoint(0, 360), Qt::NoButton,
                   Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view->listView()->viewport(), &up);
    m->appendLines(makeLines(n, 200));
    n += 200;
    m->flushPending();
    view->listView()->doItemsLayout();
    QApplication::processEvents();
    QVERIFY(!view->followTail());
    QVERIFY(sb->value() < sb->maximum());
    QVERIFY(!tailVisible(*view));

    // The follow button brings the tail back.
    view->setFollowTail(true);
    QTRY_VERIFY(tailVisible(*view));
}

void TestGuiConsole::followTailWhileHiddenThenShown()
{
    // The console on a tab behind another while lines arrive, then brought to the front.
    QTabWidget tabs;
    auto *m = new ConsoleModel(&tabs);
    auto *view = new ConsoleView(m);
    tabs.addTab(view, QStringLiteral("Console"));
    tabs.addTab(new QWidget, QStringLiteral("Reports"));
    tabs.resize(900, 600);
    tabs.setCurrentIndex(1);
    tabs.show();
    QVERIFY(QTest::qWaitForWindowExposed(&tabs));
    QVERIFY(!view->isVisible());
    for (int i = 0; i < 10; ++i) {
        m->appendLines(makeLines(i * 100, 100));
        QTest::qWait(20);
    }
    tabs.setCurrentIndex(0);
    QVERIFY(view->isVisible());
    // The last batch is published by the display timer, and shown at the bottom.
    QTRY_COMPARE(view->lineAtRow(view->listView()->rowAt(view->listView()->viewport()->height() - 2)), 999);
    QVERIFY(tailVisible(*view));
}

void TestGuiConsole::capDropsOldestKeepsLineNumbers()
{
    ConsoleModel m;
    constexpr int cap = 10000;
    m.setMaxLines(cap);
    QCOMPARE(m.maxLines(), cap);
    QSignalSpy inserted(&m, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&m, &QAbstractItemModel::rowsRemoved);
    int total = 0;
    for (int i = 0; i < 25; ++i) {
        // Line numbers are handed out in order and are what markReport takes back.
        QCOMPARE(m.appendLines(makeLines(total, 1000)), total);
        total += 1000;
        if (i % 3 == 0)
            m.flushPending();
    }
    m.flushPending();
    const int rows = m.rowCount();
    const int dropped = int(m.droppedCount());
    QVERIFY2(rows <= cap, qPrintable(QString::number(rows)));
    QVERIFY(rows >= cap / 2);
    QCOMPARE(rows + dropped, total);
    QCOMPARE(m.storedCount(), rows);
    QVERIFY(!removed.isEmpty());
    int published = 0;
    for (const QList<QVariant> &args : inserted)
        published += args.at(2).toInt() - args.at(1).toInt() + 1;
    for (const QList<QVariant> &args : removed) {
        QCOMPARE(args.at(1).toInt(), 0); // always the oldest rows
        published -= args.at(2).toInt() + 1;
    }
    QCOMPARE(published, rows);
    // The rows are the newest lines, in order.
    QCOMPARE(m.text(0), QString::fromUtf8(makeLines(dropped, 1).first().text));
    QCOMPARE(m.text(rows - 1), QString::fromUtf8(makeLines(total - 1, 1).first().text));
    QCOMPARE(m.lineAt(0), dropped);
    QCOMPARE(m.index(5).data(ConsoleModel::LineRole).toInt(), dropped + 5);
    QCOMPARE(m.rowForLine(dropped - 1), -1);
    QCOMPARE(m.rowForLine(total - 1), rows - 1);
    QCOMPARE(m.rowForLine(total), -1);

    // A report on surviving lines highlights those lines.
    m.markReport({total - 10, total - 9, total - 8}, 7);
    const int row = m.rowForLine(total - 9);
    QCOMPARE(m.reportId(row), 7);
    QVERIFY(m.text(row).contains(QStringLiteral("line %1 ").arg(total - 9)));
    QCOMPARE(m.index(m.rowForLine(total - 10)).data(ConsoleModel::ReportEdgeRole).toInt(), 1);
    QCOMPARE(m.index(m.rowForLine(total - 8)).data(ConsoleModel::ReportEdgeRole).toInt(), 2);
    // One on dropped lines marks nothing; one across the edge marks what is left of it.
    m.markReport({5, 6, 7}, 8);
    m.markReport({dropped - 2, dropped - 1, dropped, dropped + 1}, 9);
    QList<int> marked9;
    for (int r = 0; r < m.rowCount(); ++r) {
        QVERIFY(m.reportId(r) != 8);
        if (m.reportId(r) == 9)
            marked9.append(r);
    }
    QCOMPARE(marked9, (QList<int>{0, 1}));
    QCOMPARE(m.index(1).data(ConsoleModel::ReportEdgeRole).toInt(), 2);

    // Memory stays bounded: another 25,000 lines take no more store.
    const qint64 bytes = m.storeBytes();
    for (int i = 0; i < 25; ++i) {
        m.appendLines(makeLines(total, 1000));
        total += 1000;
    }
    m.flushPending();
    QVERIFY(m.rowCount() <= cap);
    QVERIFY2(m.storeBytes() <= bytes * 5 / 4, qPrintable(QStringLiteral("%1 %2").arg(bytes).arg(m.storeBytes())));
    QCOMPARE(m.text(m.rowCount() - 1), QString::fromUtf8(makeLines(total - 1, 1).first().text));
    QCOMPARE(m.rowCount() + m.droppedCount(), total);

    // Lowering the cap drops at once.
    m.setMaxLines(9000);
    QVERIFY(m.rowCount() <= 9000);
    QCOMPARE(m.text(m.rowCount() - 1), QString::fromUtf8(makeLines(total - 1, 1).first().text));
}

void TestGuiConsole::capAdjustsViewAndSearch()
{
    ConsoleModel m;
    m.setMaxLines(10000);
    ConsoleView view(&m);
    view.resize(800, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    auto *droppedLabel = view.findChild<QLabel *>(QStringLiteral("droppedLabel"));
    QVERIFY(droppedLabel);
    QVERIFY(!droppedLabel->isVisible());
    m.appendLines(makeLines(0, 9000));
    m.flushPending();

    // Lines whose number ends in 7: 900 of them.
    QSignalSpy done(&view, &ConsoleView::searchFinished);
    view.startSearch(QStringLiteral(R"(line \d*7 )"), true);
    QTRY_COMPARE(done.count(), 1);
    QCOMPARE(view.matchCount(), 900);
    // Go to the match on line 8997 (the last is current after a search).
    view.findPrevious();
    QCOMPARE(view.textAtRow(view.currentMatchRow()), QString::fromUtf8(makeLines(8987, 1).first().text));
    view.findNext();
    QVERIFY(view.textAtRow(view.currentMatchRow()).contains(QStringLiteral("line 8997 ")));
    QVERIFY(!view.followTail());
    const int kept = topLine(view);

    // Past the cap: the oldest go. The matches left are those on surviving lines, the current one is still line
    // 8997, and the view still shows the lines it showed.
    m.appendLines(makeLines(9000, 6000));
    m.flushPending();
    QApplication::processEvents();
    const int dropped = int(m.droppedCount());
    QVERIFY(dropped > 0 && dropped < kept); // the lines in view are still there
    int expected = 0;
    for (int i = dropped; i < 9000; ++i)
        expected += i % 10 == 7 ? 1 : 0;
    QCOMPARE(view.matchCount(), expected);
    QVERIFY(view.textAtRow(view.currentMatchRow()).contains(QStringLiteral("line 8997 ")));
    QCOMPARE(view.listView()->currentIndex().row(), view.currentMatchRow());
    QTRY_COMPARE(topLine(view), kept);
    view.findNext(); // wraps to the first surviving match
    QCOMPARE(view.lineAtRow(view.currentMatchRow()), dropped + (17 - dropped % 10) % 10);
    QVERIFY(droppedLabel->isVisible());
    QVERIFY2(droppedLabel->text().contains(QLocale().toString(dropped)), qPrintable(droppedLabel->text()));

    // A search now finds the right rows.
    view.startSearch(QStringLiteral("line 14007 "), false);
    QTRY_COMPARE(done.count(), 2);
    QCOMPARE(view.matchCount(), 1);
    QCOMPARE(view.textAtRow(view.currentMatchRow()), QString::fromUtf8(makeLines(14007, 1).first().text));

    // Following, drops keep the view at the tail.
    view.setFollowTail(true);
    for (int i = 0; i < 10; ++i) {
        m.appendLines(makeLines(15000 + i * 1000, 1000));
        QTest::qWait(40);
    }
    m.flushPending();
    QVERIFY(m.droppedCount() > dropped);
    QVERIFY(view.followTail());
    QTRY_VERIFY(tailVisible(view));
    QCOMPARE(view.lineAtRow(view.shownRowCount() - 1), 24999);
}

void TestGuiConsole::oneSourceShownAlone()
{
    ConsoleModel m;
    ConsoleView view(&m);
    view.resize(900, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QList<int> firstLines;
    for (int i = 0; i < 6; ++i)
        firstLines.append(m.appendLines(makeMixed(i * 500, 500)));
    m.flushPending();
    auto *box = view.findChild<QComboBox *>(QStringLiteral("sourceBox"));
    QVERIFY(box);
    QCOMPARE(box->count(), 3);
    QCOMPARE(box->itemText(1), QStringLiteral("ssh-dmesg")); // in order of appearance
    QCOMPARE(box->itemText(2), QStringLiteral("serial"));
    QCOMPARE(view.shownRowCount(), 3000);

    // Marks a report on lines of both sources (a report detected across the merged stream).
    const int reportFirst = firstLines[2] + 100;
    m.markReport({reportFirst, reportFirst + 1, reportFirst + 2, reportFirst + 3}, 4);
    // And one on a serial line with a frame: 1157.
    m.markReport({1157}, 5);

    box->setCurrentIndex(2);
    QCOMPARE(view.shownSource(), QStringLiteral("serial"));
    QList<int> serial;
    for (int i = 0; i < 3000; ++i)
        if (mixedSource(i) == QLatin1String("serial"))
            serial.append(i);
    QAbstractItemModel *shown = view.listView()->model();
    QCOMPARE(shown->rowCount(), serial.size());
    for (int r = 0; r < shown->rowCount(); ++r) {
        QCOMPARE(view.lineAtRow(r), serial[r]);
        QCOMPARE(shown->index(r, 0).data().toString(), QString::fromUtf8(mixedText(serial[r])));
        QCOMPARE(shown->index(r, 0).data(ConsoleModel::SourceRole).toString(), QStringLiteral("serial"));
    }
    // Report highlighting: the serial lines of report 4, and nothing else of it.
    QList<int> marked;
    for (int r = 0; r < shown->rowCount(); ++r)
        if (shown->index(r, 0).data(ConsoleModel::ReportIdRole).toInt() == 4)
            marked.append(view.lineAtRow(r));
    QList<int> expectedMarked;
    for (int l = reportFirst; l < reportFirst + 4; ++l)
        if (mixedSource(l) == QLatin1String("serial"))
            expectedMarked.append(l);
    QCOMPARE(marked, expectedMarked);
    // A report marked while shown changes the shown rows.
    QSignalSpy changed(shown, &QAbstractItemModel::dataChanged);
    m.markReport({2001, 2002}, 6);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(shown->index(view.rowForLine(2002), 0).data(ConsoleModel::ReportIdRole).toInt(), 6);

    // Lines that arrive show up here when they are serial ones.
    view.setFollowTail(true);
    m.appendLines(makeMixed(3000, 300));
    m.flushPending();
    for (int i = 3000; i < 3300; ++i)
        if (mixedSource(i) == QLatin1String("serial"))
            serial.append(i);
    QCOMPARE(shown->rowCount(), serial.size());
    QCOMPARE(view.lineAtRow(shown->rowCount() - 1), serial.last());
    QTRY_VERIFY(tailVisible(view));

    // Search searches what is shown.
    QSignalSpy done(&view, &ConsoleView::searchFinished);
    view.startSearch(QStringLiteral("line 12"), false);
    QTRY_COMPARE(done.count(), 1);
    int expected = 0;
    for (int l : serial)
        expected += mixedText(l).contains("line 12") ? 1 : 0;
    QCOMPARE(view.matchCount(), expected);
    int lastHit = -1;
    for (int l : serial)
        lastHit = mixedText(l).contains("line 12") ? l : lastHit;
    QCOMPARE(view.lineAtRow(view.currentMatchRow()), lastHit);
    // Switching to all of them searches again, there.
    box->setCurrentIndex(0);
    QTRY_COMPARE(done.count(), 2);
    expected = 0;
    for (int l = 0; l < 3300; ++l)
        expected += mixedText(l).contains("line 12") ? 1 : 0;
    QCOMPARE(view.matchCount(), expected);
    QCOMPARE(view.shownRowCount(), 3300);
    view.showSource(QStringLiteral("serial"));
    QTRY_COMPARE(done.count(), 3);
    view.startSearch({}, false);
    shown = view.listView()->model(); // a new one

    // Copy and save: what is shown.
    view.listView()->selectionModel()->select(QItemSelection(shown->index(0, 0), shown->index(2, 0)),
                                              QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    QCOMPARE(view.selectedText(),
             QString::fromUtf8(mixedText(serial[0]) + '\n' + mixedText(serial[1]) + '\n' + mixedText(serial[2])));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("serial.log"));
    QVERIFY(view.saveTo(path));
    QFile saved(path);
    QVERIFY(saved.open(QIODevice::ReadOnly));
    const QList<QByteArray> savedLines = saved.readAll().split('\n');
    QCOMPARE(savedLines.size(), serial.size() + 1);
    for (qsizetype i = 0; i < serial.size(); ++i)
        QCOMPARE(savedLines[i], mixedText(serial[i]));

    // A frame link in a report line of the source view.
    QSignalSpy clicked(&view, &ConsoleView::frameClicked);
    view.setShowTime(true);
    QTableView *lv = view.listView();
    const QModelIndex idx = shown->index(view.rowForLine(1157), 0);
    QCOMPARE(idx.data(ConsoleModel::ReportIdRole).toInt(), 5);
    lv->scrollTo(idx, QAbstractItemView::PositionAtCenter);
    QApplication::processEvents();
    const QString text = idx.data().toString();
    const QFontMetrics fm(lv->font());
    const QRect rowRect = lv->visualRect(idx);
    const int x = rowRect.left() + view.delegate()->textLeft(fm, idx)
        + fm.horizontalAdvance(text.left(text.indexOf(QStringLiteral("kmsfix_receive+")))) + 4;
    QTest::mouseClick(lv->viewport(), Qt::LeftButton, {}, QPoint(x, rowRect.center().y()));
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.first().at(0).toInt(), 5);
    QCOMPARE(clicked.first().at(1).toString(), QStringLiteral("kmsfix_receive+0x5/0x22 [kmsfixture]"));
    QCOMPARE(clicked.first().at(2).toInt(), 1157);

    // Not following, the current line stays current and in view across switches (or the next one of the source).
    view.setFollowTail(false);
    lv->setCurrentIndex(shown->index(view.rowForLine(serial[40]), 0));
    const auto currentLine = [&view] {
        return view.lineAtRow(view.listView()->currentIndex().row());
    };
    const auto currentVisible = [lv] {
        const QRect r = lv->visualRect(lv->currentIndex());
        return r.isValid() && r.top() >= 0 && r.bottom() < lv->viewport()->height();
    };
    view.showSource({});
    QCOMPARE(currentLine(), serial[40]);
    QVERIFY(currentVisible());
    view.showSource(QStringLiteral("ssh-dmesg"));
    int nextSsh = serial[40] + 1;
    while (mixedSource(nextSsh) != QLatin1String("ssh-dmesg"))
        ++nextSsh;
    QCOMPARE(currentLine(), nextSsh);
    QVERIFY(currentVisible());
    QVERIFY(!view.followTail());

    // Back to all of them, following: the merged tail.
    view.setFollowTail(true);
    view.showSource({});
    QCOMPARE(view.shownSource(), QString());
    QCOMPARE(view.shownRowCount(), m.rowCount()); // distinct lines: none merged away
    QCOMPARE(view.shownRowCount(), 3300);
    QTRY_VERIFY(tailVisible(view));
    QCOMPARE(view.lineAtRow(view.shownRowCount() - 1), 3299);
}

void TestGuiConsole::oneSourceUnderTheCap()
{
    ConsoleModel m;
    m.setMaxLines(10000);
    ConsoleView view(&m);
    view.resize(900, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    m.appendLines(makeMixed(0, 3000));
    m.flushPending();
    view.showSource(QStringLiteral("ssh-dmesg"));
    QCOMPARE(view.shownRowCount(), 1000);
    int total = 3000;
    for (int i = 0; i < 20; ++i) {
        m.appendLines(makeMixed(total, 1000));
        total += 1000;
        if (i % 2)
            m.flushPending();
        QApplication::processEvents();
    }
    m.flushPending();
    QApplication::processEvents();
    const int dropped = int(m.droppedCount());
    QVERIFY(dropped > 0);
    QList<int> expected;
    for (int l = dropped; l < total; ++l)
        if (mixedSource(l) == QLatin1String("ssh-dmesg"))
            expected.append(l);
    QAbstractItemModel *shown = view.listView()->model();
    QCOMPARE(shown->rowCount(), expected.size());
    for (int r = 0; r < shown->rowCount(); ++r) {
        QCOMPARE(view.lineAtRow(r), expected[r]);
        QCOMPARE(shown->index(r, 0).data().toString(), QString::fromUtf8(mixedText(expected[r])));
    }
    QVERIFY(view.followTail());
    QTRY_VERIFY(tailVisible(view));
    // A report across the drop edge, seen from here.
    m.markReport({dropped - 3, dropped - 2, dropped - 1, dropped, dropped + 1, dropped + 2, dropped + 3}, 3);
    QList<int> marked;
    for (int r = 0; r < shown->rowCount(); ++r)
        if (shown->index(r, 0).data(ConsoleModel::ReportIdRole).toInt() == 3)
            marked.append(view.lineAtRow(r));
    QList<int> expectedMarked;
    for (int l = dropped; l <= dropped + 3; ++l)
        if (mixedSource(l) == QLatin1String("ssh-dmesg"))
            expectedMarked.append(l);
    QCOMPARE(marked, expectedMarked);
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
