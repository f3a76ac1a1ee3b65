#include "link/sshworker.h"

#include "link/shellquote.h"

#include <QFile>
#include <QSaveFile>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <fcntl.h>

namespace kms {

namespace {

constexpr int readChunk = 64 * 1024;
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

QString sftpErrorText(int code)
{
    switch (code) {
    case SSH_FX_NO_SUCH_FILE:
        return QStringLiteral("no such file");
    case SSH_FX_PERMISSION_DENIED:
        return QStringLiteral("permission denied");
    case SSH_FX_EOF:
        return QStringLiteral("end of file");
    case SSH_FX_FAILURE:
        return QStringLiteral("failure");
    case SSH_FX_NO_SUCH_PATH:
        return QStringLiteral("no such path");
    case SSH_FX_FILE_ALREADY_EXISTS:
        return QStringLiteral("file exists");
    case SSH_FX_WRITE_PROTECT:
        return QStringLiteral("write protected");
    default:
        return QStringLiteral("sftp error %1").arg(code);
    }
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
        const QString error = QStringLiteral("connection lost: %1").arg(why);
        if (op.kind == Op::Kind::File || op.fileFallback)
            Q_EMIT fileFinished(op.id, SshFileResult{{}, error, false});
        else
            Q_EMIT commandFinished(op.id, SshCommandResult{-1, op.out, op.err, error});
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
        } else if (op.kind == Op::Kind::File || op.fileFallback) {
            Q_EMIT fileFinished(op.id, SshFileResult{{}, why, false});
        } else {
            Q_EMIT commandFinished(op.id, SshCommandResult{-1, op.out, op.err, why});
        }
        it = m_ops.erase(it);
    }
}

void SshWorker::emitStreamEvent(Op &op, const QByteArray &text)
{
    Q_EMIT streamLines(op.id, {LogLine{hostTimeNowNs(), op.assembler->source(), text, LogLine::Event}});
}

void SshWorker::addCommand(quint64 id, const QByteArray &commandLine, const QByteArray &stdinData)
{
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::Command;
    op->id = id;
    op->commandLine = commandLine;
    op->stdinData = stdinData;
    m_ops.push_back(std::move(op));
    failIfStuck();
    if (m_state == SshLink::State::Up)
        startPending();
}

void SshWorker::addStream(quint64 id, const QByteArray &commandLine, const QString &source)
{
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::Stream;
    op->id = id;
    op->commandLine = commandLine;
    op->assembler = std::make_unique<LineAssembler>(source);
    m_ops.push_back(std::move(op));
    if (m_state == SshLink::State::Up)
        startPending();
}

void SshWorker::removeStream(quint64 id)
{
    for (auto it = m_ops.begin(); it != m_ops.end(); ++it) {
        Op &op = **it;
        if (op.kind != Op::Kind::Stream || op.id != id)
            continue;
        QList<LogLine> rest;
        op.assembler->finish(rest);
        if (!rest.isEmpty())
            Q_EMIT streamLines(op.id, rest);
        if (op.channel) {
            ssh_channel_close(op.channel);
            ssh_channel_free(op.channel);
        }
        m_ops.erase(it);
        return;
    }
}

void SshWorker::addFileOp(quint64 id, FileOp fileOp, const QString &remotePath, const QByteArray &data,
                          const QString &localPath)
{
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::File;
    op->id = id;
    op->fileOp = fileOp;
    op->remotePath = remotePath;
    op->stdinData = data;
    op->localPath = localPath;
    m_ops.push_back(std::move(op));
    failIfStuck();
    if (m_state == SshLink::State::Up)
        startPending();
}

void SshWorker::failIfStuck()
{
    // Nothing will run without the user acting (new key, known_hosts fixed, restart): say so
    // now rather than leave the request waiting.
    if (!m_running) {
        failAll(QStringLiteral("link not started"), true);
        return;
    }
    const bool stuck = m_state == SshLink::State::AuthFailed || m_state == SshLink::State::HostKeyChanged
        || m_state == SshLink::State::Error || (m_state == SshLink::State::HostKeyUnknown && !m_session);
    if (stuck)
        failAll(QStringLiteral("not connected (%1)").arg(m_lastDetail), true);
}

