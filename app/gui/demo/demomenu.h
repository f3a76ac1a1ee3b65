// The Demo menu of the main window, shown only while the profile is a virtual node's
// (isVirtualNodeProfile): one click per injected fault of prudaq, each driving the window's own
// core objects, so a newcomer sees every part of the app without typing a command.
// - Unload race / Use after free: a short cycle run in the Cycles dock, stopped at the crash; the
//   panic is decoded with its explanation in Reports and its line opened in Source.
// - Consumer stall / Clock jump: prudaq reloaded with the fault and left loaded, its telemetry
//   stream read into the Telemetry dock (a filling buffer, a sync jump with its alarm).
// - Leak: a short cycle run whose verdicts name the leaking allocation (slub_debug=U nodes).
// - Short hunt: the Hunt dock's form set to a 2x2 grid (demohunt::fillForm) and started; the
//   heat map fills in, and the grid is left in the console when it ends.
// - Stop: ends whatever the demo started and unloads prudaq.
// A telemetry reader pins the module (rmmod answers EBUSY), so every step ends the telemetry
// and any reader left on the node before it reloads prudaq.
#pragma once

#include "profile.h"

#include <QObject>

#include <functional>

class QAction;
class QMenu;

namespace kms {
struct SshCommandResult;
}

namespace kms::gui {

class MainWindow;

class DemoMenu : public QObject
{
    Q_OBJECT
public:
    enum class Step { UnloadRace, UseAfterFree, ConsumerStall, ClockJump, Leak, Hunt, Stop };
    Q_ENUM(Step)

    // Adds the menu to the window's menu bar (hidden until setProfile is given a virtual node's).
    explicit DemoMenu(MainWindow *window);
    ~DemoMenu() override;

    void setProfile(const Profile &profile);
    bool isShown() const;
    QMenu *menu() const { return m_menu; }
    QAction *action(Step step) const;
    // Whether the Hunt dock runs the demo's hunt (until it has ended and left its grid in the console).
    bool huntRunning() const { return m_huntStarted; }

    // The node command that reloads prudaq: any telemetry reader ended, the module unloaded if
    // loaded, then loaded with `params` (empty: left unloaded).
    static QByteArray reloadCommand(const QString &params);

public Q_SLOTS:
    void run(kms::gui::DemoMenu::Step step);

Q_SIGNALS:
    void message(const QString &text);

private:
    void stopAll();
    // Runs the reload command over the session's SSH link, then `then` if it succeeded.
    void reload(const QString &params, std::function<void()> then);
    void onReloaded(const kms::SshCommandResult &result);
    void startCycles(const QString &params, int count);
    void startTelemetry(int heightPercent); // the Telemetry dock's share of the window
    void revealPlotOf(const QString &key); // scrolls the Telemetry dock to the key's plot
    void startHunt();
    void onHuntRunning(bool running);
    void say(const QString &text);

    MainWindow *m_window;
    QMenu *m_menu;
    QHash<Step, QAction *> m_actions;
    Profile m_profile;
    bool m_huntStarted = false;
    quint64 m_reloadCommand = 0;
    QMetaObject::Connection m_reloadConnection;
    std::function<void()> m_afterReload;
};

} // namespace kms::gui
