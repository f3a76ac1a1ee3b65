// The Demo menu against the x86_64 virtual node, as a newcomer clicks it: the window on the
// node's profile (its key lies in the node's state directory, so the menu is shown), then
// - "Unload race": a cycle run in the Cycles dock crashes, the panic is decoded to the function
//   that reads comm->shm in prudaq_comm.c (read from the source here) and explained;
// - "Consumer stall": prudaq's telemetry reaches the Telemetry dock, its buffers fill past 90%
//   of their capacity;
// - "Short hunt": the 2x2 grid runs in the Hunt dock (the only one), fault=none cells pass,
//   unload_race cells crash, the heat map has every cell and the node's own panic counter grew
//   by the crashes counted;
// - "Stop": prudaq is unloaded (asked of the node).
// Runs inside the e2e fixture (vnode_x86_64); it leaves the node up.
#include "cyclesview.h"
#include "demohunt.h"
#include "demomenu.h"
#include "gui_test_support.h"
#include "huntgridmodel.h"
#include "huntview.h"
#include "mainwindow.h"
#include "reportsmodel.h"
#include "telemetry/telemetrystore.h"
#include "vnodetest.h"

#include <QAction>
#include <QDockWidget>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace kms;
using namespace kms::gui;
using namespace vnodetest;

namespace {

// A channel's fill in % of its capacity, from the store (newest samples).
double fillPercent(const telemetry::TelemetryStore *store, const QString &ring)
{
    const auto fill = store->latest(ring + QStringLiteral("_fill_n"));
    const auto cap = store->latest(ring + QStringLiteral("_cap_n"));
    return fill && cap && cap->v > 0 ? 100.0 * fill->v / cap->v : 0.0;
}

} // namespace

class TestGuiDemoVnode : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        guitest::isolate(m_dir, QStringLiteral("tst_gui_demo_vnode"));
        E2E_REQUIRE_NODE_UP(m_status);
    }

    void demoStepsOnTheNode()
    {
        const FunctionLines fault = faultingFunction();
        QVERIFY2(fault.last > fault.first, "prudaq_comm.c: the unload_race function was not found");

        // What scripts/demo hands the app.
        StartOptions o = nodeOptions(m_status);
        o.saveAs = QStringLiteral("Virtual node");
        o.koPaths = {m_status.value(QStringLiteral("ko_dir"))};
        MainWindow w(o);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.demoMenu()->isShown());
        QTRY_COMPARE_WITH_TIMEOUT(w.serialStateText(), QStringLiteral("up"), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("up"), 60000);
        const int panics0 = m_status.value(QStringLiteral("panics")).toInt();
        const int boots0 = m_status.value(QStringLiteral("boots")).toInt();

        // Unload race: the decoded, explained panic.
        w.demoMenu()->action(DemoMenu::Step::UnloadRace)->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.cyclesView()->runner()->running(), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!w.cyclesView()->runner()->running(), 300000);
        QCOMPARE(toString(w.cyclesView()->runner()->runEnd()), toString(RunEnd::StoppedOnCrash));
        QVERIFY(w.reportsModel()->rowCount() >= 1);
        const ReportsModel::Entry *e = w.reportsModel()->entryAt(0);
        QVERIFY(e);
        const int id = e->id;
        QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->entry(id)->resolved, 60000);
        const KernelReport &r = w.reportsModel()->entry(id)->report;
        QVERIFY2(r.title.contains(fault.name), qPrintable(r.title));
        QVERIFY(r.panicked);
        QVERIFY(r.explanation && !r.explanation->summary.isEmpty());
        bool decoded = false;
        for (const Frame &f : r.frames) {
            if (f.function == fault.name && f.file.endsWith(QLatin1String("/prudaq_comm.c"))) {
                QVERIFY2(f.line >= fault.first && f.line <= fault.last, qPrintable(QString::number(f.line)));
                decoded = true;
            }
        }
        QVERIFY(decoded);
        Vnode back = vnode({QStringLiteral("wait"), QStringLiteral("--timeout"), QStringLiteral("180"),
                            QStringLiteral("--boots"), QString::number(boots0 + 1)});
        QVERIFY2(back.exitCode == 0, back.out.constData());
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("up"), 60000);

        // Consumer stall: the buffers fill in the Telemetry dock.
        w.demoMenu()->action(DemoMenu::Step::ConsumerStall)->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.telemetryDock()->isVisible(), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(fillPercent(w.telemetryStore(), QStringLiteral("buf0")) > 90.0, 60000);
        const Vnode loaded = vnode({QStringLiteral("ssh"), QStringLiteral("cat /sys/module/prudaq/parameters/fault")});
        QCOMPARE(loaded.out.trimmed(), QByteArray("consumer_stall"));

        // The short hunt: clean cells pass, unload_race cells crash; each crash a panic of the node.
        const int panicsBeforeHunt = status().value(QStringLiteral("panics")).toInt();
        QVERIFY(panicsBeforeHunt >= panics0 + 1);
        w.demoMenu()->action(DemoMenu::Step::Hunt)->trigger();
        HuntView *huntView = w.huntView();
        QTRY_VERIFY_WITH_TIMEOUT(w.demoMenu()->huntRunning() && huntView->running(), 30000);
        QVERIFY(!w.telemetryDock()->isVisible());
        QVERIFY(w.huntDock()->isVisible());
        screenshot(&w, QStringLiteral("demo-hunt-running.png"));
        QTRY_VERIFY_WITH_TIMEOUT(!huntView->running(), 480000);
        QVERIFY(!w.demoMenu()->huntRunning());
        QVERIFY2(huntView->statusText().startsWith(QStringLiteral("Finished")), qPrintable(huntView->statusText()));
        QVERIFY(huntView->result());
        const QList<hunt::CellResult> cells = huntView->result()->cells;
        QCOMPARE(cells.size(), 4);
        qint64 crashes = 0;
        for (const hunt::CellResult &c : cells) {
            const bool race = hunt::formatModuleParams(c.conditions.params).contains(QStringLiteral("unload_race"));
            QVERIFY(c.cycles > 0);
            if (race)
                QVERIFY2(c.crashes == 1, qPrintable(demohunt::rateText(c)));
            else
                QCOMPARE(c.crashes, 0);
            crashes += c.crashes;
        }
        QCOMPARE(huntView->model()->cellCount(), 4);
        // One hunt dock: the demo's hunt is the Hunt dock's.
        int huntDocks = 0;
        for (const QDockWidget *dock : w.findChildren<QDockWidget *>())
            huntDocks += dock->windowTitle().contains(QStringLiteral("Hunt"));
        QCOMPARE(huntDocks, 1);
        screenshot(&w, QStringLiteral("demo-hunt-done.png"));
        back = vnode({QStringLiteral("wait"), QStringLiteral("--timeout"), QStringLiteral("180")});
        QVERIFY2(back.exitCode == 0, back.out.constData());
        QCOMPARE(status().value(QStringLiteral("panics")).toInt(), panicsBeforeHunt + int(crashes));

        // Stop: prudaq unloaded.
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("up"), 60000);
        w.demoMenu()->action(DemoMenu::Step::Stop)->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(
            vnode({QStringLiteral("ssh"), QStringLiteral("[ ! -e /sys/module/prudaq ]")}).exitCode == 0, 30000);
    }

private:
    QTemporaryDir m_dir;
    QHash<QString, QString> m_status;
};

QTEST_MAIN(TestGuiDemoVnode)
#include "tst_gui_demo_vnode.moc"
