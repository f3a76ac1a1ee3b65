// The Cycles dock over a real link: a NodeSession connected to a real sshd on 127.0.0.1, the
// runner's real cycle script on the fake node of tests/integration/fakenode (KMS_SYSROOT). The
// dock's table, totals, progress and Markdown export are fed by what the runner really produced:
// a clean run, a failing load, Stop in the middle of a cycle, and no start without SSH.
#include "fakenodetest.h"

#include "cyclesmodel.h"
#include "cyclesview.h"
#include "gui_test_support.h"
#include "mainwindow.h"
#include "node/nodesession.h"

#include <QCheckBox>
#include <QJsonArray>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTest>

using namespace kms;
using namespace kms::gui;

namespace {

// The form as a user fills it.
void fill(CyclesView &v, const QString &params, int count, bool untilFailure, int settleMs = 0)
{
    v.findChild<QLineEdit *>(QStringLiteral("cycleModule"))->setText(QStringLiteral("fakemod"));
    v.findChild<QLineEdit *>(QStringLiteral("cycleParams"))->setText(params);
    const auto spins = v.findChildren<QSpinBox *>();
    spins.at(0)->setValue(count);
    spins.at(1)->setValue(settleMs);
    for (QCheckBox *box : v.findChildren<QCheckBox *>()) {
        if (box->text() == QLatin1String("until the first failure"))
            box->setChecked(untilFailure);
    }
}

// Answers the next "cycle run in progress" question (when it shows) with the button whose text
// starts with `answer`; counts the questions.
class CloseAnswerer : public QObject
{
public:
    explicit CloseAnswerer(QString answer)
        : answer(std::move(answer))
    {
        connect(&m_poll, &QTimer::timeout, this, [this] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box || box->objectName() != QLatin1String("cycleCloseQuestion"))
                return;
            text = box->text();
            ++shown;
            // For a look at it: KMS_TEST_SHOTS=DIR keeps a picture of the question.
            if (const QByteArray dir = qgetenv("KMS_TEST_SHOTS"); !dir.isEmpty())
                box->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/cycle-close-question.png"));
            for (QAbstractButton *b : box->buttons()) {
                if (b->text().startsWith(this->answer)) {
                    b->click();
                    return;
                }
            }
            box->reject();
        });
        m_poll.start(50);
    }
    QString answer;
    QString text;
    int shown = 0;

private:
    QTimer m_poll;
};

bool waitIdle(CyclesView &v, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (!v.runner()->running() && v.startButton()->isEnabled())
            return true;
        QTest::qWait(50);
    }
    return false;
}

} // namespace

