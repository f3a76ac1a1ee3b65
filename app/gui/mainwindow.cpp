#include "mainwindow.h"

#include "consoleactions.h"
#include "consolemodel.h"
#include "consoleview.h"
#include "copyaction.h"
#include "cyclesview.h"
#include "demomenu.h"
#include "huntview.h"
#include "logopener.h"
#include "report/reportformatter.h"
#include "reportactions.h"
#include "reportfollower.h"
#include "reportsmodel.h"
#include "reportsview.h"
#include "selectiondecoder.h"
#include "sourceview.h"
#include "sshlogin.h"
#include "telemetry/cycletimeline.h"
#include "telemetry/telemetryhub.h"
#include "telemetry/telemetrystore.h"
#include "telemetryview.h"
#include "viewmenu.h"
#include "virtualnode.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QTreeWidget>
#include <QUrl>

namespace kms::gui {

namespace {

// File names from user text (profile and host names).
QString fileNameSafe(QString text)
{
    static const QRegularExpression unsafe(QStringLiteral("[^A-Za-z0-9._-]+"));
    text.replace(unsafe, QStringLiteral("_"));
    return text.isEmpty() ? QStringLiteral("node") : text;
}

} // namespace

MainWindow::MainWindow(const StartOptions &options, QWidget *parent)
    : QMainWindow(parent)
    , m_options(options)
{
    setWindowTitle(QStringLiteral("kmodscope"));
    setObjectName(QStringLiteral("MainWindow"));
    setDockNestingEnabled(true);

    m_consoleModel = new ConsoleModel(this);
    m_consoleModel->setMaxLines(
        QSettings().value(QStringLiteral("console/maxLines"), ConsoleModel::defaultMaxLines).toInt());
    m_consoleView = new ConsoleView(m_consoleModel, this);
    m_reportsModel = new ReportsModel(this);
    m_reportsView = new ReportsView(m_reportsModel, this);
    m_sourceView = new SourceView(this);
    m_follower = new ReportFollower(m_reportsModel, m_reportsView, this);
    connect(m_follower, &ReportFollower::openFrame, this,
            [this](int id, int frame) { onFrameActivated(id, frame, -1); });
    m_session = new NodeSession(NodeSession::defaultIdleFlushMs, this);
    m_login = new SshLogin(this);
    connect(m_login, &SshLogin::passwordReady, this, [this](const QString &password) {
        if (m_sshAction->isChecked() && !m_session->ssh())
            startSsh(password);
    });
    connect(m_login, &SshLogin::cancelled, this, [this] {
        disconnectSsh();
        statusBar()->showMessage(tr("SSH: no password given, not connected"), 8000);
    });
    connect(m_login, &SshLogin::message, statusBar(), &QStatusBar::showMessage);

    auto makeDock = [this](const QString &title, const QString &name, QWidget *w, Qt::DockWidgetArea area) {
        auto *dock = new QDockWidget(title, this);
        dock->setObjectName(name);
        dock->setWidget(w);
        dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
        addDockWidget(area, dock);
        return dock;
    };
    // No central widget: the three docks share the window and the user arranges them.
    m_consoleDock = makeDock(tr("Console"), QStringLiteral("ConsoleDock"), m_consoleView, Qt::LeftDockWidgetArea);
    m_reportsDock = makeDock(tr("Reports"), QStringLiteral("ReportsDock"), m_reportsView, Qt::RightDockWidgetArea);
    m_sourceDock = makeDock(tr("Source"), QStringLiteral("SourceDock"), m_sourceView, Qt::RightDockWidgetArea);
    splitDockWidget(m_consoleDock, m_reportsDock, Qt::Horizontal);
    splitDockWidget(m_reportsDock, m_sourceDock, Qt::Vertical);
    resizeDocks({m_consoleDock, m_reportsDock}, {55, 45}, Qt::Horizontal);
    resizeDocks({m_reportsDock, m_sourceDock}, {50, 50}, Qt::Vertical);
    m_telemetryStore = std::make_unique<telemetry::TelemetryStore>();
    m_telemetryView = new TelemetryView(m_telemetryStore.get(), this);
    m_telemetryDock
        = makeDock(tr("Telemetry"), QStringLiteral("TelemetryDock"), m_telemetryView, Qt::BottomDockWidgetArea);
    m_telemetryDock->hide(); // until samples arrive
    connect(m_telemetryView, &TelemetryView::firstData, this, [this] {
        if (m_telemetryDock->isVisible())
            return; // where the restored layout put it
        // Room for two or three plots: a dock at its minimum height shows a strip of one.
        m_telemetryDock->show();
        resizeDocks({m_telemetryDock}, {height() * 2 / 5}, Qt::Vertical);
    });
    // A click on a report's marker opens the report, which scrolls the console to its lines.
    connect(m_telemetryView, &TelemetryView::reportActivated, m_reportsView,
            [this](int id) { m_reportsView->selectReport(id); });
    // The profile's telemetry sources, run over the session's SSH link, feed the store.
    m_telemetryHub = new telemetry::TelemetryHub(this);
    connect(m_telemetryHub, &telemetry::TelemetryHub::samples, this,
            [this](const QList<telemetry::TelemetrySet> &sets) { m_telemetryStore->append(sets); });
    connect(m_telemetryHub, &telemetry::TelemetryHub::gap, this,
            [this](const telemetry::TelemetryGap &gap) { m_telemetryStore->addGap(gap); });
    connect(m_telemetryHub, &telemetry::TelemetryHub::alarm, m_telemetryView, &TelemetryView::addAlarm);
    // Reload cycles on this window's session; a click on a cycle shows its report or its lines.
    m_cyclesView = new CyclesView(m_session, this);
    m_cyclesDock = makeDock(tr("Cycles"), QStringLiteral("CyclesDock"), m_cyclesView, Qt::LeftDockWidgetArea);
    splitDockWidget(m_consoleDock, m_cyclesDock, Qt::Vertical); // the reports keep their height
    resizeDocks({m_consoleDock, m_cyclesDock}, {60, 40}, Qt::Vertical);
    connect(m_cyclesView, &CyclesView::reportRequested, m_reportsView,
            [this](int id) { m_reportsView->selectReport(id); });
    connect(m_cyclesView, &CyclesView::consoleLineRequested, this, [this](quint64 seq) {
        for (int line : m_consoleLines.lines({seq}))
            m_consoleView->revealLine(line);
    });
    // The cycles' boundaries on the telemetry's time axis; a click on one shows the cycle.
    m_cycleTimeline = new telemetry::CycleTimeline(this);
    m_cycleTimeline->follow(m_session, m_cyclesView->runner(), m_telemetryHub);
    connect(m_cycleTimeline, &telemetry::CycleTimeline::boundary, m_telemetryView, &TelemetryView::addCycleBoundary);
    connect(m_cycleTimeline, &telemetry::CycleTimeline::verdictChanged, m_telemetryView,
            &TelemetryView::setCycleVerdict);
    connect(m_cycleTimeline, &telemetry::CycleTimeline::runChanged, m_telemetryView, &TelemetryView::clearCycles);
    connect(m_telemetryView, &TelemetryView::cycleActivated, this, [this](int n) {
        if (m_cyclesView->selectCycle(n)) {
            m_cyclesDock->show();
            m_cyclesDock->raise();
        }
    });
    connect(m_cyclesView, &CyclesView::configChanged, this, [this](const QJsonObject &run) {
        m_profile.cycleRun = run;
        if (!m_profile.name.isEmpty())
            ProfileStore::save(m_profile);
    });

    // Race hunts on the same session, a tab beside the cycles; one of the two drives the node at a time.
    m_huntView = new HuntView(m_session, this);
    m_huntDock = makeDock(tr("Hunt"), QStringLiteral("HuntDock"), m_huntView, Qt::LeftDockWidgetArea);
    tabifyDockWidget(m_cyclesDock, m_huntDock);
    m_cyclesDock->raise();
    m_huntView->setNodeBusyCheck([this] {
        return m_cyclesView->runner()->running() ? tr("the Cycles dock is running cycles on the node") : QString();
    });
    connect(m_huntView, &HuntView::runningChanged, m_cyclesView, &QWidget::setDisabled);
    connect(m_huntView, &HuntView::reportRequested, m_reportsView, [this](int id) { m_reportsView->selectReport(id); });

    m_logOpener = new LogOpener(m_session, this);
    connect(m_logOpener, &LogOpener::message, statusBar(), &QStatusBar::showMessage);
    // Right-click menus and their shortcuts: what they need of the session and the Source dock.
    m_consoleActions = new ConsoleActions(m_consoleView);
    auto *selection = new SelectionDecoder(m_session, m_reportsView, this);
    connect(m_consoleActions, &ConsoleActions::decodeRequested, selection, &SelectionDecoder::decode);
    connect(selection, &SelectionDecoder::message, statusBar(), &QStatusBar::showMessage);
    ReportActions *reportActions = m_reportsView->actions();
    connect(reportActions, &ReportActions::message, statusBar(), &QStatusBar::showMessage);
    connect(reportActions, &ReportActions::decodeAgainRequested, m_session, qOverload<int>(&NodeSession::resolveAgain));
    connect(reportActions, &ReportActions::openInEditorRequested, this, [this](int id, int frame, int caller) {
        onFrameActivated(id, frame, caller);
        m_sourceView->openInEditor();
    });
    buildActions();

    connectSession();
    connect(m_reportsModel, &ReportsModel::unreadCountChanged, this, &MainWindow::updateReportsTitle);
    connect(m_reportsView, &ReportsView::frameActivated, this, &MainWindow::onFrameActivated);
    connect(m_sourceView, &SourceView::pathMapRequested, this, &MainWindow::onPathMapRequested);
    connect(m_sourceView, &SourceView::sourceFetchRequested, m_session, &NodeSession::fetchSource);
    connect(m_reportsView, &ReportsView::moduleFetchRequested, m_session, &NodeSession::fetchModules);
    // The console shows where the selected report is; the user came to read it, not the tail.
    connect(m_reportsView, &ReportsView::reportSelected, this, [this](int id) {
        if (m_reportsView->selectingByApp())
            return; // a new report followed: the console keeps following the tail
        const ReportsModel::Entry *e = m_reportsModel->entry(id);
        if (e && !e->rows.isEmpty())
            m_consoleView->revealLine(e->rows.first());
    });
    connect(m_reportsView, &ReportsView::moduleFilePicked, this, [this](const QString &path) {
        m_profile.koPaths.append(path);
        if (!m_profile.name.isEmpty())
            ProfileStore::save(m_profile);
        updateSymbolConfig();
        m_session->resolveAgain();
    });
    connect(m_consoleView, &ConsoleView::frameClicked, this, [this](int reportId, const QString &span) {
        const int frame = frameForSpan(reportId, span);
        m_reportsView->selectReport(reportId);
        if (frame >= 0) {
            if (QTreeWidgetItem *item = m_reportsView->frameItem(frame))
                m_reportsView->frameTree()->setCurrentItem(item);
            onFrameActivated(reportId, frame, -1);
        }
    });
    connect(m_consoleView, &ConsoleView::sendRequested, this, [this](const QByteArray &bytes) {
        if (SerialLink *serial = m_session->serial())
            serial->send(bytes);
    });
    connect(m_consoleView, &ConsoleView::breakRequested, this, [this] {
        if (SerialLink *serial = m_session->serial())
            serial->sendBreak();
    });

    resize(1400, 850);
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());

