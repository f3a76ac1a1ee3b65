// SshWorker, the session: connecting, host key, login, heartbeat, loss and reconnection. The
// requests on its channels are in sshworker_channels.cpp, file transfers in sshworker_files.cpp.
#include "link/sshworker.h"

#include <QFile>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

namespace kms {

namespace {

constexpr int pumpIntervalMs = 50;
constexpr int heartbeatTickMs = 250;
constexpr int firstBackoffMs = 250;

void setTimeout(ssh_session session, int ms)
{
    long sec = ms / 1000;
    long usec = (ms % 1000) * 1000L;
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &sec);
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &usec);
}

} // namespace

SshWorker::SshWorker(const SshSettings &settings)
    : m_settings(settings)
    , m_pumpTimer(this) // children, so that they move to the link thread with the worker
    , m_heartbeatTimer(this)
    , m_reconnectTimer(this)
{
    m_clock.start();
    m_pumpTimer.setInterval(pumpIntervalMs);
    connect(&m_pumpTimer, &QTimer::timeout, this, &SshWorker::pump);
    m_heartbeatTimer.setInterval(heartbeatTickMs);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &SshWorker::heartbeat);
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &SshWorker::connectSession);
}

SshWorker::~SshWorker()
{
    stop();
}

bool SshWorker::sessionAlive() const
{
    // ssh_is_connected() stays true after the socket died (libssh only clears it in
    // ssh_disconnect); the status bits say whether the transport is still there.
    return m_session && ssh_is_connected(m_session)
        && (ssh_get_status(m_session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) == 0;
}

QString SshWorker::sessionError() const
{
    return m_session ? QString::fromUtf8(ssh_get_error(m_session)) : QString();
}

void SshWorker::setState(SshLink::State state, const QString &detail)
{
    m_state = state;
    m_lastDetail = detail;
    Q_EMIT stateChanged(state, detail);
}

void SshWorker::start()
{
    // Also a retry after AuthFailed/HostKeyChanged/Error, once the user fixed the cause.
    if (m_running && (m_session || m_reconnectTimer.isActive()))
        return;
    m_running = true;
    m_backoffMs = 0;
    connectSession();
}

void SshWorker::stop()
{
    m_reconnectTimer.stop();
    if (!m_running)
        return;
    m_running = false;
    failAll(QStringLiteral("link stopped"), false);
    closeSession();
    setState(SshLink::State::Disconnected, {});
}

void SshWorker::connectSession()
{
    if (!m_running || m_session)
        return;
    setState(SshLink::State::Connecting, m_settings.host);
    m_session = ssh_new();
    ssh_session s = m_session;
    const QByteArray host = m_settings.host.toUtf8();
    ssh_options_set(s, SSH_OPTIONS_HOST, host.constData());
    if (!m_settings.configFile.isEmpty() && !QFile::exists(m_settings.configFile)) {
        closeSession();
        setState(SshLink::State::Error, QStringLiteral("ssh config '%1' does not exist").arg(m_settings.configFile));
        return;
    }
    // The config is read after the host is set: Host blocks match against it.
    const QByteArray config = QFile::encodeName(m_settings.configFile);
    if (ssh_options_parse_config(s, config.isEmpty() ? nullptr : config.constData()) < 0) {
        const QString why = sessionError();
        closeSession();
        setState(SshLink::State::Error, QStringLiteral("cannot use the ssh config: %1").arg(why));
        return;
    }
    if (m_settings.port > 0) {
        const unsigned int port = unsigned(m_settings.port);
        ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    }
    if (!m_settings.user.isEmpty())
        ssh_options_set(s, SSH_OPTIONS_USER, m_settings.user.toUtf8().constData());
    if (!m_settings.knownHostsFile.isEmpty())
        ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, QFile::encodeName(m_settings.knownHostsFile).constData());
    for (const QString &identity : m_settings.identityFiles)
        ssh_options_set(s, SSH_OPTIONS_ADD_IDENTITY, QFile::encodeName(identity).constData());
    // Without NODELAY every command waits for Nagle: ~55 ms instead of ~15 ms (NODE-NOTES).
    const int nodelay = 1;
    ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay);
    setTimeout(s, m_settings.connectTimeoutMs);

    char *resolvedHost = nullptr;
    char *resolvedUser = nullptr;
    unsigned int port = 22;
    ssh_options_get(s, SSH_OPTIONS_HOST, &resolvedHost);
    ssh_options_get(s, SSH_OPTIONS_USER, &resolvedUser);
    ssh_options_get_port(s, &port);
    m_target = QStringLiteral("%1@%2:%3")
                   .arg(QString::fromUtf8(resolvedUser ? resolvedUser : "?"),
                        QString::fromUtf8(resolvedHost ? resolvedHost : host.constData()))
                   .arg(port);
    ssh_string_free_char(resolvedHost);
    ssh_string_free_char(resolvedUser);

    if (ssh_connect(s) != SSH_OK) {
        lose(QStringLiteral("cannot connect to %1: %2").arg(m_target, sessionError()));
        return;
    }
    checkHostKey();
}

