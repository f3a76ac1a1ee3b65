// The whole main window with telemetry, offscreen: a prudaq stream captured on the virtual node
// (fault=consumer_stall) arrives through the window's telemetry hub, the node's console prints
// the unload_race oops (a real capture) and the reload cycles' marker lines; the Telemetry dock
// then shows the report, the alarms and the cycles' boundaries on one node-time axis. A click on
// the report's marker selects the report in the Reports dock and scrolls the console to its first
// line; a click on a cycle's boundary selects that cycle in the Cycles dock.
// KMS_SCREENSHOT_DIR: also writes the window as telemetry-window.png (scripts/screenshots).
#include "consolemodel.h"
#include "consoleview.h"
#include "cyclesmodel.h"
#include "cyclesview.h"
#include "mainwindow.h"
#include "reportsmodel.h"
#include "reportsview.h"
#include "telemetryview.h"

#include "gui_test_support.h"
#include "telemetry/cycletimeline.h"
#include "telemetry/telemetryalarms.h"
#include "telemetry/telemetryhub.h"
#include "telemetry/telemetryparser.h"
#include "telemetry/telemetrystore.h"

#include <QDockWidget>
#include <QFile>
#include <QScrollBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace kms;
using namespace kms::gui;
using namespace kms::telemetry;

namespace {

QList<TelemetrySet> readStream(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    TelemetryParser parser(QStringLiteral("stream:/sys/kernel/debug/prudaq/telemetry"));
    QList<TelemetrySet> sets;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (qsizetype i = 0; i + 1 < lines.size(); ++i) { // the last line was cut by `head -c`
        TelemetrySet set;
        if (parser.parseLine(lines[i], &set) != TelemetryParser::Result::Dropped)
            sets.append(set);
    }
    return sets;
}

QByteArray printk(qint64 ns)
{
    return QByteArray("[") + QByteArray::number(double(ns) / 1e9, 'f', 6).rightJustified(12, ' ') + "] ";
}

bool rowVisible(QTableView *view, int row)
{
    const QRect r = view->visualRect(view->model()->index(row, 0));
    return r.isValid() && view->viewport()->rect().contains(r.center());
}

} // namespace

