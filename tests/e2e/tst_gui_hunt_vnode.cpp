// The Hunt dock against the x86_64 virtual node, as a user would run it: the window connected to
// the node (serial console and SSH, prudaq.ko in the profile), a hunt of prudaq fault=unload_race
// over fault_window_us=0,5000: the heat map fills in while the node panics and reboots, the
// 5000 cell comes out hotter with an interval that excludes 0, the best reproducer names it,
// and a click on it selects a decoded oops of prudaq in the Reports dock.
//
// Runs inside the e2e fixture (e2e_vnode_up_x86_64), leaving the node up. Outside scripts/test
// (KMS_E2E_STRICT unset) a node that is not there skips. scripts/screenshots --hunt runs it
// under Xvfb with KMS_SCREENSHOT_DIR set.
#include "gui_test_support.h"
#include "huntform.h"
#include "huntgridmodel.h"
#include "huntview.h"
#include "mainwindow.h"
#include "reportsmodel.h"
#include "reportsview.h"
#include "vnodetest.h"
#include "wilson_oracle.h"

#include <QComboBox>
#include <QDockWidget>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <cmath>

using namespace kms;
using namespace kms::gui;
using huntoracle::wilson;
using namespace vnodetest;

class TestGuiHuntVnode : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QHash<QString, QString> m_status;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        guitest::isolate(m_dir, QStringLiteral("tst_gui_hunt_vnode"));
        E2E_REQUIRE_NODE_UP(m_status);
        E2E_REQUIRE_PRUDAQ_KO();
    }

    void huntFindsTheWindowAndOpensItsOops()
    {
        StartOptions o = nodeOptions(m_status);
        o.koPaths = {m_status.value(QStringLiteral("ko_dir")) + QStringLiteral("/prudaq.ko")};
        MainWindow w(o);
        w.resize(1500, 950);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.serialStateText(), QStringLiteral("up"), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("up"), 60000);
        w.huntDock()->raise();
        HuntView &v = *w.huntView();
        QVERIFY(v.isVisible());

        // As the e2e CLI hunt: a 10 ms coordinator period, so the bare race (window 0) hits now
        // and then and the 5 ms window most of the time.
        HuntForm *f = v.form();
        f->moduleEdit()->setText(QStringLiteral("prudaq"));
        f->paramsEdit()->setText(QStringLiteral("fault=unload_race coord_period_us=10000"));
        f->settleEdit()->clear();
        f->varyParamsEdit()->setText(QStringLiteral("fault_window_us=0,5000"));
        f->cyclesSpin()->setValue(12);
        f->crashesSpin()->setValue(3);
        f->batchSpin()->setValue(4);
        f->orderBox()->setCurrentIndex(1); // grid order: the heat map fills left to right
        f->returnTimeoutSpin()->setValue(120);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY2(v.running(), qPrintable(v.statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(v.result() && v.result()->totalCycles >= 3, 180000);
        if (v.running())
            screenshot(&w, QStringLiteral("hunt-running.png"));
        QTRY_VERIFY_WITH_TIMEOUT(!v.running(), 540000);
        const auto r = v.result();
        QVERIFY(r);
        QVERIFY2(hunt::endReasonName(r->ended) == QLatin1String("done"), qPrintable(r->endDetail));

        QCOMPARE(v.model()->columnCount(), 2);
        QCOMPARE(v.model()->headerData(1, Qt::Horizontal).toString(), QStringLiteral("fault_window_us=5000"));
        const QModelIndex w0 = v.model()->index(0, 0);
        const QModelIndex w5 = v.model()->index(0, 1);
        for (const QModelIndex &cell : {w0, w5}) {
            const auto [lo, hi] = wilson(cell.data(HuntGridModel::CrashesRole).toDouble(),
                                         cell.data(HuntGridModel::CyclesRole).toDouble());
            QVERIFY(std::abs(cell.data(HuntGridModel::LowRole).toDouble() - lo) < 1e-9);
            QVERIFY(std::abs(cell.data(HuntGridModel::HighRole).toDouble() - hi) < 1e-9);
        }
        const double rate0 = w0.data(HuntGridModel::RateRole).toDouble();
        const double rate5 = w5.data(HuntGridModel::RateRole).toDouble();
        QVERIFY2(rate5 > rate0, qPrintable(QStringLiteral("%1 vs %2").arg(rate5).arg(rate0)));
        QVERIFY(w5.data(HuntGridModel::LowRole).toDouble() > 0);
        QVERIFY2(v.nodeCommandEdit()->text().contains(QStringLiteral("fault_window_us=5000")),
                 qPrintable(v.nodeCommandEdit()->text()));

        // The click on the hot cell: its crashes, and a decoded oops of prudaq selected.
        QTest::mouseClick(v.grid()->viewport(), Qt::LeftButton, {}, v.grid()->visualRect(w5).center());
        QVERIFY(v.crashList()->topLevelItemCount() >= 1);
        const int id = v.sessionReportOf(v.model()->cellAt(w5), 0);
        QVERIFY(id >= 0);
        QTRY_COMPARE_WITH_TIMEOUT(w.reportsView()->currentReportId(), id, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->entry(id)->resolved, 60000);
        const ReportsModel::Entry *e = w.reportsModel()->entry(id);
        QVERIFY2(e->report.title.contains(QStringLiteral("prudaq")), qPrintable(e->report.title));
        bool decoded = false;
        for (const Frame &frame : e->report.frames)
            decoded = decoded || (frame.module == QLatin1String("prudaq") && frame.line > 0);
        QVERIFY(decoded);
        QTest::qWait(500); // the panels repaint
        screenshot(&w, QStringLiteral("hunt-done.png"));
        screenshot(w.huntDock(), QStringLiteral("hunt-dock.png"));
        w.session()->stopSsh();
        w.session()->stopSerial();
    }
};

QTEST_MAIN(TestGuiHuntVnode)
#include "tst_gui_hunt_vnode.moc"