void SshWorker::startPending()
{
    if (m_state != SshLink::State::Up || !m_session)
        return;
    const qint64 now = m_clock.elapsed();
    // Indexes, not iterators: finishing an op erases it.
    for (size_t i = 0; i < m_ops.size() && m_session;) {
        Op &op = *m_ops[i];
        if (op.channel || (op.kind == Op::Kind::Stream && op.restartAtMs > now)) {
            ++i;
            continue;
        }
        if (op.kind == Op::Kind::File) {
            const FileOutcome outcome = runFileOp(op);
            if (outcome != FileOutcome::Converted) {
                m_ops.erase(m_ops.begin() + qsizetype(i));
                if (outcome == FileOutcome::SessionDead) {
                    lose(QStringLiteral("%1 closed the connection").arg(m_target));
                    return;
                }
                continue;
            }
        }
        if (!startChannel(op)) {
            if (!m_session)
                return; // lost: lose() already dealt with every op
            if (op.kind == Op::Kind::Stream) {
                op.restartAtMs = now + m_settings.streamRestartDelayMs;
                ++i;
            } else {
                const QString error = QStringLiteral("cannot start command: %1").arg(sessionError());
                if (op.fileFallback)
                    Q_EMIT fileFinished(op.id, SshFileResult{{}, error, false});
                else
                    Q_EMIT commandFinished(op.id, SshCommandResult{-1, {}, {}, error});
                m_ops.erase(m_ops.begin() + qsizetype(i));
            }
            continue;
        }
        ++i;
    }
    updateNotifier();
}

bool SshWorker::startChannel(Op &op)
{
    ssh_session s = m_session;
    QElapsedTimer elapsed;
    elapsed.start();
    ssh_channel channel = ssh_channel_new(s);
    if (!channel)
        return false;
    const auto failed = [&](int rc) {
        ssh_channel_free(channel);
        // A session that stopped answering, as opposed to a refusal of this one channel.
        if (!sessionAlive() || rc == SSH_AGAIN || elapsed.elapsed() >= m_settings.heartbeatTimeoutMs * 9 / 10)
            lose(QStringLiteral("no answer from %1 (%2)").arg(m_target, sessionError()));
        return false;
    };
    int rc = ssh_channel_open_session(channel);
    if (rc != SSH_OK)
        return failed(rc);
    rc = ssh_channel_request_exec(channel, op.commandLine.constData());
    if (rc != SSH_OK)
        return failed(rc);
    const char *data = op.stdinData.constData();
    qsizetype left = op.stdinData.size();
    while (left > 0) {
        const int n = ssh_channel_write(channel, data, uint32_t(qMin<qsizetype>(left, readChunk)));
        if (n < 0)
            return failed(n);
        data += n;
        left -= n;
    }
    ssh_channel_send_eof(channel);
    op.channel = channel;
    op.restartLogged = false;
    m_lastActivityMs = m_clock.elapsed();
    return true;
}

bool SshWorker::drainChannel(Op &op)
{
    char buffer[readChunk];
    const auto readAll = [&](int isStderr) {
        bool progress = false;
        for (;;) {
            const int n = ssh_channel_read_nonblocking(op.channel, buffer, sizeof buffer, isStderr);
            if (n <= 0)
                return progress;
            progress = true;
            m_lastActivityMs = m_clock.elapsed();
            if (isStderr) {
                if (op.err.size() < 1024 * 1024)
                    op.err.append(buffer, n);
            } else if (op.kind == Op::Kind::Stream) {
                QList<LogLine> lines;
                op.assembler->feed(QByteArrayView(buffer, n), hostTimeNowNs(), lines);
                if (!lines.isEmpty())
                    Q_EMIT streamLines(op.id, lines);
            } else {
                op.out.append(buffer, n);
            }
        }
    };
    // Both streams every round (no short-circuit): reading one processes packets for the other.
    const auto readBoth = [&] {
        const bool out = readAll(0);
        const bool err = readAll(1);
        return out || err;
    };
    while (readBoth()) { }
    if (!ssh_channel_is_eof(op.channel) && !ssh_channel_is_closed(op.channel))
        return false;
    // EOF can be processed while reading the other stream, behind data already buffered.
    while (readBoth()) { }
    return true;
}

void SshWorker::pump()
{
    if (m_inPump || !m_session || m_state != SshLink::State::Up)
        return;
    m_inPump = true;
    for (size_t i = 0; i < m_ops.size() && m_session;) {
        Op &op = *m_ops[i];
        if (!op.channel || !drainChannel(op)) {
            ++i;
            continue;
        }
        if (!finishOp(m_ops.begin() + qsizetype(i)))
            ++i;
    }
    m_inPump = false;
    if (m_session && !sessionAlive()) {
        lose(QStringLiteral("%1 closed the connection").arg(m_target));
        return;
    }
    startPending();
    updateNotifier();
}

void SshWorker::updateNotifier()
{
    // Only channel reads make libssh consume the socket: with no channel open, a readable
    // socket (data for nobody, or EOF) would wake us in a loop. The heartbeat covers that time.
    if (!m_notifier)
        return;
    bool anyChannel = false;
    for (const auto &op : m_ops)
        anyChannel |= op->channel != nullptr;
    m_notifier->setEnabled(anyChannel);
}

