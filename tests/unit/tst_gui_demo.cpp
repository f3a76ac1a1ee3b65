// The guided demo's parts that need no node (label gui, offscreen): the Demo menu is shown for a
// virtual node's profile only, "New profile from virtual node" fills the profile from a running
// node's state directory (the files scripts/vnode writes; the supervisor is a stand-in process
// whose command line names the directory, as scripts/vnode checks), a stopped node is named as
// such, and the demo's reload command ends a telemetry reader that would pin the module
// without killing itself (run by the host's /bin/sh).
#include "cyclesview.h"
#include "demohunt.h"
#include "demomenu.h"
#include "gui_test_support.h"
#include "huntform.h"
#include "mainwindow.h"
#include "virtualnode.h"

#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QMenu>
#include <QMenuBar>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace kms;
using namespace kms::gui;

namespace {

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

// A node directory as scripts/vnode leaves it (node.conf, keys/, run/state).
void makeNodeDir(const QString &dir, int port)
{
    writeFile(
        dir + QStringLiteral("/node.conf"),
        QStringLiteral("arch=x86_64\nssh_port=1\nssh_port=%1\nko_dir=%2/ko/x86_64\nkernel_release=6.1.0-57-amd64\n")
            .arg(port)
            .arg(dir)
            .toUtf8());
    writeFile(dir + QStringLiteral("/keys/id_ed25519"), "key");
    writeFile(dir + QStringLiteral("/keys/known_hosts"), "[127.0.0.1]:1 ssh-ed25519 AAAA\n");
    writeFile(dir + QStringLiteral("/run/state"), "state=up\n");
}

QByteArray cmdlineOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/cmdline").arg(pid));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QMenu *demoMenuOf(MainWindow &w)
{
    for (QAction *a : w.menuBar()->actions()) {
        if (a->menu() && a->menu()->objectName() == QLatin1String("DemoMenu"))
            return a->menu();
    }
    return nullptr;
}

QAction *fileAction(MainWindow &w, const QString &text)
{
    for (QAction *top : w.menuBar()->actions()) {
        if (!top->menu())
            continue;
        for (QAction *a : top->menu()->actions()) {
            if (a->text() == text)
                return a;
        }
    }
    return nullptr;
}

} // namespace