void SshWorker::checkHostKey()
{
    ssh_session s = m_session;
    QString fingerprint;
    QString keyType;
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(s, &key) == SSH_OK) {
        unsigned char *hash = nullptr;
        size_t length = 0;
        if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0) {
            char *text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
            fingerprint = QString::fromUtf8(text);
            ssh_string_free_char(text);
            ssh_clean_pubkey_hash(&hash);
        }
        keyType = QString::fromUtf8(ssh_key_type_to_char(ssh_key_type(key)));
        ssh_key_free(key);
    }
    char *knownHosts = nullptr;
    ssh_options_get(s, SSH_OPTIONS_KNOWNHOSTS, &knownHosts);
    const QString knownHostsFile = QString::fromUtf8(knownHosts ? knownHosts : "~/.ssh/known_hosts");
    ssh_string_free_char(knownHosts);

    switch (ssh_session_is_known_server(s)) {
    case SSH_KNOWN_HOSTS_OK:
        authenticate();
        return;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
        const QString why
            = QStringLiteral(
                  "REFUSED: the host key of %1 is not the one recorded in %2 (it now offers %3 %4). The node "
                  "may have been reinstalled, or someone may be intercepting the connection. If you know "
                  "the change is expected, remove the old entry (ssh-keygen -R HOST -f %2) and connect again.")
                  .arg(m_target, knownHostsFile, keyType, fingerprint);
        closeSession();
        failAll(why, false);
        setState(SshLink::State::HostKeyChanged, why);
        return;
    }
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
        break;
    case SSH_KNOWN_HOSTS_ERROR:
    default: {
        const QString why = QStringLiteral("cannot check the host key of %1 against %2: %3")
                                .arg(m_target, knownHostsFile, sessionError());
        closeSession();
        failAll(why, false);
        setState(SshLink::State::Error, why);
        return;
    }
    }

    switch (m_settings.unknownHostKey) {
    case SshSettings::UnknownHostKey::Accept:
        if (ssh_session_update_known_hosts(s) != SSH_OK) {
            const QString why
                = QStringLiteral("cannot record the host key in %1: %2").arg(knownHostsFile, sessionError());
            closeSession();
            failAll(why, false);
            setState(SshLink::State::Error, why);
            return;
        }
        authenticate();
        return;
    case SshSettings::UnknownHostKey::Reject: {
        const QString why = QStringLiteral("REFUSED: %1 offers an unknown host key (%2 %3), not in %4, and "
                                           "new keys are not accepted here")
                                .arg(m_target, keyType, fingerprint, knownHostsFile);
        closeSession();
        failAll(why, false);
        setState(SshLink::State::HostKeyUnknown, why);
        Q_EMIT hostKeyUnknown(m_target, fingerprint);
        return;
    }
    case SshSettings::UnknownHostKey::Ask:
        // The session waits, connected, for answerHostKey().
        setState(SshLink::State::HostKeyUnknown,
                 QStringLiteral("%1 offers an unknown host key (%2 %3)").arg(m_target, keyType, fingerprint));
        Q_EMIT hostKeyUnknown(m_target, fingerprint);
        return;
    }
}