bool SshWorker::finishOp(std::vector<std::unique_ptr<Op>>::iterator it)
{
    Op &op = **it;
    const int status = ssh_channel_get_exit_status(op.channel);
    ssh_channel_close(op.channel);
    ssh_channel_free(op.channel);
    op.channel = nullptr;
    if (op.kind == Op::Kind::Stream) {
        QList<LogLine> rest;
        op.assembler->finish(rest);
        QByteArray note = "ssh: stream command ended (exit " + QByteArray::number(status) + ")";
        if (!op.err.isEmpty())
            note += ": " + op.err.left(512).trimmed().replace('\n', "; ");
        rest.append(LogLine{hostTimeNowNs(), op.assembler->source(), note, LogLine::Event});
        Q_EMIT streamLines(op.id, rest);
        op.err.clear();
        op.restartAtMs = m_clock.elapsed() + m_settings.streamRestartDelayMs;
        return false;
    }
    if (op.fileFallback) {
        SshFileResult result;
        if (status != 0) {
            result.error = QStringLiteral("cannot %1 '%2': %3")
                               .arg(op.fileOp == FileOp::Write ? QStringLiteral("write") : QStringLiteral("read"),
                                    op.remotePath, QString::fromUtf8(op.err.trimmed()));
        } else if (op.fileOp == FileOp::Read) {
            result.data = op.out;
        } else if (op.fileOp == FileOp::Fetch) {
            QSaveFile out(op.localPath);
            if (!out.open(QIODevice::WriteOnly) || out.write(op.out) != op.out.size() || !out.commit())
                result.error = QStringLiteral("cannot write '%1': %2").arg(op.localPath, out.errorString());
        }
        Q_EMIT fileFinished(op.id, result);
    } else {
        Q_EMIT commandFinished(op.id, SshCommandResult{status, op.out, op.err, {}});
    }
    m_ops.erase(it);
    return true;
}

bool SshWorker::ensureSftp()
{
    if (m_sftp)
        return true;
    if (m_noSftp)
        return false;
    m_sftp = sftp_new(m_session);
    if (m_sftp && sftp_init(m_sftp) == SSH_OK)
        return true;
    if (m_sftp)
        sftp_free(m_sftp);
    m_sftp = nullptr;
    // Small nodes (busybox + dropbear) often have no sftp-server: `cat` does the job.
    m_noSftp = true;
    return false;
}

SshWorker::FileOutcome SshWorker::runFileOp(Op &op)
{
    if (!ensureSftp()) {
        if (!sessionAlive()) {
            Q_EMIT fileFinished(op.id, SshFileResult{{}, QStringLiteral("connection lost"), false});
            return FileOutcome::SessionDead;
        }
        op.kind = Op::Kind::Command;
        op.fileFallback = true;
        if (op.fileOp == FileOp::Write) {
            op.commandLine = "cat > " + shellQuote(op.remotePath);
        } else {
            op.commandLine = shellCommand({QStringLiteral("cat"), QStringLiteral("--"), op.remotePath});
            op.stdinData.clear();
        }
        return FileOutcome::Converted;
    }
    SshFileResult result;
    result.viaSftp = true;
    const QByteArray path = op.remotePath.toUtf8();
    const auto fail = [&](const QString &what) {
        result.error
            = QStringLiteral("cannot %1 '%2': %3").arg(what, op.remotePath, sftpErrorText(sftp_get_error(m_sftp)));
    };
    if (op.fileOp == FileOp::Write) {
        sftp_file file = sftp_open(m_sftp, path.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (!file) {
            fail(QStringLiteral("write"));
        } else {
            const char *data = op.stdinData.constData();
            qsizetype left = op.stdinData.size();
            while (left > 0) {
                const ssize_t n = sftp_write(file, data, size_t(qMin<qsizetype>(left, 32 * 1024)));
                if (n < 0) {
                    fail(QStringLiteral("write"));
                    break;
                }
                data += n;
                left -= n;
            }
            sftp_close(file);
        }
    } else {
        sftp_file file = sftp_open(m_sftp, path.constData(), O_RDONLY, 0);
        if (!file) {
            fail(QStringLiteral("read"));
        } else {
            char buffer[32 * 1024];
            for (;;) {
                const ssize_t n = sftp_read(file, buffer, sizeof buffer);
                if (n < 0) {
                    fail(QStringLiteral("read"));
                    break;
                }
                if (n == 0)
                    break;
                result.data.append(buffer, n);
            }
            sftp_close(file);
        }
        if (op.fileOp == FileOp::Fetch && result.error.isEmpty()) {
            QSaveFile out(op.localPath);
            if (!out.open(QIODevice::WriteOnly) || out.write(result.data) != result.data.size() || !out.commit())
                result.error = QStringLiteral("cannot write '%1': %2").arg(op.localPath, out.errorString());
            result.data.clear();
        }
    }
    m_lastActivityMs = m_clock.elapsed();
    if (!sessionAlive()) {
        result.error = QStringLiteral("connection lost during the transfer");
        Q_EMIT fileFinished(op.id, result);
        return FileOutcome::SessionDead;
    }
    Q_EMIT fileFinished(op.id, result);
    return FileOutcome::Done;
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