class TestGuiTelemetryWindow : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        guitest::isolate(m_dir, QStringLiteral("tst_gui_telemetry_window"));
    }

    void markersOnOneAxisOpenTheReportAndTheCycle()
    {
        StartOptions options;
        options.connect = false;
        options.sessionLogDir = m_dir.filePath(QStringLiteral("sessions"));
        MainWindow w(options);
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));

        // The console: the cycles' marker lines, the oops, then enough lines to scroll it away.
        QFile capture(QStringLiteral(KMS_TEST_DATA_DIR "/captures/x86_64-prudaq-unload_race.log"));
        QVERIFY(capture.open(QIODevice::ReadOnly));
        const QByteArray oops = capture.readAll();
        const qsizetype bugAt = oops.indexOf("] BUG: kernel NULL pointer dereference");
        QVERIFY(bugAt > 0);
        const double reportS
            = oops.mid(oops.lastIndexOf('[', bugAt) + 1, bugAt - oops.lastIndexOf('[', bugAt) - 1).trimmed().toDouble();
        const qint64 reportNs = qint64(std::llround(reportS * 1e9));
        QVERIFY(reportNs > 0);
        const QString token = QStringLiteral("5eed0c7c1e");
        w.cycleTimeline()->setRunToken(token); // as a run's start does
        const QByteArray run = " run=" + token.toLatin1();
        struct Mark {
            int n;
            const char *kind;
            qint64 beforeReportMs;
        };
        const QList<Mark> marks = {{1, "begin", 2400}, {1, "loaded", 2250}, {1, "unloaded", 1650},
                                   {1, "end", 1600},   {2, "begin", 1550},  {2, "loaded", 1400}};
        QByteArray markerLines;
        for (const Mark &m : marks)
            markerLines += printk(reportNs - m.beforeReportMs * 1'000'000) + "kmodscope: cycle "
                + QByteArray::number(m.n) + ' ' + m.kind + run + '\n';
        QByteArray after;
        for (int i = 0; i < 300; ++i)
            after += printk(reportNs + 2'000'000'000 + i * 1'000'000) + "prudaq: filler line " + QByteArray::number(i)
                + '\n';
        w.feedLines(guitest::asLines(markerLines + oops + after, QStringLiteral("serial")));
        // `dmesg -w` carries the same marker lines: still one boundary each.
        w.feedLines(guitest::asLines(markerLines, QStringLiteral("ssh-dmesg")));

        const QString guilty = QStringLiteral("prudaq_comm_receive_msg");
        QTRY_VERIFY_WITH_TIMEOUT(guitest::findReport(w.reportsModel(), guilty), 15000);
        const ReportsModel::Entry *entry = guitest::findReport(w.reportsModel(), guilty);
        const int reportId = entry->id;
        QCOMPARE(w.cycleTimeline()->boundaries().size(), marks.size());

        // The runner's verdicts (its signals, as a run gives them): cycle 1 passed, 2 crashed.
        CycleResult c1;
        c1.n = 1;
        c1.complete = true;
        CycleResult c2;
        c2.n = 2;
        c2.addFinding({Verdict::Crash, QStringLiteral("oops"), QStringLiteral("Oops in prudaq"), {}, {}});
        Q_EMIT w.cyclesView()->runner()->cycleFinished(c1);
        Q_EMIT w.cyclesView()->runner()->cycleFinished(c2);
        QCOMPARE(w.cyclesView()->model()->rowCount(), 2);

        // The telemetry: the captured stream put around the oops's time (3/4 of it before), as
        // the hub delivers it, in batches; its alarms from the hub's own rules.
        QList<TelemetrySet> sets
            = readStream(QStringLiteral(KMS_TEST_DATA_DIR "/telemetry/prudaq-consumer-stall.stream"));
        QCOMPARE(sets.size(), 340);
        const qint64 span = sets.back().tNs - sets.front().tNs;
        const qint64 shift = reportNs - span * 3 / 4 - sets.front().tNs;
        TelemetryAlarms rules;
        QList<TelemetryAlarm> alarms;
        for (TelemetrySet &s : sets) {
            s.tNs += shift;
            rules.check(s, &alarms);
        }
        QVERIFY(!alarms.isEmpty()); // the stalled buffers reach 90 %
        for (qsizetype i = 0; i < sets.size(); i += 20)
            Q_EMIT w.telemetryHub()->samples(sets.mid(i, 20));
        for (const TelemetryAlarm &a : std::as_const(alarms))
            Q_EMIT w.telemetryHub()->alarm(a);

        TelemetryView *view = w.telemetryView();
        QTRY_VERIFY_WITH_TIMEOUT(w.telemetryDock()->isVisible(), 5000); // shown by the first samples
        view->setWindowNs(0); // all of it
        QTest::qWait(100); // laid out
        view->refresh();
        QTRY_VERIFY(view->plotCount() > 0 && view->plot(0)->plotWidth() > 300);
        QCOMPARE(view->visibleLastNs(), sets.back().tNs);

        // One axis: the report where its printk time is, the alarms, the cycles' boundaries in
        // their verdicts' colours (end markers are not drawn), the dmesg copies not doubled.
        int reports = 0, alarmMarks = 0;
        for (const TelemetryView::Marker &m : view->markers())
            (m.report ? reports : alarmMarks)++;
        QCOMPARE(reports, 1);
        QCOMPARE(alarmMarks, int(alarms.size()));
        const QList<PlotCanvas::Marker> cycles = view->cycleMarkers().visible(
            view->visibleFirstNs(), view->visibleLastNs(), view->plot(0)->plotWidth(), true);
        QCOMPARE(cycles.size(), 5);
        QCOMPARE(cycles[0].color, CyclesModel::verdictColor(Verdict::Pass));
        QCOMPARE(cycles[0].label, QStringLiteral("#1"));
        QCOMPARE(cycles[1].style, Qt::DashLine);
        QCOMPARE(cycles[2].style, Qt::DotLine);
        QCOMPARE(cycles[3].color, CyclesModel::verdictColor(Verdict::Crash));
        QCOMPARE(cycles[3].label, QStringLiteral("#2"));

        // The report's first console line is out of view (the console followed the tail).
        w.consoleModel()->flushPending();
        QTableView *console = w.consoleView()->listView();
        const int reportRow = w.consoleView()->rowForLine(w.reportsModel()->entry(reportId)->rows.first());
        QVERIFY(reportRow >= 0);
        QTRY_VERIFY(!rowVisible(console, reportRow));

        // The report came in unread (the follower shows a new one without marking it read).
        QVERIFY(w.reportsModel()->entry(reportId)->unread);

        // A click on the report's marker (on the last plot, not the first).
        const int plot = view->plotCount() - 1;
        PlotCanvas *canvas = view->plot(plot);
        const int y = int(canvas->plotArea().center().y());
        QTest::mouseClick(canvas->mouseWidget(), Qt::LeftButton, {}, QPoint(int(view->pixelOf(plot, reportNs)), y));
        QCOMPARE(w.reportsView()->currentReportId(), reportId);
        QVERIFY(!w.reportsModel()->entry(reportId)->unread); // selected as by hand
        QTRY_VERIFY(rowVisible(console, reportRow));
        QCOMPARE(console->currentIndex().row(), reportRow);
        QVERIFY(!w.consoleView()->followTail());

        // A click on cycle 2's begin selects it in the Cycles dock.
        const qint64 cycle2 = w.cycleTimeline()->boundaries()[4].tNs;
        QCOMPARE(w.cycleTimeline()->boundaries()[4].cycle, 2);
        QTest::mouseClick(canvas->mouseWidget(), Qt::LeftButton, {}, QPoint(int(view->pixelOf(plot, cycle2)), y));
        const QModelIndexList selected = w.cyclesView()->table()->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().row(), w.cyclesView()->model()->rowOf(2));
        QVERIFY(w.cyclesDock()->isVisible());
        // scripts/screenshots: the window as a user sees it now (report and cycle 2 selected,
        // the console at the oops).
        if (const QString shots = qEnvironmentVariable("KMS_SCREENSHOT_DIR"); !shots.isEmpty()) {
            w.reportsView()->selectReport(reportId);
            QTest::qWait(200);
            QVERIFY(w.grab().save(shots + QStringLiteral("/telemetry-window.png")));
        }
        // Between markers, a click selects nothing new (it starts a drag).
        w.cyclesView()->table()->clearSelection();
        QTest::mouseClick(canvas->mouseWidget(), Qt::LeftButton, {},
                          QPoint(int((view->pixelOf(plot, cycle2) + view->pixelOf(plot, reportNs)) / 2), y));
        QVERIFY(w.cyclesView()->table()->selectionModel()->selectedRows().isEmpty());
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestGuiTelemetryWindow)
#include "tst_gui_telemetry_window.moc"
