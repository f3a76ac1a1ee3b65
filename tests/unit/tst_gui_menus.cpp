// Menus, shortcuts and drops on the real main window offscreen: the right-click menus of report
// rows, frame rows and console lines do what they say (file:line against addr2line, the export
// read back as JSON, the editor command run for real); the menu entries carry their shortcuts and
// the keys work; selecting frames leaves the docks' sizes alone, long names elided in the middle
// with the whole text in the tooltip; a log file dropped anywhere on the window opens.
#include "consoleactions.h"
#include "consolemodel.h"
#include "consoleview.h"
#include "elidedlabel.h"
#include "logopener.h"
#include "mainwindow.h"
#include "reportactions.h"
#include "reportfollower.h"
#include "reportsmodel.h"
#include "reportsview.h"
#include "sourceview.h"

#include "gui_fixture.h"
#include "gui_oracle.h"
#include "gui_test_support.h"

#include <Qsci/qsciscintilla.h>

#include <QClipboard>
#include <QDockWidget>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace kms;
using namespace kms::gui;

class TestGuiMenus : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void reportAndFrameMenus();
    void consoleMenu();
    void shortcutsOnMenuEntries();
    void selectingFramesKeepsDockSizes();
    void droppedLogOpensWhereverItLands();

private:
    // A window fed the fixture oops, its report resolved and followed; its id.
    int openReport(MainWindow &w);
    QStringList menuEntries(const QMenu *menu);

    QTemporaryDir m_dir;
    QString m_ko;
};

void TestGuiMenus::initTestCase()
{
    QVERIFY(m_dir.isValid());
    guitest::isolate(m_dir, QStringLiteral("tst_gui_menus"));
    m_ko = QStringLiteral(KMS_FIXTURE_KO_X86_64);
}

int TestGuiMenus::openReport(MainWindow &w)
{
    w.feedLines(guitest::asLines("[    1.000000] kmsfixture: loaded\n" + guitest::fixtureOops(m_ko, 8),
                                 QStringLiteral("serial")));
    const int id = guitest::firstResolvedReport(w);
    [&] {
        QTRY_VERIFY_WITH_TIMEOUT(w.sourceView()->currentLine() > 0, 10000);
    }();
    w.consoleModel()->flushPending();
    return id;
}

QStringList TestGuiMenus::menuEntries(const QMenu *menu)
{
    QStringList names;
    for (const QAction *a : menu->actions()) {
        if (!a->isSeparator())
            names.append(a->text().remove(QLatin1Char('&')));
    }
    return names;
}