class TestGuiDemo : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        guitest::isolate(m_dir, QStringLiteral("tst_gui_demo"));
        m_node = QFileInfo(m_dir.filePath(QStringLiteral("vnode"))).absoluteFilePath();
        makeNodeDir(m_node, 42022);
        m_node = QFileInfo(m_node).canonicalFilePath();
    }

    void menuShownForVirtualNodeProfilesOnly()
    {
        StartOptions o;
        o.connect = false;
        o.sessionLog = false;
        MainWindow w(o);
        QMenu *menu = demoMenuOf(w);
        QVERIFY(menu);
        QVERIFY(w.demoMenu());
        QVERIFY(!menu->menuAction()->isVisible()); // no profile

        Profile board;
        board.name = QStringLiteral("BeagleBone");
        board.sshHost = QStringLiteral("bbb.local");
        board.sshKey = QDir::homePath() + QStringLiteral("/.ssh/id_ed25519");
        board.serialPort = QStringLiteral("/dev/ttyUSB0");
        w.applyProfile(board);
        QVERIFY(!menu->menuAction()->isVisible());

        Profile vnode = board;
        vnode.name = QStringLiteral("mine");
        vnode.sshHost = QStringLiteral("127.0.0.1");
        vnode.sshKey = m_node + QStringLiteral("/keys/id_ed25519");
        w.applyProfile(vnode);
        QVERIFY(menu->menuAction()->isVisible());
        QVERIFY(w.demoMenu()->isShown());
        QCOMPARE(virtualNodeDirOf(vnode), m_node);
        // Every step is there, each with a tooltip that says what it shows.
        for (auto step :
             {DemoMenu::Step::UnloadRace, DemoMenu::Step::UseAfterFree, DemoMenu::Step::ConsumerStall,
              DemoMenu::Step::ClockJump, DemoMenu::Step::Leak, DemoMenu::Step::Hunt, DemoMenu::Step::Stop}) {
            QAction *a = w.demoMenu()->action(step);
            QVERIFY(a && menu->actions().contains(a));
            QVERIFY(!a->toolTip().isEmpty());
        }

        // A key named id_ed25519 under some other keys/ directory is not a node's.
        Profile lookalike = vnode;
        lookalike.sshKey = m_dir.filePath(QStringLiteral("elsewhere/keys/id_ed25519"));
        writeFile(lookalike.sshKey, "key");
        w.applyProfile(lookalike);
        QVERIFY(!menu->menuAction()->isVisible());
        w.applyProfile(board);
        QVERIFY(!menu->menuAction()->isVisible());
    }

    void stepsWithoutSshSayWhy()
    {
        Profile vnode;
        vnode.name = QStringLiteral("v");
        vnode.sshHost = QStringLiteral("127.0.0.1");
        vnode.sshKey = m_node + QStringLiteral("/keys/id_ed25519");
        StartOptions o;
        o.connect = false;
        o.sessionLog = false;
        MainWindow w(o);
        w.applyProfile(vnode);
        QString said;
        connect(w.demoMenu(), &DemoMenu::message, this, [&said](const QString &t) { said = t; });
        w.demoMenu()->action(DemoMenu::Step::UnloadRace)->trigger();
        QVERIFY2(said.contains(QStringLiteral("SSH")), qPrintable(said));
        QVERIFY(!w.cyclesView()->runner()->running());
    }

    void stoppedNodeIsNamed()
    {
        QString why;
        QVERIFY(!readVirtualNode(m_node, &why)); // no supervisor runs
        QVERIFY2(why.contains(QStringLiteral("stopped")), qPrintable(why));
        QVERIFY(!readVirtualNode(m_dir.filePath(QStringLiteral("none")), &why));
        QVERIFY2(why.contains(QStringLiteral("No virtual node")), qPrintable(why));
        // A pid file naming a process that is not this node's supervisor does not count.
        writeFile(m_node + QStringLiteral("/run/vnoded.pid"), QByteArray::number(QCoreApplication::applicationPid()));
        QVERIFY(!readVirtualNode(m_node, &why));
        QFile::remove(m_node + QStringLiteral("/run/vnoded.pid"));
    }

    void newProfileFromRunningNode()
    {
        // The supervisor's stand-in: a process whose command line holds "--dir NODE ".
        QProcess supervisor;
        supervisor.start(
            QStringLiteral("/bin/bash"),
            {QStringLiteral("-c"), QStringLiteral("exec -a \"vnoded.py --dir $0 --x\" sleep 120"), m_node});
        QVERIFY(supervisor.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(cmdlineOf(supervisor.processId()).startsWith("vnoded.py --dir"), 5000); // exec'd
        writeFile(m_node + QStringLiteral("/run/vnoded.pid"), QByteArray::number(supervisor.processId()));
        qputenv("KMODSCOPE_VNODE_DIR", m_node.toUtf8());

        QString why;
        const auto node = findVirtualNode(&why);
        QVERIFY2(node, qPrintable(why));
        QCOMPARE(node->sshPort, 42022); // the last assignment, as scripts/vnode reads it
        QCOMPARE(node->state, QStringLiteral("up"));

        StartOptions o;
        o.connect = false;
        o.sessionLog = false;
        MainWindow w(o);
        QAction *action = fileAction(w, QStringLiteral("New profile from virtual node"));
        QVERIFY(action);
        action->trigger();
        const Profile &p = w.profile();
        QCOMPARE(p.name, QStringLiteral("Virtual node"));
        QCOMPARE(p.sshHost, QStringLiteral("127.0.0.1"));
        QCOMPARE(p.sshPort, 42022);
        QCOMPARE(p.sshUser, QStringLiteral("root"));
        QCOMPARE(p.sshKey, m_node + QStringLiteral("/keys/id_ed25519"));
        QCOMPARE(p.knownHosts, m_node + QStringLiteral("/keys/known_hosts"));
        QCOMPARE(p.serialPort, m_node + QStringLiteral("/serial"));
        QCOMPARE(p.koPaths, QStringList{m_node + QStringLiteral("/ko/x86_64")});
        QCOMPARE(p.modules, QStringList{QStringLiteral("prudaq")});
        QVERIFY(w.demoMenu()->isShown());
        Profile stored;
        QVERIFY(ProfileStore::load(QStringLiteral("Virtual node"), &stored));
        QCOMPARE(stored.sshPort, 42022);
        QCOMPARE(ProfileStore::lastUsed(), QStringLiteral("Virtual node"));
        w.disconnectSerial();
        w.disconnectSsh();

        supervisor.kill();
        supervisor.waitForFinished();
        qunsetenv("KMODSCOPE_VNODE_DIR");
    }

    void reloadCommandEndsTelemetryReaders()
    {
        // A process that looks like the telemetry reader a closed SSH channel left behind.
        QProcess reader;
        reader.start(
            QStringLiteral("/bin/bash"),
            {QStringLiteral("-c"), QStringLiteral("exec -a 'cat /sys/kernel/debug/prudaq/telemetry' sleep 120")});
        QVERIFY(reader.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(cmdlineOf(reader.processId()).startsWith("cat /sys/kernel/debug/prudaq/"), 5000);
        QProcess sh;
        sh.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QString::fromUtf8(DemoMenu::reloadCommand({}))});
        QVERIFY(sh.waitForFinished(30000));
        // This host has no prudaq loaded: the command ends the reader and succeeds, itself alive
        // to the end.
        QCOMPARE(sh.exitStatus(), QProcess::NormalExit);
        QCOMPARE(sh.exitCode(), 0);
        QVERIFY(reader.waitForFinished(5000));
        QCOMPARE(reader.exitStatus(), QProcess::CrashExit); // killed by SIGTERM
        QVERIFY(
            DemoMenu::reloadCommand(QStringLiteral("fault=clock_jump")).endsWith("; modprobe prudaq fault=clock_jump"));
        QVERIFY(DemoMenu::reloadCommand(QStringLiteral("fault=x;reboot")).endsWith("modprobe prudaq 'fault=x;reboot'"));
    }

    void huntFormAndConsoleShowEachCell()
    {
        // The demo's settings as the Hunt dock's form takes them, and the hunt they make.
        HuntForm form;
        demohunt::fillForm(&form, 4);
        QString error;
        const auto prepared = form.prepare(&error);
        QVERIFY2(prepared, qPrintable(error));
        const hunt::HuntConfig &config = prepared->hunt;
        QCOMPARE(config.conditions.size(), 4);
        QCOMPARE(config.order, hunt::Order::Grid);
        QCOMPARE(config.limits.cyclesPerCell, 4);
        QCOMPARE(config.limits.crashesPerCell, 1); // each crash costs a reboot of the node
        QCOMPARE(prepared->run.module, QStringLiteral("prudaq"));
        QCOMPARE(prepared->run.returnTimeoutS, 180);
        QVERIFY(prepared->compare == HuntForm::CompareMode::Off);

        QList<hunt::CellResult> cells;
        QStringList labels;
        for (const hunt::Conditions &c : config.conditions) {
            hunt::CellResult r;
            r.conditions = c;
            cells << r;
            labels << demohunt::conditionsText(r);
        }
        QCOMPARE(QSet<QString>(labels.begin(), labels.end()),
                 (QSet<QString>{
                     QStringLiteral("settle 0 ms, fault=none"), QStringLiteral("settle 0 ms, fault=unload_race"),
                     QStringLiteral("settle 20 ms, fault=none"), QStringLiteral("settle 20 ms, fault=unload_race")}));
        const qsizetype clean = labels.indexOf(QStringLiteral("settle 0 ms, fault=none"));
        const qsizetype race = labels.indexOf(QStringLiteral("settle 0 ms, fault=unload_race"));
        QVERIFY(clean < race); // grid order: a settle time's clean cell first
        for (int i = 0; i < 4; ++i)
            cells[clean].addCycle(QStringLiteral("pass"), {});
        cells[race].addCycle(QStringLiteral("crash"),
                             {QStringLiteral("NULL pointer dereference in prudaq_comm_receive_msg")});
        QVERIFY2(demohunt::rateText(cells[clean]).startsWith(QStringLiteral("0/4 crashed, rate below")),
                 qPrintable(demohunt::rateText(cells[clean])));
        QVERIFY2(demohunt::rateText(cells[race]).startsWith(QStringLiteral("1/1 crashed, rate 100%")),
                 qPrintable(demohunt::rateText(cells[race])));
        QCOMPARE(demohunt::rateText(cells[labels.indexOf(QStringLiteral("settle 20 ms, fault=none"))]),
                 QStringLiteral("not run yet"));

        // What the demo leaves in the console when the hunt ends.
        hunt::HuntResult result;
        result.cells = cells;
        result.totalCycles = 5;
        const QStringList lines = demohunt::summary(result);
        QCOMPARE(lines.size(), 1 + 4);
        QVERIFY2(lines.first().startsWith(QStringLiteral("hunt: 5 cycles in ")), qPrintable(lines.first()));
        QCOMPARE(lines[1 + race],
                 QStringLiteral("hunt: cell %1 (settle 0 ms, fault=unload_race): %2")
                     .arg(race + 1)
                     .arg(demohunt::rateText(cells[race])));
    }

    void oneHuntDock()
    {
        // The demo drives the window's Hunt dock: a newcomer sees one.
        StartOptions o;
        o.connect = false;
        o.sessionLog = false;
        MainWindow w(o);
        int hunts = 0;
        for (const QDockWidget *dock : w.findChildren<QDockWidget *>())
            hunts += dock->windowTitle().contains(QStringLiteral("Hunt"));
        QCOMPARE(hunts, 1);
        QVERIFY(!w.demoMenu()->huntRunning());
    }

private:
    QTemporaryDir m_dir;
    QString m_node;
};

QTEST_MAIN(TestGuiDemo)
#include "tst_gui_demo.moc"
