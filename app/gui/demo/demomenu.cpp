#include "demomenu.h"

#include "cycle/cycleconfig.h"
#include "cyclesview.h"
#include "demohunt.h"
#include "huntview.h"
#include "link/shellquote.h"
#include "log/logline.h"
#include "mainwindow.h"
#include "node/nodesession.h"
#include "telemetry/telemetryhub.h"
#include "telemetryview.h"
#include "virtualnode.h"

#include <QAction>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QScrollArea>
#include <QStatusBar>
#include <QTimer>

namespace kms::gui {

namespace {

const QString telemetryFile = QStringLiteral("/sys/kernel/debug/prudaq/telemetry");

} // namespace

DemoMenu::DemoMenu(MainWindow *window)
    : QObject(window)
    , m_window(window)
    , m_menu(window->menuBar()->addMenu(tr("&Demo")))
{
    m_menu->setObjectName(QStringLiteral("DemoMenu"));
    m_menu->setToolTipsVisible(true);
    const auto add = [this](Step step, const QString &text, const QString &tip) {
        QAction *a = m_menu->addAction(text, this, [this, step] { run(step); });
        a->setToolTip(tip);
        a->setStatusTip(tip);
        m_actions.insert(step, a);
    };
    add(Step::UnloadRace, tr("Unload race: a decoded panic"),
        tr("Cycles prudaq with fault=unload_race (the seed's bug): the panic, decoded and explained, "
           "its line in Source"));
    add(Step::UseAfterFree, tr("Use after free: slab poison"),
        tr("Cycles prudaq with fault=unload_uaf: a general protection fault on 0x6b6b... (freed memory)"));
    add(Step::ConsumerStall, tr("Consumer stall: a filling buffer"),
        tr("Loads prudaq with fault=consumer_stall (40 samples/s) and plots its telemetry: the sample "
           "buffers fill up in 13 s"));
    add(Step::ClockJump, tr("Clock jump: a sync jump"),
        tr("Loads prudaq with fault=clock_jump and plots its telemetry: the sync error jumps every 3 s"));
    add(Step::Leak, tr("Leak: a leak verdict"),
        tr("Cycles prudaq with fault=leak: each cycle's verdict names the allocation never freed"));
    m_menu->addSeparator();
    add(Step::Hunt, tr("Short hunt: a crash-rate grid"),
        tr("Hunts over fault=none,unload_race x settle 0,20 ms, a few cycles a cell"));
    m_menu->addSeparator();
    add(Step::Stop, tr("Stop the demo"), tr("Ends the run, the hunt and the telemetry; unloads prudaq"));
    m_menu->menuAction()->setVisible(false);
    connect(window->huntView(), &HuntView::runningChanged, this, &DemoMenu::onHuntRunning);
    connect(this, &DemoMenu::message, window->statusBar(),
            [window](const QString &text) { window->statusBar()->showMessage(text, 15000); });
}

DemoMenu::~DemoMenu() = default;

void DemoMenu::setProfile(const Profile &profile)
{
    m_profile = profile;
    m_menu->menuAction()->setVisible(isVirtualNodeProfile(profile));
}

bool DemoMenu::isShown() const
{
    return m_menu->menuAction()->isVisible();
}

QAction *DemoMenu::action(Step step) const
{
    return m_actions.value(step);
}

QByteArray DemoMenu::reloadCommand(const QString &params)
{
    // A reader of prudaq's debugfs files pins the module; busybox has no pkill. The pattern is
    // anchored at "cat ", so this shell (whose command line holds it too) is not matched.
    QByteArray cmd = "for p in /proc/[0-9]*; do case \"$(tr '\\0' ' ' <$p/cmdline 2>/dev/null)\" in "
                     "'cat /sys/kernel/debug/prudaq/'*) kill ${p#/proc/} 2>/dev/null;; esac; done; "
                     "for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/module/prudaq ] || break; "
                     "rmmod prudaq 2>/dev/null || sleep 0.3; done; "
                     "[ ! -e /sys/module/prudaq ] || { echo 'prudaq is still loaded (in use?)' >&2; exit 1; }";
    if (!params.isEmpty()) {
        QStringList words{QStringLiteral("modprobe"), QStringLiteral("prudaq")};
        words += params.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        cmd += "; " + shellCommand(words);
    }
    return cmd;
}

void DemoMenu::say(const QString &text)
{
    Q_EMIT message(text);
}

void DemoMenu::run(Step step)
{
    if (!m_window->session()->sshUp()) {
        say(tr("Demo: SSH to the virtual node is not up yet (it may be rebooting after a panic); "
               "try again in a few seconds"));
        return;
    }
    stopAll();
    switch (step) {
    case Step::UnloadRace:
        reload({}, [this] { startCycles(QStringLiteral("fault=unload_race"), 3); });
        say(tr("Demo: the seed's bug, reloading prudaq with fault=unload_race; the node panics and reboots"));
        break;
    case Step::UseAfterFree:
        reload({}, [this] { startCycles(QStringLiteral("fault=unload_uaf"), 3); });
        say(tr("Demo: prudaq frees its message state on unload while its timer still runs"));
        break;
    case Step::Leak:
        reload({}, [this] { startCycles(QStringLiteral("fault=leak"), 3); });
        say(tr("Demo: prudaq with fault=leak keeps one allocation per load"));
        break;
    case Step::ConsumerStall:
        // 40 samples/s: the 512-sample buffers take 13 s to fill, so the ramp is on screen.
        reload(QStringLiteral("fault=consumer_stall sample_rate_hz=40"), [this] { startTelemetry(45); });
        say(tr("Demo: nobody consumes prudaq's samples; watch its buffers fill in Telemetry"));
        break;
    case Step::ClockJump:
        reload(QStringLiteral("fault=clock_jump"), [this] {
            startTelemetry(55);
            // The sync error's plot is the third, under the fills and the counters: show it
            // once the plots exist (they are made when the first samples arrive).
            QTimer::singleShot(4000, this, [this] { revealPlotOf(QStringLiteral("sync_err_ns")); });
        });
        say(tr("Demo: PRU1's clock jumps 7 ms every 3 s; watch the sync error in Telemetry"));
        break;
    case Step::Hunt:
        reload({}, [this] { startHunt(); });
        say(tr("Demo: a short hunt, fault=none against fault=unload_race"));
        break;
    case Step::Stop:
        reload({}, [this] { say(tr("Demo stopped; prudaq is unloaded")); });
        break;
    }
}

void DemoMenu::stopAll()
{
    telemetry::TelemetryHub *hub = m_window->telemetryHub();
    hub->setSources({});
    hub->detach();
    hub->stop();
    if (m_window->cyclesView()->runner()->running())
        m_window->cyclesView()->stop();
    if (m_window->huntView()->running())
        m_window->huntView()->stop();
}

void DemoMenu::reload(const QString &params, std::function<void()> then)
{
    SshLink *ssh = m_window->session()->ssh();
    disconnect(m_reloadConnection); // a step clicked before the last one's reload answered
    m_afterReload = std::move(then);
    m_reloadConnection
        = connect(ssh, &SshLink::commandFinished, this, [this](quint64 id, const SshCommandResult &result) {
              if (id == m_reloadCommand)
                  onReloaded(result);
          });
    m_reloadCommand = ssh->runShell(reloadCommand(params));
}

void DemoMenu::onReloaded(const SshCommandResult &result)
{
    disconnect(m_reloadConnection);
    m_reloadCommand = 0;
    if (!result.ok()) {
        say(tr("Demo: reloading prudaq failed: %1")
                .arg(result.error.isEmpty() ? QString::fromUtf8(result.standardError).trimmed() : result.error));
        return;
    }
    if (auto then = std::exchange(m_afterReload, {}))
        then();
}

void DemoMenu::startCycles(const QString &params, int count)
{
    CyclesView *cycles = m_window->cyclesView();
    if (cycles->runner()->running()) { // stopAll() asked it to stop: it leaves the module first
        connect(
            cycles->runner(), &CycleRunner::runFinished, this, [this, params, count] { startCycles(params, count); },
            Qt::SingleShotConnection);
        return;
    }
    CycleRunConfig c = CycleRunConfig::fromJson(m_profile.cycleRun);
    c.module = QStringLiteral("prudaq");
    c.params = {params};
    c.insmodPath.clear();
    c.count = count;
    c.untilFailure = false;
    c.stopOnCrash = true;
    cycles->setProfileConfig(c.toJson(), {c.module});
    m_window->telemetryDock()->hide(); // stopped: the cycles' table gets the room
    m_window->cyclesDock()->show();
    m_window->cyclesDock()->raise();
    cycles->start();
}

void DemoMenu::startTelemetry(int heightPercent)
{
    telemetry::TelemetryHub *hub = m_window->telemetryHub();
    hub->setSources({*telemetry::TelemetrySourceSpec::parse(QStringLiteral("stream:") + telemetryFile)});
    hub->attach(m_window->session());
    m_window->huntDock()->hide();
    m_window->telemetryDock()->show();
    m_window->telemetryDock()->raise();
    // Tall enough to read the buffer fill and the sync error at a glance.
    m_window->resizeDocks({m_window->telemetryDock()}, {m_window->height() * heightPercent / 100}, Qt::Vertical);
}

void DemoMenu::revealPlotOf(const QString &key)
{
    TelemetryView *view = m_window->telemetryView();
    auto *scroll = view->findChild<QScrollArea *>();
    for (int i = 0; scroll && i < view->plotCount(); ++i) {
        if (view->plotKeys(i).contains(key)) {
            scroll->ensureWidgetVisible(view->plot(i)->widget(), 0, 0);
            return;
        }
    }
}

void DemoMenu::startHunt()
{
    // stopAll() asked the run or the last hunt to stop: each leaves the module unloaded first.
    CycleRunner *cycles = m_window->cyclesView()->runner();
    if (cycles->running()) {
        connect(cycles, &CycleRunner::runFinished, this, &DemoMenu::startHunt, Qt::SingleShotConnection);
        return;
    }
    HuntView *hunt = m_window->huntView();
    if (hunt->running()) {
        connect(hunt, &HuntView::runningChanged, this, &DemoMenu::startHunt, Qt::SingleShotConnection);
        return;
    }
    demohunt::fillForm(hunt->form());
    m_window->telemetryDock()->hide(); // stopped: the heat map gets the room
    m_window->huntDock()->show();
    m_window->huntDock()->raise();
    m_huntStarted = true;
    hunt->start();
    if (!hunt->running()) {
        m_huntStarted = false;
        say(tr("Demo: the hunt did not start: %1").arg(hunt->statusText()));
    }
}

void DemoMenu::onHuntRunning(bool running)
{
    if (running || !m_huntStarted)
        return;
    m_huntStarted = false;
    const auto result = m_window->huntView()->result();
    if (!result)
        return;
    // The grid into the session, as the CLI prints it: the console and the session log keep it.
    QList<LogLine> lines;
    for (const QString &text : demohunt::summary(*result))
        lines.append(LogLine{hostTimeNowNs(), QStringLiteral("hunt"), text.toUtf8(), LogLine::Event});
    m_window->session()->feedLines(lines);
    say(tr("Demo: the hunt is done; its grid is in the Hunt dock and the console"));
}

} // namespace kms::gui