    if (options.sessionLog)
        openSessionLog();

    // The profile: named (or the last used), then the command line's additions.
    Profile p;
    const QString name = !options.profile.isEmpty() ? options.profile : ProfileStore::lastUsed();
    if (!name.isEmpty() && !ProfileStore::load(name, &p) && !options.profile.isEmpty())
        statusBar()->showMessage(tr("No profile named \"%1\"").arg(options.profile), 10000);
    if (!options.serial.isEmpty())
        p.serialPort = options.serial;
    if (!options.sshHost.isEmpty()) {
        p.sshHost = options.sshHost;
        p.sshPort = options.sshPort;
        p.sshUser = options.sshUser;
        p.sshKey = options.sshKey;
        p.knownHosts = options.knownHosts;
    }
    for (const QString &ko : options.koPaths) {
        if (!p.koPaths.contains(ko))
            p.koPaths += ko;
    }
    for (const QString &map : options.pathMaps) {
        if (!p.pathMaps.contains(map))
            p.pathMaps += map;
    }
    if (!options.vmlinux.isEmpty())
        p.vmlinux = options.vmlinux;
    if (!options.saveAs.isEmpty()) {
        // Scripts (scripts/demo) hand over a ready profile that the user finds again later.
        p.name = options.saveAs;
        ProfileStore::save(p);
        ProfileStore::setLastUsed(p.name);
    }
    applyProfile(p);
    reloadProfiles();
    if (options.connect) {
        if (!m_profile.serialPort.isEmpty())
            connectSerial();
        if (!m_profile.sshHost.isEmpty())
            connectSsh();
    }
    for (const QString &log : options.logs)
        m_logOpener->open(log);
    if (!options.screenshot.isEmpty())
        takeScreenshotWhenReady(options.screenshot);
}