void TestGuiMenus::reportAndFrameMenus()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const int id = openReport(w);
    QVERIFY(id >= 0);
    const KernelReport report = w.reportsModel()->entry(id)->report;
    ReportActions *actions = w.reportsView()->actions();

    // Right-click on the report's row.
    QTableView *list = w.reportsView()->reportList();
    const QRect row = list->visualRect(w.reportsModel()->index(w.reportsModel()->rowOf(id), ReportsModel::TitleColumn));
    Q_EMIT list->customContextMenuRequested(row.center());
    QTRY_VERIFY(actions->reportMenu()->isVisible());
    QCOMPARE(menuEntries(actions->reportMenu()),
             (QStringList{QStringLiteral("Copy title"), QStringLiteral("Copy as bug report"),
                          QStringLiteral("Export report…"), QStringLiteral("Decode again")}));
    actions->reportMenu()->close();
    actions->copyTitle()->trigger();
    QCOMPARE(QApplication::clipboard()->text(), report.title);
    actions->copyBugReport()->trigger();
    QCOMPARE(QApplication::clipboard()->text(), w.reportsView()->bugReport());
    QString error;
    const QString json = m_dir.filePath(QStringLiteral("report.json"));
    QVERIFY2(actions->exportTo(json, &error), qPrintable(error));
    QFile jf(json);
    QVERIFY(jf.open(QIODevice::ReadOnly));
    const QJsonObject o = QJsonDocument::fromJson(jf.readAll()).object();
    QCOMPARE(o.value(QStringLiteral("title")).toString(), report.title);
    const QString md = m_dir.filePath(QStringLiteral("report.md"));
    QVERIFY2(actions->exportTo(md, &error), qPrintable(error));
    QFile mf(md);
    QVERIFY(mf.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(mf.readAll()), w.reportsView()->bugReport());
    QSignalSpy resolved(w.session(), &NodeSession::reportResolved);
    actions->decodeAgain()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(resolved.size(), 1, 30000);
    QCOMPARE(resolved.first().at(0).toInt(), id);

    // Right-click on the guilty frame's row: file:line as addr2line has it.
    QTreeWidget *tree = w.reportsView()->frameTree();
    const int guilty = ReportFollower::guiltyFrame(report);
    QTreeWidgetItem *item = w.reportsView()->frameItem(guilty);
    tree->setCurrentItem(w.reportsView()->frameItem(0) == item ? w.reportsView()->frameItem(1)
                                                               : w.reportsView()->frameItem(0));
    Q_EMIT tree->customContextMenuRequested(tree->visualItemRect(item).center());
    QTRY_VERIFY(actions->frameMenu()->isVisible());
    QCOMPARE(tree->currentItem(), item); // the menu is about the row clicked
    QCOMPARE(menuEntries(actions->frameMenu()),
             (QStringList{QStringLiteral("Open in editor"), QStringLiteral("Copy file:line"),
                          QStringLiteral("Copy the frame")}));
    actions->frameMenu()->close();
    QString file;
    int line = 0;
    QVERIFY2(guitest::oracle(m_ko, report.frames[guilty], &file, &line, &error), qPrintable(error));
    actions->copyLocation()->trigger();
    const QString copied = QApplication::clipboard()->text();
    QCOMPARE(QDir::cleanPath(copied.section(QLatin1Char(':'), 0, -2)), QDir::cleanPath(file));
    QCOMPARE(copied.section(QLatin1Char(':'), -1).toInt(), line);
    actions->copyFrame()->trigger();
    QVERIFY(QApplication::clipboard()->text().startsWith(report.frames[guilty].function + QLatin1Char('+')));
    QVERIFY(QApplication::clipboard()->text().contains(QStringLiteral(":%1").arg(line)));
    // Open in editor runs the configured command with the frame's file and line.
    const QString out = m_dir.filePath(QStringLiteral("editor.out"));
    SourceView::setEditorCommand(QStringLiteral("sh -c \"echo $0:$1 > %1\" %f %l").arg(out));
    actions->openInEditor()->trigger();
    QFile ef(out);
    QTRY_VERIFY_WITH_TIMEOUT(ef.exists() && ef.size() > 0, 10000);
    QVERIFY(ef.open(QIODevice::ReadOnly));
    const QString ran = QString::fromUtf8(ef.readAll()).trimmed();
    QCOMPARE(QDir::cleanPath(ran.section(QLatin1Char(':'), 0, -2)), QDir::cleanPath(file));
    QCOMPARE(ran.section(QLatin1Char(':'), -1).toInt(), line);
    SourceView::setEditorCommand({});
}

