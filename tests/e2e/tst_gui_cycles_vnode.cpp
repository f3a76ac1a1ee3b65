// The Cycles dock against the x86_64 virtual node, as a user would run it: the window connected
// to the node (serial console and SSH, prudaq.ko in the profile), a clean run of prudaq whose
// progress and table fill in, then a run with fault=unload_race and stop-on-crash: a crash row
// appears, a click on it selects the decoded oops in the Reports dock and shows its console
// lines, and the run exports as Markdown with the report in it.
//
// Runs inside the e2e fixture (e2e_vnode_up_x86_64), after tst_gui_vnode or before it (both
// leave the node up). Outside scripts/test (KMS_E2E_STRICT unset) a node that is not there skips.
#include "consoleview.h"
#include "cyclesmodel.h"
#include "cyclesview.h"
#include "gui_test_support.h"
#include "mainwindow.h"
#include "reportsmodel.h"
#include "reportsview.h"
#include "vnodetest.h"

#include <QCheckBox>
#include <QDockWidget>
#include <QFile>
#include <QJsonArray>
#include <QLineEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace kms;
using namespace kms::gui;
using namespace vnodetest;

namespace {

void setRun(CyclesView *v, const QString &params, int count, bool stopOnCrash)
{
    v->findChild<QLineEdit *>(QStringLiteral("cycleModule"))->setText(QStringLiteral("prudaq"));
    v->findChild<QLineEdit *>(QStringLiteral("cycleParams"))->setText(params);
    const auto spins = v->findChildren<QSpinBox *>();
    spins.first()->setValue(count); // the count comes first in the form
    for (QCheckBox *box : v->findChildren<QCheckBox *>()) {
        if (box->text() == QLatin1String("stop on crash"))
            box->setChecked(stopOnCrash);
        if (box->text() == QLatin1String("until the first failure"))
            box->setChecked(false);
    }
}

} // namespace

