// MainWindow's links: connecting and disconnecting serial and SSH on the session, their state
// in the status bar, the host-key question and what the Source dock may fetch over SSH.
#include "mainwindow.h"

#include "consoleview.h"
#include "reportsview.h"
#include "sourceview.h"
#include "sshlogin.h"

#include <QLabel>
#include <QMessageBox>
#include <QStatusBar>
#include <QToolBar>

namespace kms::gui {

namespace {

QString serialStateName(SerialLink::State state)
{
    switch (state) {
    case SerialLink::State::Closed:
        return MainWindow::tr("closed");
    case SerialLink::State::Waiting:
        return MainWindow::tr("waiting for device");
    case SerialLink::State::Open:
        return MainWindow::tr("up");
    case SerialLink::State::Lost:
        return MainWindow::tr("lost, reconnecting");
    case SerialLink::State::Error:
        return MainWindow::tr("error");
    }
    return {};
}

QString sshStateName(SshLink::State state)
{
    switch (state) {
    case SshLink::State::Disconnected:
        return MainWindow::tr("disconnected");
    case SshLink::State::Connecting:
        return MainWindow::tr("connecting");
    case SshLink::State::Up:
        return MainWindow::tr("up");
    case SshLink::State::Lost:
        return MainWindow::tr("lost, reconnecting");
    case SshLink::State::AuthFailed:
        return MainWindow::tr("auth failed");
    case SshLink::State::HostKeyUnknown:
        return MainWindow::tr("unknown host key");
    case SshLink::State::HostKeyChanged:
        return MainWindow::tr("HOST KEY CHANGED");
    case SshLink::State::Error:
        return MainWindow::tr("error");
    }
    return {};
}

QString stateStyle(bool good, bool bad)
{
    return good ? QStringLiteral("color: #007000; font-weight: bold")
        : bad   ? QStringLiteral("color: #b00000; font-weight: bold")
                : QStringLiteral("color: #806000");
}

} // namespace

void MainWindow::connectSerial()
{
    if (m_profile.serialPort.isEmpty())
        return;
    m_session->startSerial(serialSettings(m_profile));
    m_serialAction->setChecked(true);
    m_consoleView->setInputEnabled(true);
}

void MainWindow::disconnectSerial()
{
    m_session->stopSerial(); // reports Closed
    m_serialAction->setChecked(false);
    m_consoleView->setInputEnabled(false);
}

QString MainWindow::secretKey() const
{
    const QString user = m_profile.sshUser.isEmpty() ? qEnvironmentVariable("USER") : m_profile.sshUser;
    return SshLogin::keyFor(user, m_profile.sshHost, m_profile.sshPort > 0 ? m_profile.sshPort : 22);
}

void MainWindow::connectSsh()
{
    if (m_profile.sshHost.isEmpty())
        return;
    if (!m_profile.sshPasswordLogin) {
        startSsh({});
        return;
    }
    m_sshAction->setChecked(true);
    m_login->request(secretKey()); // answered by passwordReady or cancelled
}

void MainWindow::startSsh(const QString &password)
{
    SshSettings s;
    s.allowPassword = !password.isEmpty();
    s.password = password;
    s.host = m_profile.sshHost;
    s.port = m_profile.sshPort;
    s.user = m_profile.sshUser;
    s.knownHostsFile = m_profile.knownHosts;
    if (!m_profile.sshKey.isEmpty())
        s.identityFiles = {m_profile.sshKey};
    m_session->startSsh(s, m_profile.kernelLogCommand.toUtf8());
    m_sshAction->setChecked(true);
}

void MainWindow::disconnectSsh()
{
    m_login->cancel();
    m_session->stopSsh(); // reports Disconnected
    m_sshAction->setChecked(false);
}

void MainWindow::setSerialState(SerialLink::State state, const QString &detail)
{
    m_serialState->setText(QStringLiteral(" %1 ").arg(serialStateName(state)));
    m_serialState->setToolTip(detail);
    m_serialState->setStyleSheet(stateStyle(state == SerialLink::State::Open,
                                            state == SerialLink::State::Error || state == SerialLink::State::Lost));
}

void MainWindow::setSshState(SshLink::State state, const QString &detail)
{
    m_sshState->setText(QStringLiteral(" %1 ").arg(sshStateName(state)));
    m_sshState->setToolTip(detail);
    const bool bad = state == SshLink::State::AuthFailed || state == SshLink::State::HostKeyChanged
        || state == SshLink::State::Error || state == SshLink::State::Lost;
    m_sshState->setStyleSheet(stateStyle(state == SshLink::State::Up, bad));
    updateFetchAvailable();
    m_login->linkStateChanged(state);
    if (state == SshLink::State::HostKeyChanged)
        statusBar()->showMessage(tr("SSH: the host key of %1 CHANGED — refused. %2").arg(m_profile.sshHost, detail));
}

QString MainWindow::serialStateText() const
{
    return m_serialState->text().trimmed();
}

QString MainWindow::sshStateText() const
{
    return m_sshState->text().trimmed();
}

void MainWindow::onHostKeyUnknown(const QString &host, const QString &fingerprint)
{
    QMessageBox box(QMessageBox::Question, tr("Unknown host key"),
                    tr("The host %1 is not known yet.\n\nIts key fingerprint is:\n%2\n\n"
                       "Trust it and remember it in known_hosts?")
                        .arg(host, fingerprint),
                    QMessageBox::Yes | QMessageBox::No, this);
    box.setObjectName(QStringLiteral("HostKeyDialog"));
    box.setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_session->answerHostKey(box.exec() == QMessageBox::Yes);
}

void MainWindow::updateFetchAvailable()
{
    const bool up = m_session->canFetch();
    const QString why = m_profile.sshHost.isEmpty() ? tr("This profile has no SSH host")
                                                    : tr("SSH to %1 is not up").arg(m_profile.sshHost);
    m_reportsView->setFetchAvailable(up, why);
    m_sourceView->setFetchAvailable(up, why);
}

} // namespace kms::gui