MainWindow::~MainWindow()
{
    // The telemetry hub before the session: it reads through the session's SSH link.
    delete m_telemetryHub;
    m_telemetryHub = nullptr;
    // The session first (links, then the session log written and synced): it delivers into the
    // models.
    delete m_session;
    m_session = nullptr;
}

void MainWindow::connectSession()
{
    connect(m_session, &NodeSession::linesReceived, this, [this](quint64 firstSeq, const QList<LogLine> &lines) {
        m_consoleLines.add(firstSeq, m_consoleModel->appendLines(lines));
    });
    connect(m_session, &NodeSession::partialLineChanged, m_consoleModel, &ConsoleModel::setPartialLine);
    connect(m_session, &NodeSession::reportDetected, this, &MainWindow::onReportDetected);
    connect(m_session, &NodeSession::duplicateDetected, this,
            [this](int original, const KernelReport &copy, const QList<quint64> &lines) {
                m_consoleModel->markReport(m_consoleLines.lines(lines), original);
                m_reportsModel->addAlsoSeen(original, copy.source);
            });
    connect(m_session, &NodeSession::reportResolved, this, &MainWindow::onReportResolved);
    connect(m_session, &NodeSession::configProblem, this,
            [this](const QString &text) { statusBar()->showMessage(tr("Modules: %1").arg(text), 10000); });
    connect(m_session, &NodeSession::serialStateChanged, this, &MainWindow::setSerialState);
    connect(m_session, &NodeSession::sshStateChanged, this, &MainWindow::setSshState);
    connect(m_session, &NodeSession::hostKeyUnknown, this, &MainWindow::onHostKeyUnknown);
    connect(m_session, &NodeSession::moduleFetchStarted, this, [this](const QString &module) {
        m_reportsView->setFetchStatus(tr("Fetching %1 from the node…").arg(module));
    });
    connect(m_session, &NodeSession::moduleFetched, this, [this](const QString &module, const QString &path) {
        m_reportsView->setFetchStatus(tr("Fetched %1 from the node: %2").arg(module, path));
        statusBar()->showMessage(tr("Fetched %1 from the node").arg(module), 8000);
    });
    connect(m_session, &NodeSession::sourceFetched, this, [this](const QString &, const QString &local) {
        m_sourceView->setFetchStatus(tr("Fetched to %1").arg(local));
        // The session resolves its reports again: the frame shown comes back with the file.
        m_reopenFrame = m_shownFrame;
    });
    connect(m_session, &NodeSession::fetchFailed, this, [this](const QString &what, const QString &error) {
        const QString text = tr("Could not fetch %1: %2").arg(what, error);
        if (what.startsWith(QLatin1Char('/')))
            m_sourceView->setFetchStatus(text);
        else
            m_reportsView->setFetchStatus(text);
        statusBar()->showMessage(text, 15000);
    });
}