void TestGuiMenus::consoleMenu()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const int id = openReport(w);
    QVERIFY(id >= 0);
    ConsoleView *view = w.consoleView();
    ConsoleActions *actions = w.consoleActions();
    int ripRow = -1;
    for (int row = 0; row < view->shownRowCount(); ++row) {
        if (view->textAtRow(row).contains(QLatin1String("RIP: 0010:")))
            ripRow = row;
    }
    QVERIFY(ripRow >= 0);
    QTableView *list = view->listView();
    list->scrollTo(list->model()->index(ripRow, 0));
    Q_EMIT list->customContextMenuRequested(list->visualRect(list->model()->index(ripRow, 0)).center());
    QTRY_VERIFY(actions->menu()->isVisible());
    QStringList entries = menuEntries(actions->menu());
    QCOMPARE(entries.size(), 4);
    QCOMPARE(entries[0], QStringLiteral("Copy"));
    QVERIFY(entries[1].startsWith(QLatin1String("Search for \"RIP: 0010:kmsfix_receive")));
    QCOMPARE(entries[2], QStringLiteral("Decode selection"));
    actions->menu()->close();
    // The right-clicked row became the selection: Copy copies it.
    actions->copy()->trigger();
    QCOMPARE(QApplication::clipboard()->text(), view->textAtRow(ripRow));
    // Search for this: the message without its timestamp, found at least where it was.
    actions->searchForThis()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!view->searching(), 10000);
    QCOMPARE(view->findChild<QLineEdit *>()->text().left(10), QStringLiteral("RIP: 0010:"));
    QCOMPARE(view->matchCount(), 1);
    QCOMPARE(view->currentMatchRow(), ripRow);

    // Decode selection: the report's own lines lead to that report; lines without one say so.
    list->clearSelection();
    list->selectionModel()->select(list->model()->index(0, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    actions->decodeSelection()->trigger();
    QVERIFY(w.statusBar()->currentMessage().startsWith(QLatin1String("No kernel report")));
    w.reportsView()->reportList()->clearSelection();
    const ReportsModel::Entry *e = w.reportsModel()->entry(id);
    list->clearSelection();
    for (int row = 1; row < view->shownRowCount(); ++row) {
        if (view->lineAtRow(row) >= e->rows.first() && view->lineAtRow(row) <= e->rows.last())
            list->selectionModel()->select(list->model()->index(row, 0),
                                           QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
    QVERIFY(view->selectedText().contains(QLatin1String("Call Trace:")));
    const int before = w.reportsModel()->rowCount();
    actions->decodeSelection()->trigger();
    QCOMPARE(w.reportsView()->currentReportId(), id);
    QCOMPARE(w.reportsModel()->rowCount(), before); // the same report, not a second one
}

void TestGuiMenus::shortcutsOnMenuEntries()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QHash<QString, QKeySequence> keys;
    for (QAction *top : w.menuBar()->actions()) {
        for (QAction *a : top->menu()->actions())
            keys.insert(a->text().remove(QLatin1Char('&')), a->shortcut());
    }
    QCOMPARE(keys.value(QStringLiteral("Find in console…")), QKeySequence(QKeySequence::Find));
    QCOMPARE(keys.value(QStringLiteral("Find next")), QKeySequence(QKeySequence::FindNext));
    QCOMPARE(keys.value(QStringLiteral("Copy")), QKeySequence(QKeySequence::Copy));
    QCOMPARE(keys.value(QStringLiteral("Copy as bug report")), QKeySequence(QStringLiteral("Ctrl+Shift+C")));
    QCOMPARE(keys.value(QStringLiteral("Next report")), QKeySequence(Qt::Key_F8));
    QCOMPARE(keys.value(QStringLiteral("Previous report")), QKeySequence(QStringLiteral("Shift+F8")));
    QCOMPARE(keys.value(QStringLiteral("Follow newest report")), QKeySequence(QStringLiteral("Ctrl+Shift+F")));
    QCOMPARE(keys.value(QStringLiteral("Open log…")), QKeySequence(QKeySequence::Open));

    // Two reports; the keys move between them, Ctrl+F goes to the search box, Ctrl+C copies.
    const int first = openReport(w);
    w.feedLines(guitest::asLines(guitest::fixtureOops(m_ko, 6), QStringLiteral("serial")));
    QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->rowCount() == 2 && w.reportsModel()->entryAt(0)->resolved, 30000);
    const int second = w.reportsModel()->entryAt(0)->id;
    QTRY_COMPARE_WITH_TIMEOUT(w.reportsView()->currentReportId(), second, 10000);
    w.activateWindow();
    w.reportsView()->reportList()->setFocus();
    QTest::keyClick(&w, Qt::Key_F8);
    QCOMPARE(w.reportsView()->currentReportId(), first);
    QTest::keyClick(&w, Qt::Key_F8, Qt::ShiftModifier);
    QCOMPARE(w.reportsView()->currentReportId(), second);
    QTest::keyClick(w.reportsView()->reportList(), Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QApplication::clipboard()->text(), w.reportsModel()->entry(second)->report.title);
    QTest::keyClick(w.reportsView()->reportList(), Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(QApplication::clipboard()->text(), w.reportsView()->bugReport());
    QTest::keyClick(&w, Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(w.consoleView()->findChild<QLineEdit *>()->hasFocus());
    QTableView *console = w.consoleView()->listView();
    console->setFocus();
    console->selectionModel()->select(console->model()->index(1, 0),
                                      QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    QTest::keyClick(console, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QApplication::clipboard()->text(), w.consoleView()->textAtRow(1));
}

void TestGuiMenus::selectingFramesKeepsDockSizes()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.resize(1000, 700); // the source dock narrower than a full path
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const int id = openReport(w);
    QVERIFY(id >= 0);
    QApplication::processEvents();
    const QList<QDockWidget *> docks{w.consoleDock(), w.reportsDock(), w.sourceDock()};
    QList<QRect> sizes;
    for (QDockWidget *d : docks)
        sizes.append(d->geometry());
    QTreeWidget *tree = w.reportsView()->frameTree();
    auto *header = w.sourceView()->findChild<ElidedLabel *>(QStringLiteral("sourceHeader"));
    QVERIFY(header);
    bool elided = false;
    for (int i = 0; i < tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem *item = tree->topLevelItem(i);
        tree->scrollToItem(item);
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, tree->visualItemRect(item).center());
        QApplication::processEvents();
        for (int d = 0; d < docks.size(); ++d)
            QCOMPARE(docks[d]->geometry(), sizes[d]);
        // The header is the whole text or elided in the middle (its start and end kept), never cut.
        QCOMPARE(header->toolTip(), header->text());
        const QString shown = header->shownText();
        if (header->isElided()) {
            elided = true;
            const QStringList parts = shown.split(QStringLiteral("…"));
            QCOMPARE(parts.size(), 2);
            QVERIFY(header->text().startsWith(parts[0]) && header->text().endsWith(parts[1]));
        }
        // Frame names: elided in the middle too, the whole name in the tooltip.
        QCOMPARE(tree->textElideMode(), Qt::ElideMiddle);
        QVERIFY(item->toolTip(0).startsWith(item->text(0)));
    }
    QVERIFY(elided); // the test did see a path longer than the dock
    QCOMPARE(w.reportsView()->reportList()->textElideMode(), Qt::ElideMiddle);
    const QModelIndex title = w.reportsModel()->index(0, ReportsModel::TitleColumn);
    QCOMPARE(title.data(Qt::ToolTipRole).toString(), w.reportsModel()->entry(id)->report.title);
}

void TestGuiMenus::droppedLogOpensWhereverItLands()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const QString path = m_dir.filePath(QStringLiteral("dropped.log"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(guitest::fixtureOops(m_ko, 6));
    }
    QSignalSpy opened(w.logOpener(), &LogOpener::opened);
    QSignalSpy finished(w.logOpener(), &LogOpener::finished);
    // Where a user lets go of a file: the console, the frames, the source editor, the Code tab.
    const QList<QWidget *> targets{w.consoleView()->listView()->viewport(), w.reportsView()->frameTree()->viewport(),
                                   w.sourceView()->editor()->viewport(), w.reportsView()->reportList()->viewport()};
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    int n = 0;
    for (QWidget *target : targets) {
        // Through the window as the platform delivers a drag: at a position, to the widget there.
        QVERIFY(target->isVisible());
        const QPoint at = target->mapTo(&w, target->rect().center());
        QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(w.windowHandle(), &enter);
        QVERIFY2(enter.isAccepted(), qPrintable(target->parentWidget()->metaObject()->className()));
        QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(w.windowHandle(), &drop);
        QCOMPARE(opened.size(), ++n);
        QCOMPARE(opened.last().at(0).toString(), path);
    }
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), n, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->rowCount() > 0 && w.reportsModel()->entryAt(0)->resolved, 30000);
    QCOMPARE(w.reportsModel()->entryAt(0)->report.source.left(11), QStringLiteral("dropped.log"));
    // Text dragged from elsewhere is not a file: the editor and the window leave it alone.
    QMimeData text;
    text.setText(QStringLiteral("not a file"));
    const QPoint at = w.consoleView()->mapTo(&w, w.consoleView()->rect().center());
    QDropEvent drop(at, Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(w.windowHandle(), &drop);
    QCOMPARE(opened.size(), n);
}

QTEST_MAIN(TestGuiMenus)
#include "tst_gui_menus.moc"