class TestGuiCyclesSsh : public FakeNodeTest
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<NodeSession> m_session;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        guitest::isolate(m_dir, QStringLiteral("tst_gui_cycles_ssh"));
        QVERIFY(startNodeSshd());
        m_session = std::make_unique<NodeSession>();
    }

    // A fresh sysroot; the session's link to the node stays up across the tests.
    void init() { QVERIFY(freshSysroot()); }

    void noStartWithoutSsh()
    {
        CyclesView v(m_session.get());
        fill(v, QStringLiteral("fault=none"), 2, false);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY(!v.runner()->running());
        QVERIFY(v.startButton()->isEnabled());
        QVERIFY2(v.statusText().contains(QStringLiteral("SSH")), qPrintable(v.statusText()));
        // A bad module name is said before anything else.
        v.findChild<QLineEdit *>(QStringLiteral("cycleModule"))->setText(QStringLiteral("no such/module"));
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY2(v.statusText().contains(QStringLiteral("not a module name")), qPrintable(v.statusText()));
    }

    void connectToNode()
    {
        // The fake node has no kernel log of its own: a quiet stream.
        m_session->startSsh(m_settings, "exec sleep 100000");
        QTRY_VERIFY_WITH_TIMEOUT(m_session->sshUp(), 20000);
    }

    void cleanRunFillsTableTotalsAndProgress()
    {
        CyclesView v(m_session.get());
        QSignalSpy configs(&v, &CyclesView::configChanged);
        fill(v, QStringLiteral("fault=none rate=5"), 3, false);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY(v.stopButton()->isEnabled());
        QVERIFY(!v.startButton()->isEnabled());
        QVERIFY(!v.findChild<QLineEdit *>(QStringLiteral("cycleModule"))->isEnabled());
        QVERIFY(waitIdle(v, 60000));
        QCOMPARE(toString(v.runner()->runEnd()), toString(RunEnd::Completed));

        // The runner's results, row by row, as it reported them.
        const QList<CycleResult> cycles = v.runner()->cycles();
        QCOMPARE(cycles.size(), 3);
        QCOMPARE(v.model()->rowCount(), 3);
        for (int row = 0; row < 3; ++row) {
            const CycleResult &c = cycles[row];
            auto cell = [&](int column) {
                return v.model()->index(row, column).data().toString();
            };
            QCOMPARE(cell(CyclesModel::Number), QString::number(c.n));
            QCOMPARE(cell(CyclesModel::VerdictColumn), QStringLiteral("pass"));
            QVERIFY(c.stepMs.contains(QStringLiteral("total")));
            QVERIFY(qAbs(cell(CyclesModel::Total).toDouble() - c.stepMs.value(QStringLiteral("total"))) < 0.51);
            QVERIFY(qAbs(cell(CyclesModel::Load).toDouble() - c.stepMs.value(QStringLiteral("load"))) < 0.51);
            QCOMPARE(v.model()->index(row, CyclesModel::VerdictColumn).data(Qt::BackgroundRole).value<QColor>(),
                     CyclesModel::verdictBackground(Verdict::Pass));
        }
        // The fake node's Slab does not move: a zero delta from the second cycle on.
        QCOMPARE(v.model()->index(2, CyclesModel::SlabDelta).data().toString(), QStringLiteral("0"));
        QCOMPARE(v.progressBar()->value(), 3);
        QCOMPARE(v.progressBar()->maximum(), 3);
        QVERIFY2(v.rateText().contains(QStringLiteral("cycles/min")), qPrintable(v.rateText()));
        QVERIFY2(v.totalsText().contains(QStringLiteral("<b>3</b> cycles"))
                     && v.totalsText().contains(QStringLiteral("<b>3</b> pass")),
                 qPrintable(v.totalsText()));
        QVERIFY2(v.statusText().contains(QStringLiteral("completed")), qPrintable(v.statusText()));
        // The settings went to the profile on Start.
        QCOMPARE(configs.size(), 1);
        const CycleRunConfig stored = CycleRunConfig::fromJson(configs.first().first().toJsonObject());
        QCOMPARE(stored.module, QStringLiteral("fakemod"));
        QCOMPARE(stored.params, QStringList({QStringLiteral("fault=none"), QStringLiteral("rate=5")}));
        QCOMPARE(stored.count, 3);
    }

    void failingLoadIsColouredCountedAndExported()
    {
        QVERIFY(writeFile(root(QStringLiteral("control/load_rc")), "1"));
        QVERIFY(writeFile(root(QStringLiteral("control/load_out")),
                          "modprobe: ERROR: could not insert 'fakemod': Invalid argument\n"));
        CyclesView v(m_session.get());
        fill(v, QStringLiteral("fault=none"), 5, true);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY(waitIdle(v, 60000));
        QCOMPARE(toString(v.runner()->runEnd()), toString(RunEnd::StoppedOnFailure));
        QCOMPARE(v.model()->rowCount(), 1);
        const QModelIndex verdict = v.model()->index(0, CyclesModel::VerdictColumn);
        QCOMPARE(verdict.data().toString(), QStringLiteral("fail"));
        QCOMPARE(verdict.data(Qt::ForegroundRole).value<QColor>(), CyclesModel::verdictColor(Verdict::Fail));
        QVERIFY2(
            v.model()->index(0, CyclesModel::Finding).data().toString().contains(QStringLiteral("Invalid argument")),
            qPrintable(v.model()->index(0, CyclesModel::Finding).data().toString()));
        QVERIFY2(v.totalsText().contains(QStringLiteral("<b>1</b> fail")), qPrintable(v.totalsText()));
        QVERIFY(v.totalsText().contains(QStringLiteral("<b>0</b> pass")));
        // The bar counts against what was asked for.
        QCOMPARE(v.progressBar()->maximum(), 5);

        const QString md = m_dir.filePath(QStringLiteral("fail.md"));
        QString error;
        QVERIFY2(v.writeMarkdown(md, &error), qPrintable(error));
        QFile f(md);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        QVERIFY2(text.contains(QStringLiteral("### Cycle 1: fail")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("Invalid argument")));
        QVERIFY(text.contains(QStringLiteral("stopped_on_failure")));
        // Nothing of a report to select for a failed load: the click goes nowhere, quietly.
        QSignalSpy reports(&v, &CyclesView::reportRequested);
        v.showCycle(1);
        QCOMPARE(reports.size(), 0);
    }

    void leaksAreRowsTotalsAndExportedSites()
    {
        QVERIFY(writeFile(root(QStringLiteral("sys/kernel/debug/slab/kmalloc-32/alloc_traces")), ""));
        QVERIFY(writeFile(root(QStringLiteral("sys/kernel/slab/kmalloc-32/object_size")), "32\n"));
        QVERIFY(writeFile(root(QStringLiteral("control/leak")), "1"));
        CyclesView v(m_session.get());
        fill(v, QStringLiteral("fault=leak"), 3, false);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY(waitIdle(v, 60000));
        QCOMPARE(v.model()->rowCount(), 3);
        for (int row = 0; row < 3; ++row) {
            const CycleResult *c = v.model()->cycleAt(row);
            QCOMPARE(toString(c->verdict), toString(Verdict::Leak));
            QCOMPARE(v.model()->index(row, CyclesModel::VerdictColumn).data().toString(), QStringLiteral("leak"));
            QCOMPARE(v.model()->index(row, CyclesModel::Finding).data().toString(), CyclesModel::decidingFinding(*c));
            QVERIFY(!CyclesModel::decidingFinding(*c).isEmpty());
        }
        QVERIFY2(v.totalsText().contains(QStringLiteral("<b>3</b> leak")), qPrintable(v.totalsText()));
        // The run's leak site once, with the cycles that leaked from it (no .ko: section+offset).
        const QString md = m_dir.filePath(QStringLiteral("leak.md"));
        QVERIFY(v.writeMarkdown(md));
        QFile f(md);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        const QString sites = text.mid(text.indexOf(QStringLiteral("## Leak sites")));
        QCOMPARE(sites.count(QStringLiteral(".text+0x17d5")), 1);
        QVERIFY2(sites.contains(QStringLiteral("| 1, 2, 3 |")), qPrintable(sites));
    }

    void stopIsImmediateAndLeavesTheModuleUnloaded()
    {
        CyclesView v(m_session.get());
        fill(v, QStringLiteral("fault=none"), 0, false, 20000); // no limit, a long settle
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(root(QStringLiteral("sys/module/fakemod"))), 20000);
        QElapsedTimer clock;
        clock.start();
        QTest::mouseClick(v.stopButton(), Qt::LeftButton);
        QVERIFY(waitIdle(v, 15000));
        qInfo("MEASURE stop -> idle %lld ms (settle 20000 ms)", clock.elapsed());
        QVERIFY(clock.elapsed() < 10000); // far below the settle time it cut short
        QCOMPARE(toString(v.runner()->runEnd()), toString(RunEnd::Stopped));
        QVERIFY(!QFileInfo::exists(root(QStringLiteral("sys/module/fakemod"))));
        QVERIFY(v.startButton()->isEnabled());
        QVERIFY(!v.stopButton()->isEnabled());
        QVERIFY(v.findChild<QLineEdit *>(QStringLiteral("cycleModule"))->isEnabled());
    }

    // With a telemetry stream in the profile the dock reads it during each settle (unless the
    // stored run turned it off); the runner's cycles carry what the reader saw.
    void telemetryFollowsTheProfile()
    {
        QVERIFY(writeFile(root(QStringLiteral("control/tlm")), "buf0_fill_n=3 buf0_cap_n=512\n"));
        const QString path = QStringLiteral("/sys/kernel/debug/prudaq/telemetry");
        const auto stream = telemetry::TelemetrySourceSpec::parse(path);
        QVERIFY(stream);
        const auto poll = telemetry::TelemetrySourceSpec::parse(QStringLiteral("poll:/proc/loadavg@100"));
        QVERIFY(poll);
        CyclesView v(m_session.get());
        auto *box = v.findChild<QCheckBox *>(QStringLiteral("cycleTelemetry"));
        QVERIFY(box);
        v.setProfileConfig({}, {}, {*poll});
        QVERIFY(!box->isEnabled() && !box->isChecked());
        QVERIFY(v.config().telemetryPath.isEmpty());
        CycleRunConfig off;
        off.telemetryPath.clear();
        v.setProfileConfig(off.toJson(), {}, {*poll, *stream});
        QVERIFY(box->isEnabled() && !box->isChecked()); // stored off
        v.setProfileConfig({}, {}, {*poll, *stream});
        QVERIFY(box->isEnabled() && box->isChecked()); // on by default with a stream
        QCOMPARE(v.config().telemetryPath, path);

        QSignalSpy configs(&v, &CyclesView::configChanged);
        fill(v, QStringLiteral("fault=none"), 2, false, 300);
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QVERIFY(!box->isEnabled());
        QVERIFY(waitIdle(v, 60000));
        QVERIFY(box->isEnabled());
        QCOMPARE(v.runner()->cycles().size(), 2);
        for (const CycleResult &c : v.runner()->cycles()) {
            QCOMPARE(toString(c.verdict), toString(Verdict::Pass));
            QVERIFY(c.telemetry && c.telemetry->opened && c.telemetry->samples > 0);
        }
        QCOMPARE(CycleRunConfig::fromJson(configs.first().first().toJsonObject()).telemetryPath, path);
    }

    // Closing the window mid-run asks: keep running, or stop and leave the module loaded or
    // unloaded; after a stop the window closes once the node's side is done.
    void closingMidRunAsks_data()
    {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<bool>("leftLoaded");
        QTest::newRow("stop, leave unloaded") << QStringLiteral("Stop, leave fakemod unloaded") << false;
        QTest::newRow("stop, leave loaded") << QStringLiteral("Stop, leave fakemod loaded") << true;
    }

    void closingMidRunAsks()
    {
        QFETCH(QString, answer);
        QFETCH(bool, leftLoaded);
        StartOptions options;
        options.connect = false;
        options.sessionLog = false;
        MainWindow w(options);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.session()->startSsh(m_settings, "exec sleep 60"); // sshd leaves it running: bounded
        QTRY_VERIFY_WITH_TIMEOUT(w.session()->sshUp(), 20000);
        CyclesView &v = *w.cyclesView();
        fill(v, QStringLiteral("fault=none"), 0, false, 20000); // no limit, a long settle
        QTest::mouseClick(v.startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(root(QStringLiteral("sys/module/fakemod"))), 20000);

        {
            // Keep running: the window stays, the run goes on.
            CloseAnswerer keep(QStringLiteral("Keep running"));
            QVERIFY(!w.close());
            QCOMPARE(keep.shown, 1);
            QVERIFY2(keep.text.contains(QStringLiteral("fakemod")), qPrintable(keep.text));
            QVERIFY(w.isVisible());
            QVERIFY(v.runner()->running());
        }
        CloseAnswerer stop(answer);
        QVERIFY(!w.close()); // not yet: the module is being left as chosen
        QCOMPARE(stop.shown, 1);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isVisible(), 15000);
        QCOMPARE(stop.shown, 1); // asked once
        QCOMPARE(toString(v.runner()->runEnd()), toString(RunEnd::Stopped));
        QCOMPARE(QFileInfo::exists(root(QStringLiteral("sys/module/fakemod"))), leftLoaded);
        QVERIFY2(v.runner()->runEndMessage().contains(leftLoaded ? QStringLiteral("left live")
                                                                 : QStringLiteral("left unloaded")),
                 qPrintable(v.runner()->runEndMessage()));
        // A window without a run closes at once, without a question.
        MainWindow idle(options);
        idle.show();
        CloseAnswerer none(QStringLiteral("Keep running"));
        QVERIFY(idle.close());
        QCOMPARE(none.shown, 0);
    }

    void cleanupTestCase() { m_session.reset(); }
};

QTEST_MAIN(TestGuiCyclesSsh)
#include "tst_gui_cycles_ssh.moc"