void MainWindow::buildActions()
{
    QToolBar *tb = addToolBar(tr("Connection"));
    tb->setObjectName(QStringLiteral("ConnectionToolBar"));
    tb->addWidget(new QLabel(tr(" Profile: "), tb));
    m_profileBox = new QComboBox(tb);
    m_profileBox->setMinimumContentsLength(14);
    tb->addWidget(m_profileBox);
    connect(m_profileBox, &QComboBox::activated, this, [this](int i) {
        Profile p;
        if (ProfileStore::load(m_profileBox->itemText(i), &p)) {
            disconnectSerial();
            disconnectSsh();
            applyProfile(p);
            ProfileStore::setLastUsed(p.name);
        }
    });
    QAction *profiles = tb->addAction(tr("Profiles…"));
    connect(profiles, &QAction::triggered, this, [this] {
        ProfilesDialog dialog(this);
        if (dialog.exec() == QDialog::Accepted && !dialog.selected().isEmpty()) {
            Profile p;
            if (ProfileStore::load(dialog.selected(), &p)) {
                disconnectSerial();
                disconnectSsh();
                applyProfile(p);
                ProfileStore::setLastUsed(p.name);
            }
        }
        reloadProfiles();
    });
    tb->addSeparator();
    m_serialAction = tb->addAction(tr("Serial"));
    m_serialAction->setCheckable(true);
    m_serialAction->setToolTip(tr("Connect / disconnect the serial console"));
    connect(m_serialAction, &QAction::triggered, this, [this](bool on) { on ? connectSerial() : disconnectSerial(); });
    m_serialState = new QLabel(tb);
    tb->addWidget(m_serialState);
    tb->addSeparator();
    m_sshAction = tb->addAction(tr("SSH"));
    m_sshAction->setCheckable(true);
    m_sshAction->setToolTip(tr("Connect / disconnect SSH (follows dmesg)"));
    connect(m_sshAction, &QAction::triggered, this, [this](bool on) { on ? connectSsh() : disconnectSsh(); });
    m_sshState = new QLabel(tb);
    tb->addWidget(m_sshState);
    setSerialState(SerialLink::State::Closed, {});
    setSshState(SshLink::State::Disconnected, {});

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_logOpener->openAction());
    file->addAction(tr("Save console as…"), m_consoleView, &ConsoleView::saveAs);
    file->addAction(tr("Open session log folder"), this, [this] {
        if (!m_session->sessionLogPath().isEmpty())
            QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(m_session->sessionLogPath()).path()));
        else
            statusBar()->showMessage(tr("No session log is written (--no-session-log, or it could not be opened)"),
                                     8000);
    });
    file->addAction(tr("Profiles…"), profiles, &QAction::trigger);
    file->addAction(tr("New profile from virtual node"), this, &MainWindow::newProfileFromVirtualNode);
    file->addSeparator();
    file->addAction(tr("Quit"), QKeySequence::Quit, this, &QWidget::close);
    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    auto *copy = new CopyAction(this);
    copy->addArea(m_consoleView, [this] { m_consoleView->copySelection(); });
    copy->addArea(m_reportsView->frameTree(), [this] { m_reportsView->actions()->copyFrame()->trigger(); });
    copy->addArea(m_reportsView->reportList(), [this] { m_reportsView->actions()->copyTitle()->trigger(); });
    edit->addAction(copy);
    edit->addAction(m_reportsView->actions()->copyBugReport());
    edit->addSeparator();
    edit->addActions({m_consoleActions->find(), m_consoleActions->findNext(), m_consoleActions->findPrevious()});
    edit->addSeparator();
    edit->addAction(tr("Editor command…"), this, [this] {
        bool ok = false;
        const QString cmd
            = QInputDialog::getText(this, tr("Editor command"),
                                    tr("Command to open a file at a line (%f file, %l line; empty: $VISUAL/$EDITOR):"),
                                    QLineEdit::Normal, SourceView::editorCommand(), &ok);
        if (ok)
            SourceView::setEditorCommand(cmd);
    });
    edit->addAction(tr("Console history…"), this, [this] {
        bool ok = false;
        const int lines = QInputDialog::getInt(this, tr("Console history"),
                                               tr("Lines the console keeps (older ones stay in the session log):"),
                                               m_consoleModel->maxLines(), 100000, 20000000, 100000, &ok);
        if (ok) {
            m_consoleModel->setMaxLines(lines);
            QSettings().setValue(QStringLiteral("console/maxLines"), lines);
        }
    });
    m_reportsView->actions()->fillMenu(menuBar()->addMenu(tr("&Reports")));
    m_viewMenu
        = new ViewMenu(this, {m_consoleDock, m_reportsDock, m_sourceDock, m_telemetryDock, m_cyclesDock, m_huntDock},
                       menuBar()->addMenu(tr("&View")));
    m_follower->setFollowNewest(m_viewMenu->followAction()->isChecked());
    connect(m_viewMenu, &ViewMenu::followChanged, m_follower, &ReportFollower::setFollowNewest);
    connect(m_viewMenu, &ViewMenu::layoutReset, this, [this] {
        resizeDocks({m_consoleDock, m_reportsDock}, {width() * 55 / 100, width() * 45 / 100}, Qt::Horizontal);
        resizeDocks({m_reportsDock, m_sourceDock}, {50, 50}, Qt::Vertical);
    });
    m_demo = new DemoMenu(this);
}