void SshWorker::answerHostKey(bool accept)
{
    if (!m_session || m_state != SshLink::State::HostKeyUnknown)
        return;
    if (!accept) {
        closeSession();
        const QString why = QStringLiteral("host key of %1 not accepted").arg(m_target);
        failAll(why, false);
        setState(SshLink::State::HostKeyUnknown, why);
        return;
    }
    if (ssh_session_update_known_hosts(m_session) != SSH_OK) {
        const QString why = QStringLiteral("cannot record the host key: %1").arg(sessionError());
        closeSession();
        failAll(why, false);
        setState(SshLink::State::Error, why);
        return;
    }
    authenticate();
}

void SshWorker::authenticate()
{
    ssh_session s = m_session;
    int rc = ssh_userauth_none(s, nullptr);
    if (rc == SSH_AUTH_ERROR) {
        lose(QStringLiteral("authentication with %1 broke off: %2").arg(m_target, sessionError()));
        return;
    }
    QStringList tried;
    const int methods = ssh_userauth_list(s, nullptr);
    if (rc != SSH_AUTH_SUCCESS && (methods & SSH_AUTH_METHOD_PUBLICKEY)) {
        // The agent first, then the identity files (config IdentityFile, settings, defaults).
        tried << (qEnvironmentVariableIsEmpty("SSH_AUTH_SOCK") ? QStringLiteral("key files")
                                                               : QStringLiteral("ssh-agent, key files"));
        rc = ssh_userauth_publickey_auto(s, nullptr, nullptr);
    }
    if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR && m_settings.allowPassword && !m_settings.password.isEmpty()) {
        const QByteArray secret = m_settings.password.toUtf8();
        if (methods & SSH_AUTH_METHOD_PASSWORD) {
            tried << QStringLiteral("password");
            rc = ssh_userauth_password(s, nullptr, secret.constData());
        }
        if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR && (methods & SSH_AUTH_METHOD_INTERACTIVE)) {
            tried << QStringLiteral("keyboard-interactive");
            rc = ssh_userauth_kbdint(s, nullptr, nullptr);
            for (int round = 0; rc == SSH_AUTH_INFO && round < 4; ++round) {
                const int prompts = ssh_userauth_kbdint_getnprompts(s);
                for (int i = 0; i < prompts; ++i) {
                    char echo = 0;
                    ssh_userauth_kbdint_getprompt(s, unsigned(i), &echo);
                    ssh_userauth_kbdint_setanswer(s, unsigned(i), echo ? "" : secret.constData());
                }
                rc = ssh_userauth_kbdint(s, nullptr, nullptr);
            }
        }
    }
    if (rc == SSH_AUTH_SUCCESS) {
        becomeUp();
        return;
    }
    if (rc == SSH_AUTH_ERROR) {
        lose(QStringLiteral("authentication with %1 broke off: %2").arg(m_target, sessionError()));
        return;
    }
    QStringList offered;
    if (methods & SSH_AUTH_METHOD_PUBLICKEY)
        offered << QStringLiteral("publickey");
    if (methods & SSH_AUTH_METHOD_PASSWORD)
        offered << QStringLiteral("password");
    if (methods & SSH_AUTH_METHOD_INTERACTIVE)
        offered << QStringLiteral("keyboard-interactive");
    const QString why
        = QStringLiteral("authentication failed for %1: tried %2; the server accepts %3%4")
              .arg(m_target, tried.isEmpty() ? QStringLiteral("nothing") : tried.join(QStringLiteral(", ")),
                   offered.isEmpty() ? QStringLiteral("no method we support") : offered.join(QStringLiteral(", ")),
                   m_settings.allowPassword ? QString() : QStringLiteral(" (password login is off unless chosen)"));
    closeSession();
    failAll(why, false);
    setState(SshLink::State::AuthFailed, why);
}

void SshWorker::becomeUp()
{
    setTimeout(m_session, m_settings.heartbeatTimeoutMs);
    m_notifier = std::make_unique<QSocketNotifier>(ssh_get_fd(m_session), QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &SshWorker::pump);
    m_backoffMs = 0;
    m_lastActivityMs = m_clock.elapsed();
    m_noSftp = false;
    setState(SshLink::State::Up, m_target);
    m_pumpTimer.start();
    m_heartbeatTimer.start();
    startPending();
    updateNotifier();
}