class TestGuiCyclesVnode : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        guitest::isolate(m_dir, QStringLiteral("tst_gui_cycles_vnode"));
        E2E_REQUIRE_NODE_UP(m_status);
        E2E_REQUIRE_PRUDAQ_KO();
    }

    void crashRowSelectsTheDecodedOops()
    {
        const FunctionLines fault = faultingFunction();
        QVERIFY2(fault.last > fault.first, "prudaq_comm.c: the unload_race function was not found");

        StartOptions o = nodeOptions(m_status);
        o.koPaths = {m_status.value(QStringLiteral("ko_dir")) + QStringLiteral("/prudaq.ko")};
        MainWindow w(o);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.serialStateText(), QStringLiteral("up"), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(w.sshStateText(), QStringLiteral("up"), 60000);
        CyclesView *cycles = w.cyclesView();
        QVERIFY(cycles);
        QVERIFY(w.cyclesDock()->isVisible());
        const int boots = m_status.value(QStringLiteral("boots")).toInt();

        // A clean run: the progress bar and the rate move with each cycle.
        setRun(cycles, QStringLiteral("fault=none"), 4, true);
        QTest::mouseClick(cycles->startButton(), Qt::LeftButton);
        QVERIFY(cycles->stopButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(cycles->progressBar()->value() >= 1, 120000);
        QVERIFY2(cycles->progressBar()->value() < 4 || !cycles->runner()->running(), "progress jumped to the end");
        if (cycles->runner()->running())
            screenshot(&w, QStringLiteral("cycles-running.png"));
        QTRY_VERIFY_WITH_TIMEOUT(!cycles->runner()->running(), 120000);
        QCOMPARE(cycles->progressBar()->value(), 4);
        QCOMPARE(cycles->progressBar()->maximum(), 4);
        QVERIFY2(cycles->rateText().contains(QStringLiteral("cycles/min")), qPrintable(cycles->rateText()));
        QCOMPARE(cycles->model()->rowCount(), 4);
        QCOMPARE(cycles->model()->totals().byVerdict.value(Verdict::Pass), 4);
        QVERIFY2(cycles->totalsText().contains(QStringLiteral("<b>4</b> pass")), qPrintable(cycles->totalsText()));
        for (int row = 0; row < 4; ++row) {
            const QModelIndex verdict = cycles->model()->index(row, CyclesModel::VerdictColumn);
            QCOMPARE(verdict.data().toString(), QStringLiteral("pass"));
            QVERIFY(cycles->model()->index(row, CyclesModel::Total).data().toDouble() > 0);
        }
        // The profile keeps the run's settings.
        QCOMPARE(w.profile().cycleRun.value(QStringLiteral("params")).toArray().first().toString(),
                 QStringLiteral("fault=none"));

        // The seed's bug: the node panics in cycle 1's unload, the run stops there.
        setRun(cycles, QStringLiteral("fault=unload_race"), 3, true);
        QTest::mouseClick(cycles->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(cycles->model()->rowCount() >= 1, 180000);
        if (cycles->runner()->running())
            screenshot(&w, QStringLiteral("cycles-waiting.png")); // the crash row, the node rebooting
        QTRY_VERIFY_WITH_TIMEOUT(!cycles->runner()->running(), 300000);
        QCOMPARE(toString(cycles->runner()->runEnd()), toString(RunEnd::StoppedOnCrash));
        const CycleResult *crashed = cycles->model()->cycleAt(cycles->model()->rowCount() - 1);
        QCOMPARE(toString(crashed->verdict), toString(Verdict::Crash));
        QVERIFY(!crashed->reports.isEmpty());
        const int crashRow = cycles->model()->rowCount() - 1;
        QVERIFY2(cycles->model()->index(crashRow, CyclesModel::Finding).data().toString().contains(fault.name),
                 qPrintable(cycles->model()->index(crashRow, CyclesModel::Finding).data().toString()));
        QVERIFY2(!cycles->rateText().contains(QStringLiteral("ETA")), qPrintable(cycles->rateText()));
        QCOMPARE(cycles->model()->index(cycles->model()->rowCount() - 1, CyclesModel::VerdictColumn).data().toString(),
                 QStringLiteral("crash"));
        QCOMPARE(cycles->model()
                     ->index(cycles->model()->rowCount() - 1, CyclesModel::VerdictColumn)
                     .data(Qt::BackgroundRole)
                     .value<QColor>(),
                 CyclesModel::verdictBackground(Verdict::Crash));

        // The click: its report is selected and decoded, the console shows its lines.
        w.consoleView()->setFollowTail(true);
        QTableView *table = cycles->table();
        const QModelIndex cell = cycles->model()->index(cycles->model()->rowCount() - 1, CyclesModel::VerdictColumn);
        table->scrollTo(cell);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(cell).center());
        const int id = cycles->sessionReportOf(crashed->n);
        QVERIFY(id >= 0);
        QTRY_COMPARE_WITH_TIMEOUT(w.reportsView()->currentReportId(), id, 5000);
        const ReportsModel::Entry *e = w.reportsModel()->entry(id);
        QVERIFY(e);
        QVERIFY2(e->report.title.contains(fault.name),
                 qPrintable(e->report.title + QStringLiteral(" vs ") + fault.name));
        QVERIFY(e->report.panicked);
        QTRY_VERIFY_WITH_TIMEOUT(w.reportsModel()->entry(id)->resolved, 60000);
        bool decoded = false;
        for (const Frame &f : w.reportsModel()->entry(id)->report.frames) {
            if (f.function != fault.name)
                continue;
            QVERIFY2(f.file.endsWith(QLatin1String("/prudaq_comm.c")), qPrintable(f.file));
            QVERIFY2(f.line >= fault.first && f.line <= fault.last,
                     qPrintable(QStringLiteral("line %1 outside %2..%3").arg(f.line).arg(fault.first).arg(fault.last)));
            decoded = true;
        }
        QVERIFY(decoded);
        QVERIFY2(!w.consoleView()->followTail(), "the console did not move to the report's lines");
        QTest::qWait(300); // the panels repaint
        screenshot(&w, QStringLiteral("cycles-crash.png"));
        screenshot(w.cyclesDock(), QStringLiteral("cycles-dock.png"));

        // The export: the decoded report is in it.
        const QString md = m_dir.filePath(QStringLiteral("run.md"));
        QString error;
        QVERIFY2(cycles->writeMarkdown(md, &error), qPrintable(error));
        QFile mdFile(md);
        QVERIFY(mdFile.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(mdFile.readAll());
        QVERIFY(text.contains(QStringLiteral("### Cycle %1: crash").arg(crashed->n)));
        QVERIFY(text.contains(QStringLiteral("stopped_on_crash")));
        QVERIFY2(text.contains(QStringLiteral("prudaq_comm.c:")), "the exported report is not decoded");

        // The node comes back for the tests after this one.
        const Vnode up = vnode({QStringLiteral("wait"), QStringLiteral("--timeout"), QStringLiteral("180"),
                                QStringLiteral("--boots"), QString::number(boots + 1)});
        QVERIFY2(up.exitCode == 0, up.out.constData());
    }

private:
    QTemporaryDir m_dir;
    QHash<QString, QString> m_status;
};

QTEST_MAIN(TestGuiCyclesVnode)
#include "tst_gui_cycles_vnode.moc"