void MainWindow::newProfileFromVirtualNode()
{
    // What scripts/demo sets up, for a node started some other way (scripts/vnode up).
    QString why;
    const auto node = findVirtualNode(&why);
    if (!node) {
        QMessageBox::information(this, tr("New profile from virtual node"), why);
        return;
    }
    const Profile p = profileForVirtualNode(*node);
    ProfileStore::save(p);
    ProfileStore::setLastUsed(p.name);
    disconnectSerial();
    disconnectSsh();
    applyProfile(p);
    reloadProfiles();
    connectSerial();
    connectSsh();
    statusBar()->showMessage(tr("Profile \"%1\": the virtual node in %2 (%3)").arg(p.name, node->dir, node->state),
                             10000);
}

void MainWindow::reloadProfiles()
{
    m_profileBox->clear();
    QStringList names = ProfileStore::names();
    if (!m_profile.name.isEmpty() && !names.contains(m_profile.name))
        names.prepend(m_profile.name);
    if (m_profile.name.isEmpty())
        names.prepend(tr("(command line)"));
    m_profileBox->addItems(names);
    m_profileBox->setCurrentText(m_profile.name.isEmpty() ? tr("(command line)") : m_profile.name);
}

void MainWindow::openSessionLog()
{
    // Every line of every source, from the first: the evidence outlives a crash of either side.
    const QString dir = !m_options.sessionLogDir.isEmpty()
        ? m_options.sessionLogDir
        : QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/sessions");
    QDir().mkpath(dir);
    const QString name = QStringLiteral("%1-%2.log")
                             .arg(fileNameSafe(!m_options.saveAs.isEmpty()        ? m_options.saveAs
                                                   : !m_options.profile.isEmpty() ? m_options.profile
                                                                                  : ProfileStore::lastUsed()),
                                  QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    QString error;
    if (!m_session->openSessionLog(QDir(dir).filePath(name), &error))
        statusBar()->showMessage(tr("No session log: %1").arg(error), 15000);
}

QString MainWindow::nodeCacheDir() const
{
    return NodeSession::cacheDirFor(m_profile.sshHost, m_profile.sshPort);
}

void MainWindow::applyProfile(const Profile &profile)
{
    if (profile.sshHost != m_profile.sshHost || profile.sshPort != m_profile.sshPort) {
        // Another node: its log, its modules and its sources are its own.
        m_session->forgetNode();
    }
    m_profile = profile;
    m_session->setNodeCacheDir(nodeCacheDir());
    m_session->setAutoFetchModules(profile.fetchKo && !profile.sshHost.isEmpty());
    // Telemetry only when the profile names sources: otherwise not even the clock is measured.
    const auto telemetrySources = telemetry::TelemetrySourceSpec::parseList(profile.telemetrySource);
    m_telemetryHub->setSources(telemetrySources);
    if (telemetrySources.isEmpty()) {
        m_telemetryHub->detach();
        m_telemetryHub->stop();
    } else {
        m_telemetryHub->attach(m_session);
    }
    updateSymbolConfig();
    m_cyclesView->setProfileConfig(profile.cycleRun, profile.modules, telemetrySources);
    if (m_demo)
        m_demo->setProfile(profile);
    if (!profile.modules.isEmpty())
        m_huntView->setDefaultModule(profile.modules.first());
    m_serialAction->setEnabled(!profile.serialPort.isEmpty());
    m_sshAction->setEnabled(!profile.sshHost.isEmpty());
    m_serialAction->setToolTip(profile.serialPort.isEmpty() ? tr("No serial port in this profile")
                                                            : tr("Serial console on %1").arg(profile.serialPort));
    m_sshAction->setToolTip(profile.sshHost.isEmpty() ? tr("No SSH host in this profile")
                                                      : tr("dmesg over SSH from %1").arg(profile.sshHost));
    setWindowTitle(profile.name.isEmpty() ? QStringLiteral("kmodscope")
                                          : QStringLiteral("%1 — kmodscope").arg(profile.name));
}

void MainWindow::updateSymbolConfig()
{
    m_session->setVmlinux(m_profile.vmlinux);
    m_session->setSymbolConfig(m_profile.koPaths, m_profile.pathMaps);
}

void MainWindow::onReportResolved(int id, const KernelReport &report)
{
    m_reportsModel->setResolved(id, report);
    m_follower->reportResolved(id);
    if (m_reopenFrame.reportId == id) {
        const FrameRef ref = m_reopenFrame;
        m_reopenFrame = {};
        onFrameActivated(ref.reportId, ref.frame, ref.caller);
    }
}

void MainWindow::onReportDetected(int id, const KernelReport &report, const QList<quint64> &lines)
{
    const QList<int> rows = m_consoleLines.lines(lines);
    m_reportsModel->addReport(id, report, rows);
    m_consoleModel->markReport(rows, id);
    // On the telemetry's time axis at its kernel time, printk's clock put on the samples'
    // CLOCK_MONOTONIC (as is until the hub has measured the offset).
    if (report.timestamp) {
        const qint64 at = m_telemetryHub->nodeTimeOfPrintk(*report.timestamp).value_or(qint64(*report.timestamp * 1e9));
        m_telemetryView->addReportMarker(at, id, report.title);
    }
    m_follower->reportDetected(id);
    statusBar()->showMessage(tr("New report: %1").arg(report.title), 8000);
}

void MainWindow::updateReportsTitle(int unread)
{
    m_reportsDock->setWindowTitle(unread > 0 ? tr("Reports (%1 new)").arg(unread) : tr("Reports"));
}

void MainWindow::onFrameActivated(int reportId, int frameIndex, int callerIndex)
{
    const ReportsModel::Entry *e = m_reportsModel->entry(reportId);
    if (!e)
        return;
    m_shownFrame = {reportId, frameIndex, callerIndex};
    m_sourceView->showFrame(e->report, frameIndex, callerIndex);
    m_sourceDock->show();
    m_sourceDock->raise();
}

int MainWindow::frameForSpan(int reportId, const QString &span) const
{
    const ReportsModel::Entry *e = m_reportsModel->entry(reportId);
    if (!e)
        return -1;
    const QString symbol = span.section(QLatin1Char(' '), 0, 0);
    for (qsizetype i = 0; i < e->report.frames.size(); ++i) {
        if (formatFrameSymbol(e->report.frames[i]).section(QLatin1Char(' '), 0, 0) == symbol)
            return int(i);
    }
    return -1;
}

void MainWindow::onPathMapRequested(const QString &missing)
{
    bool ok = false;
    const QString suggestion = QFileInfo(missing).path() + QLatin1Char('=');
    const QString rule = QInputDialog::getText(
        this, tr("Add a source path map"),
        tr("The file was looked for at:\n%1\n\nMap the build path to where the sources are here (OLD=NEW):")
            .arg(missing),
        QLineEdit::Normal, suggestion, &ok);
    if (!ok || !rule.contains(QLatin1Char('=')) || rule.endsWith(QLatin1Char('=')))
        return;
    m_profile.pathMaps.append(rule);
    if (!m_profile.name.isEmpty())
        ProfileStore::save(m_profile);
    updateSymbolConfig();
    m_session->resolveAgain();
}

void MainWindow::takeScreenshotWhenReady(const QString &file)
{
    // Waits for a resolved report whose source the app opened by itself (ReportFollower), else
    // after 20 s opens the first frame with a source as a click would; then grabs the window,
    // the docks, and the reports dock on its Code tab.
    auto *poll = new QTimer(this);
    auto *elapsed = new int(0);
    const QString base = file.endsWith(QLatin1String(".png")) ? file.chopped(4) : file;
    const auto grabAll = [this, file, base, elapsed] {
        const bool ok = grab().save(file);
        m_sourceDock->grab().save(base + QStringLiteral("-source.png"));
        m_reportsDock->grab().save(base + QStringLiteral("-reports.png"));
        if (auto *tabs = m_reportsView->findChild<QTabWidget *>()) {
            tabs->setCurrentWidget(m_reportsView->disassemblyView());
            QApplication::processEvents();
            m_reportsDock->grab().save(base + QStringLiteral("-code.png"));
        }
        delete elapsed;
        QApplication::exit(ok ? 0 : 1);
    };
    connect(poll, &QTimer::timeout, this, [this, poll, elapsed, grabAll] {
        *elapsed += 250;
        if (m_logOpener->reading() == 0 && m_sourceView->currentLine() > 0) {
            poll->stop();
            QTimer::singleShot(1000, this, grabAll);
            return;
        }
        for (int row = 0; row < m_reportsModel->rowCount() && *elapsed > 20000; ++row) {
            const ReportsModel::Entry *e = m_reportsModel->entryAt(row);
            if (!e->resolved)
                continue;
            for (qsizetype i = 0; i < e->report.frames.size(); ++i) {
                if (!e->report.frames[i].sourceExists)
                    continue;
                poll->stop();
                m_reportsView->selectReport(e->id);
                if (QTreeWidgetItem *item = m_reportsView->frameItem(int(i)))
                    m_reportsView->frameTree()->setCurrentItem(item);
                onFrameActivated(e->id, int(i), -1);
                QTimer::singleShot(1000, this, grabAll);
                return;
            }
        }
        if (*elapsed > 60000) {
            poll->stop();
            grab().save(m_options.screenshot);
            delete elapsed;
            QApplication::exit(3);
        }
    });
    poll->start(250);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    // A cycle run in progress asks first (after a stop the dock closes the window itself).
    if (!m_cyclesView->mayClose())
        return event->ignore();
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    QMainWindow::closeEvent(event);
}

} // namespace kms::gui
