// The Hunt dock over a real link: a NodeSession connected to a real sshd on 127.0.0.1, the
// CycleRunner's real cycle script on the fake node of tests/integration/fakenode, whose loads
// print an oops to its kernel log under one condition only (control/oops_when). The heat map,
// the crash list, the reproducer and a compare by install commands are checked against what the
// node really did (its call log) and against statistics computed here from the textbook formula.
#include "fakenodetest.h"

#include "cyclesview.h"
#include "gui_test_support.h"
#include "huntform.h"
#include "huntgridmodel.h"
#include "huntview.h"
#include "link/shellquote.h"
#include "mainwindow.h"
#include "node/nodesession.h"
#include "reportsview.h"
#include "wilson_oracle.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDockWidget>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTest>
#include <QTreeWidget>

#include <cmath>

using namespace kms;
using namespace kms::gui;
using huntoracle::wilson;

namespace {

// The form as a user fills it.
void fill(HuntView &v, const QString &params, const QString &varyParams, int cycles, int crashes, int batch)
{
    HuntForm *f = v.form();
    f->moduleEdit()->setText(QStringLiteral("fakemod"));
    f->paramsEdit()->setText(params);
    f->settleEdit()->clear();
    f->varyParamsEdit()->setText(varyParams);
    f->cyclesSpin()->setValue(cycles);
    f->crashesSpin()->setValue(crashes);
    f->batchSpin()->setValue(batch);
    f->budgetEdit()->clear();
    f->returnTimeoutSpin()->setValue(10);
    f->compareBox()->setCurrentIndex(0);
    f->readerBox(false)->setChecked(true);
    f->readerBox(true)->setChecked(false);
}

bool waitIdle(HuntView &v, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (!v.running() && v.startButton()->isEnabled())
            return true;
        QTest::qWait(50);
    }
    return false;
}

} // namespace