void SshWorker::closeSession()
{
    m_notifier.reset();
    m_pumpTimer.stop();
    m_heartbeatTimer.stop();
    for (auto &op : m_ops)
        op->channel = nullptr; // freed with the session
    if (m_sftp) {
        sftp_free(m_sftp);
        m_sftp = nullptr;
    }
    if (m_session) {
        if (ssh_is_connected(m_session))
            ssh_disconnect(m_session);
        ssh_free(m_session);
        m_session = nullptr;
    }
}

void SshWorker::lose(const QString &why)
{
    const bool wasUp = m_state == SshLink::State::Up;
    // In-flight commands may or may not have run: they fail, the caller decides. Commands not
    // started yet wait for the next session; streams restart on it.
    for (auto it = m_ops.begin(); it != m_ops.end();) {
        Op &op = **it;
        if (op.kind == Op::Kind::Stream) {
            if (op.channel) {
                QList<LogLine> rest;
                op.assembler->finish(rest);
                if (!rest.isEmpty())
                    Q_EMIT streamLines(op.id, rest);
            }
            if (wasUp && !op.restartLogged) {
                emitStreamEvent(
                    op, "ssh: connection lost (" + why.toUtf8() + "); the stream restarts when the node is back");
                op.restartLogged = true;
            }
            op.restartAtMs = 0;
            ++it;
            continue;
        }
        if (!op.channel) {
            ++it;
            continue;
        }
        emitFailure(op, QStringLiteral("connection lost: %1").arg(why));
        it = m_ops.erase(it);
    }
    closeSession();
    setState(SshLink::State::Lost, why);
    scheduleReconnect();
}

void SshWorker::scheduleReconnect()
{
    if (!m_running)
        return;
    m_backoffMs = m_backoffMs == 0 ? firstBackoffMs : qMin(m_backoffMs * 2, m_settings.reconnectMaxDelayMs);
    m_reconnectTimer.start(m_backoffMs);
}

void SshWorker::failAll(const QString &why, bool keepStreams)
{
    for (auto it = m_ops.begin(); it != m_ops.end();) {
        Op &op = **it;
        if (op.kind == Op::Kind::Stream) {
            QList<LogLine> rest;
            op.assembler->finish(rest);
            if (!rest.isEmpty())
                Q_EMIT streamLines(op.id, rest);
            if (keepStreams) {
                ++it;
                continue;
            }
            emitStreamEvent(op, "ssh: stream stopped (" + why.toUtf8() + ")");
        } else {
            emitFailure(op, why);
        }
        it = m_ops.erase(it);
    }
}

void SshWorker::emitFailure(Op &op, const QString &error)
{
    if (op.kind == Op::Kind::File || op.fileFallback)
        Q_EMIT fileFinished(op.id, SshFileResult{{}, error, false});
    else if (op.kind == Op::Kind::Channel)
        Q_EMIT channelFinished(op.id, SshCommandResult{-1, {}, op.err, error});
    else
        Q_EMIT commandFinished(op.id, SshCommandResult{-1, op.out, op.err, error});
}

void SshWorker::emitStreamEvent(Op &op, const QByteArray &text)
{
    Q_EMIT streamLines(op.id, {LogLine{hostTimeNowNs(), op.assembler->source(), text, LogLine::Event}});
}

void SshWorker::heartbeat()
{
    if (!m_session || m_state != SshLink::State::Up)
        return;
    if (m_clock.elapsed() - m_lastActivityMs < m_settings.heartbeatIntervalMs)
        return;
    // Opening a session channel is a round trip every server answers without starting a
    // process: an answer (even a refusal) proves the node alive; silence means it is gone.
    QElapsedTimer elapsed;
    elapsed.start();
    ssh_channel channel = ssh_channel_new(m_session);
    const int rc = channel ? ssh_channel_open_session(channel) : SSH_ERROR;
    if (rc == SSH_OK)
        ssh_channel_close(channel);
    if (channel)
        ssh_channel_free(channel);
    const bool answered = rc == SSH_OK
        || (rc == SSH_ERROR && sessionAlive() && elapsed.elapsed() < m_settings.heartbeatTimeoutMs * 9 / 10);
    if (!answered) {
        lose(QStringLiteral("no answer from %1 for %2 ms").arg(m_target).arg(m_settings.heartbeatTimeoutMs));
        return;
    }
    m_lastActivityMs = m_clock.elapsed();
    // Packets for other channels may have been read while waiting.
    pump();
}

} // namespace kms