class TestGuiHuntSsh : public FakeNodeTest
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<NodeSession> m_session;
    QProcess m_kmsg; // drains the fake node's kmsg FIFO into its log

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        guitest::isolate(m_dir, QStringLiteral("tst_gui_hunt_ssh"));
        QVERIFY(startNodeSshd());
        m_session = std::make_unique<NodeSession>();
        QVERIFY(startKernelLog(m_kmsg));
    }

    void cleanupTestCase()
    {
        m_session.reset();
        m_kmsg.kill();
        m_kmsg.waitForFinished();
    }

    void init()
    {
        // The kernel log the session streams (the fake dmesg) stays across the tests: one node.
        QVERIFY(writeBootFiles());
        QVERIFY(clearRunFiles());
    }

    void noStartWithoutSshOrWithBadSettings()
    {
        HuntView v(m_session.get());
        fill(v, QStringLiteral("fault=unload_race"), QStringLiteral("window=0,5000"), 4, 2, 2);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY(!v.running());
        QVERIFY2(v.statusText().contains(QStringLiteral("SSH")), qPrintable(v.statusText()));
        // The CLI's checks and words: a bad condition, a bad budget, a half-given compare.
        v.form()->varyParamsEdit()->setText(QStringLiteral("window"));
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY2(v.statusText().contains(QStringLiteral("expected NAME=v1,v2")), qPrintable(v.statusText()));
        v.form()->varyParamsEdit()->setText(QStringLiteral("window=0,5000"));
        v.form()->budgetEdit()->setText(QStringLiteral("soon"));
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY2(v.statusText().contains(QStringLiteral("budget 'soon'")), qPrintable(v.statusText()));
        v.form()->budgetEdit()->clear();
        v.form()->compareBox()->setCurrentIndex(int(HuntForm::CompareMode::InstallCommands));
        v.form()->compareAEdit()->setText(QStringLiteral("true"));
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY2(v.statusText().contains(QStringLiteral("both A and B")), qPrintable(v.statusText()));
        QVERIFY(!v.running());
    }

    void connectToNode()
    {
        m_session->startSsh(m_settings); // the default kernel-log stream: the fake dmesg
        QTRY_VERIFY_WITH_TIMEOUT(m_session->sshUp(), 20000);
    }

    void heatMapFillsLiveAndLeadsToTheReports()
    {
        control(QStringLiteral("oops_when"), "window=5000");
        HuntView v(m_session.get());
        QSignalSpy reportsSeen(m_session.get(), &NodeSession::reportDetected);
        QSignalSpy changed(v.model(), &QAbstractItemModel::dataChanged);
        QSignalSpy running(&v, &HuntView::runningChanged);
        v.resize(1200, 800);
        v.show();
        QVERIFY(QTest::qWaitForWindowExposed(&v));
        fill(v, QStringLiteral("fault=unload_race"), QStringLiteral("window=0,5000"), 4, 2, 2);
        v.form()->orderBox()->setCurrentIndex(1); // grid order: the clean cell first
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY2(v.running(), qPrintable(v.statusText()));
        QVERIFY(!v.form()->isEnabled());
        QVERIFY(v.stopButton()->isEnabled());
        // Live: the first cell shows cycles while the hunt still runs.
        QTRY_VERIFY_WITH_TIMEOUT(v.model()->index(0, 0).data(HuntGridModel::CyclesRole).toLongLong() > 0, 30000);
        QVERIFY(v.running());
        QVERIFY(waitIdle(v, 90000));
        QCOMPARE(running.size(), 2);

        // The layout: one row, the varied parameter across.
        QCOMPARE(v.model()->rowCount(), 1);
        QCOMPARE(v.model()->columnCount(), 2);
        QCOMPARE(v.model()->headerData(0, Qt::Horizontal).toString(), QStringLiteral("window=0"));
        QCOMPARE(v.model()->headerData(1, Qt::Horizontal).toString(), QStringLiteral("window=5000"));

        // What the node did: 4 clean loads with window=0; window=5000 oopsed each time, and the
        // cell ended at its crash limit (2), each crash ending its turn.
        const QByteArray calls = readFile(root(QStringLiteral("calls")));
        QCOMPARE(calls.count("modprobe fakemod fault=unload_race window=0\n"), 4);
        QCOMPARE(calls.count("modprobe fakemod fault=unload_race window=5000\n"), 2);
        const QModelIndex clean = v.model()->index(0, 0);
        const QModelIndex racy = v.model()->index(0, 1);
        QCOMPARE(clean.data(HuntGridModel::CyclesRole).toLongLong(), 4);
        QCOMPARE(clean.data(HuntGridModel::CrashesRole).toLongLong(), 0);
        QCOMPARE(racy.data(HuntGridModel::CyclesRole).toLongLong(), 2);
        QCOMPARE(racy.data(HuntGridModel::CrashesRole).toLongLong(), 2);
        // The intervals against the formula: 0 of 4 and 2 of 2.
        const auto [cl, ch] = wilson(0, 4);
        const auto [rl, rh] = wilson(2, 2);
        QVERIFY(std::abs(clean.data(HuntGridModel::LowRole).toDouble() - cl) < 1e-9);
        QVERIFY(std::abs(clean.data(HuntGridModel::HighRole).toDouble() - ch) < 1e-9);
        QVERIFY(std::abs(racy.data(HuntGridModel::LowRole).toDouble() - rl) < 1e-9);
        QVERIFY(std::abs(racy.data(HuntGridModel::HighRole).toDouble() - rh) < 1e-9);
        QVERIFY2(racy.data().toString().startsWith(QStringLiteral("2/2 · 100%")), qPrintable(racy.data().toString()));
        QVERIFY2(clean.data().toString().contains(QStringLiteral("0/4")), qPrintable(clean.data().toString()));
        QVERIFY2(clean.data().toString().contains(QStringLiteral("< ")), qPrintable(clean.data().toString()));
        // Hotter where it crashes: a redder hue, more saturated.
        const QColor hot = racy.data(Qt::BackgroundRole).value<QColor>();
        const QColor cold = clean.data(Qt::BackgroundRole).value<QColor>();
        QVERIFY(hot.hsvHueF() < cold.hsvHueF());
        QVERIFY(hot.hsvSaturationF() > cold.hsvSaturationF());
        // Updated per cycle, not at the end: at least one change per cycle run.
        QVERIFY2(changed.size() >= 6, qPrintable(QString::number(changed.size())));
        QCOMPARE(v.progressBar()->value(), 6);
        QVERIFY2(v.rateText().contains(QStringLiteral("cycles/min")), qPrintable(v.rateText()));
        QVERIFY2(v.statusText().contains(QStringLiteral("Finished (done)")), qPrintable(v.statusText()));

        // The best reproducer: the racy cell, as a loop for the node's shell (written out here).
        QCOMPARE(
            v.nodeCommandEdit()->text(),
            QStringLiteral("while modprobe fakemod fault=unload_race window=5000 && modprobe -r fakemod; do :; done"));
        QVERIFY2(v.cliCommandEdit()->text().startsWith(QStringLiteral("kmodscope-cli cycle --ssh node --ssh-config ")),
                 qPrintable(v.cliCommandEdit()->text()));
        QVERIFY(v.cliCommandEdit()->text().contains(QStringLiteral("--params 'fault=unload_race window=5000'")));
        QVERIFY(v.copyNodeButton()->isEnabled());
        QTest::mouseClick(v.copyNodeButton(), Qt::LeftButton);
        QCOMPARE(QApplication::clipboard()->text(), v.nodeCommandEdit()->text());

        // A click on the racy cell: its two crashes, and the first one's report asked for.
        QCOMPARE(reportsSeen.size(), 2);
        QSignalSpy requested(&v, &HuntView::reportRequested);
        QTest::mouseClick(v.grid()->viewport(), Qt::LeftButton, {}, v.grid()->visualRect(racy).center());
        QCOMPARE(v.crashList()->topLevelItemCount(), 2);
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(v.crashList()->topLevelItem(i)->text(0), QString::number(i + 1));
            QCOMPARE(v.crashList()->topLevelItem(i)->text(1), reportsSeen.at(i).at(1).value<KernelReport>().title);
        }
        QVERIFY(v.crashList()->topLevelItem(0)->text(1).contains(QStringLiteral("NULL pointer dereference")));
        QCOMPARE(requested.size(), 1);
        QCOMPARE(requested.first().first().toInt(), reportsSeen.at(0).at(0).toInt());
        // The second crash's row: the second report.
        QTest::mouseClick(v.crashList()->viewport(), Qt::LeftButton, {},
                          v.crashList()->visualItemRect(v.crashList()->topLevelItem(1)).center());
        QCOMPARE(requested.size(), 2);
        QCOMPARE(requested.last().first().toInt(), reportsSeen.at(1).at(0).toInt());
        // The clean cell: nothing to list, nothing asked for.
        QTest::mouseClick(v.grid()->viewport(), Qt::LeftButton, {}, v.grid()->visualRect(clean).center());
        QCOMPARE(v.crashList()->topLevelItemCount(), 0);
        QCOMPARE(requested.size(), 2);
    }

    void stopEndsTheHuntAndLeavesTheModuleUnloaded()
    {
        control(QStringLiteral("load_sleep"), "0.3");
        HuntView v(m_session.get());
        fill(v, QStringLiteral("fault=none"), QStringLiteral("window=0,1,2"), 50, 0, 5);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(v.result() && v.result()->totalCycles >= 2, 30000);
        QTest::mouseClick(v.stopButton(), Qt::LeftButton);
        QVERIFY(waitIdle(v, 30000));
        QCOMPARE(hunt::endReasonName(v.result()->ended), QStringLiteral("stopped"));
        QVERIFY(v.result()->totalCycles < 150);
        QVERIFY(!QFileInfo::exists(root(QStringLiteral("sys/module/fakemod"))));
        QVERIFY2(v.statusText().contains(QStringLiteral("Finished (stopped)")), qPrintable(v.statusText()));
    }

    void compareTwoInstallCommands()
    {
        // Build A "installs" a module that oopses on every load (it sets the fake node's
        // oops condition), build B a fixed one. The commands hold quotes, $, ; and > : they must
        // reach the node's shell exactly as typed.
        const QString a = QStringLiteral("printf '%s\\n' \"build A's\" >>\"$KMS_SYSROOT/installs\"; "
                                         "echo window=0 >\"$KMS_SYSROOT/control/oops_when\"");
        const QString b = QStringLiteral("printf '%s\\n' \"build B's\" >>\"$KMS_SYSROOT/installs\"; "
                                         "rm -f \"$KMS_SYSROOT/control/oops_when\"");
        HuntView v(m_session.get());
        fill(v, QStringLiteral("fault=none"), QStringLiteral("window=0"), 6, 0, 3);
        v.form()->compareBox()->setCurrentIndex(int(HuntForm::CompareMode::InstallCommands));
        v.form()->compareAEdit()->setText(a);
        v.form()->compareBEdit()->setText(b);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY2(v.running(), qPrintable(v.statusText()));
        QVERIFY(waitIdle(v, 120000));
        const auto r = v.result();
        QVERIFY(r);
        QCOMPARE(hunt::endReasonName(r->ended), QStringLiteral("done"));
        // The builds side by side: one condition, A | B.
        QCOMPARE(v.model()->columnCount(), 2);
        QCOMPARE(v.model()->headerData(0, Qt::Horizontal).toString(), QStringLiteral("build A"));
        QCOMPARE(v.model()->index(0, 0).data(HuntGridModel::CrashesRole).toLongLong(), 6);
        QCOMPARE(v.model()->index(0, 0).data(HuntGridModel::CyclesRole).toLongLong(), 6);
        QCOMPARE(v.model()->index(0, 1).data(HuntGridModel::CrashesRole).toLongLong(), 0);
        QCOMPARE(v.model()->index(0, 1).data(HuntGridModel::CyclesRole).toLongLong(), 6);
        // The node ran A's command before A's cycles: again after each crash (a node that
        // rebooted may have lost it), B's once per turn after A's.
        const QByteArray installs = readFile(root(QStringLiteral("installs")));
        QVERIFY2(installs.startsWith("build A's\n"), installs.constData());
        QCOMPARE(installs.count("build A's\n"), 6);
        QVERIFY2(installs.count("build B's\n") >= 1 && installs.count("build B's\n") <= 2, installs.constData());
        // Fisher's exact test, two-sided, on [[6, 0], [0, 6]]: 2 / C(12, 6) = 2/924.
        QVERIFY(r->compare);
        QVERIFY(std::abs(r->compare->pValue - 2.0 / 924.0) < 1e-12);
        QVERIFY2(v.compareText().contains(QStringLiteral("after: 0 crashes in 6 cycles")), qPrintable(v.compareText()));
        QVERIFY2(v.compareText().contains(QStringLiteral("p = 0.002")), qPrintable(v.compareText()));
        // The reproducer installs build A first, quoted whole.
        QVERIFY2(v.nodeCommandEdit()->text().startsWith(QStringLiteral("sh -c ") + QString::fromUtf8(shellQuote(a))
                                                        + QStringLiteral(" && while modprobe")),
                 qPrintable(v.nodeCommandEdit()->text()));
    }

    void readerOffAndOnAreColumns()
    {
        // The reader as a condition: its own column; the "on" cells read the fake stream (a ring
        // 98% full: telemetry_fill warnings) and closed it before the unload (no busy unload).
        control(QStringLiteral("tlm"), "buf0_fill_n=500 buf0_cap_n=512\n");
        HuntView v(m_session.get());
        fill(v, QStringLiteral("fault=none"), QString(), 2, 0, 2);
        v.form()->settleEdit()->setText(QStringLiteral("300"));
        v.form()->readerBox(false)->setChecked(true);
        v.form()->readerBox(true)->setChecked(true);
        v.form()->readerPathEdit()->setText(QStringLiteral("/sys/kernel/debug/prudaq/telemetry"));
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY2(v.running(), qPrintable(v.statusText()));
        QVERIFY(waitIdle(v, 60000));
        QCOMPARE(v.model()->columnCount(), 2);
        QCOMPARE(v.model()->headerData(0, Qt::Horizontal).toString(), QStringLiteral("reader off"));
        QCOMPARE(v.model()->headerData(1, Qt::Horizontal).toString(), QStringLiteral("reader on"));
        const auto r = v.result();
        QCOMPARE(r->cells[0].verdicts.value(QStringLiteral("pass")), 2);
        QCOMPARE(r->cells[1].verdicts.value(QStringLiteral("warning")), 2);
        QVERIFY(!readFile(root(QStringLiteral("calls"))).contains("in use"));
        QVERIFY(!QFileInfo::exists(root(QStringLiteral("sys/module/fakemod"))));
    }

    void failingInstallCommandEndsTheHuntWithItsOutput()
    {
        HuntView v(m_session.get());
        fill(v, QStringLiteral("fault=none"), QStringLiteral("window=0"), 2, 0, 2);
        v.form()->compareBox()->setCurrentIndex(int(HuntForm::CompareMode::InstallCommands));
        v.form()->compareAEdit()->setText(QStringLiteral("echo 'make: *** No rule to make target'; exit 2"));
        v.form()->compareBEdit()->setText(QStringLiteral("true"));
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY(waitIdle(v, 60000));
        QCOMPARE(hunt::endReasonName(v.result()->ended), QStringLiteral("error"));
        QVERIFY2(v.statusText().contains(QStringLiteral("install command of build A failed (exit status 2)"))
                     && v.statusText().contains(QStringLiteral("No rule to make target")),
                 qPrintable(v.statusText()));
        QVERIFY(readFile(root(QStringLiteral("calls"))).isEmpty()); // nothing loaded
    }

    void mainWindowSelectsTheCrashReport()
    {
        // In the window: the Hunt dock beside the Cycles dock, a cell's click selects the
        // decoded report in the Reports dock, and the Cycles dock waits while the hunt runs.
        control(QStringLiteral("oops_when"), "window=5000");
        StartOptions options;
        options.connect = false;
        options.sessionLog = false;
        MainWindow w(options);
        w.session()->startSsh(m_settings);
        QTRY_VERIFY_WITH_TIMEOUT(w.session()->sshUp(), 20000);
        HuntView &v = *w.huntView();
        w.show();
        w.huntDock()->raise(); // a tab beside the Cycles dock
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(v.isVisible());
        fill(v, QStringLiteral("fault=unload_race"), QStringLiteral("window=5000"), 1, 1, 1);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY2(v.running(), qPrintable(v.statusText()));
        QVERIFY(!w.cyclesView()->isEnabled());
        QVERIFY(waitIdle(v, 60000));
        QVERIFY(w.cyclesView()->isEnabled());
        QCOMPARE(v.model()->index(0, 0).data(HuntGridModel::CrashesRole).toLongLong(), 1);
        const QModelIndex cell = v.model()->index(0, 0);
        QTest::mouseClick(v.grid()->viewport(), Qt::LeftButton, {}, v.grid()->visualRect(cell).center());
        const int id = v.sessionReportOf(0, 0);
        QVERIFY(id >= 0);
        QCOMPARE(w.reportsView()->currentReportId(), id);
        QVERIFY(w.session()->report(id)->title.contains(QStringLiteral("NULL pointer dereference")));
        w.session()->stopSsh();
    }
};

QTEST_MAIN(TestGuiHuntSsh)
#include "tst_gui_hunt_ssh.moc"
