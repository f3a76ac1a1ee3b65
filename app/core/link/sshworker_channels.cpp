// SshWorker, the requests: commands, streams and open channels on the session's channels (one
// channel each), started when the session is up, drained as data arrives, finished at EOF.
#include "link/sshworker.h"

#include <QSaveFile>

#include <libssh/libssh.h>

namespace kms {

namespace {

constexpr int readChunk = 64 * 1024;

} // namespace

void SshWorker::addCommand(quint64 id, const QByteArray &commandLine, const QByteArray &stdinData)
{
    addProcess(Op::Kind::Command, id, commandLine, stdinData);
}

// A command and a channel differ only in when their input ends and how their output is passed on.
void SshWorker::addProcess(Op::Kind kind, quint64 id, const QByteArray &commandLine, const QByteArray &stdinData)
{
    auto op = std::make_unique<Op>();
    op->kind = kind;
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

void SshWorker::addChannel(quint64 id, const QByteArray &commandLine, const QByteArray &stdinData)
{
    addProcess(Op::Kind::Channel, id, commandLine, stdinData);
}

SshWorker::Op *SshWorker::findOp(quint64 id, Op::Kind kind)
{
    for (const auto &op : m_ops) {
        if (op->id == id && op->kind == kind)
            return op.get();
    }
    return nullptr;
}

bool SshWorker::writeInput(Op &op, const QByteArray &data)
{
    const char *bytes = data.constData();
    qsizetype left = data.size();
    while (left > 0) {
        const int n = ssh_channel_write(op.channel, bytes, uint32_t(qMin<qsizetype>(left, readChunk)));
        if (n < 0)
            return false;
        bytes += n;
        left -= n;
    }
    m_lastActivityMs = m_clock.elapsed();
    return true;
}

void SshWorker::writeChannel(quint64 id, const QByteArray &data)
{
    // A channel that ended (channelFinished is on its way) or was closed takes nothing more.
    Op *op = findOp(id, Op::Kind::Channel);
    if (!op || op->inputClosed)
        return;
    if (!op->channel) {
        op->stdinData += data; // written when it opens
        return;
    }
    if (writeInput(*op, data))
        return;
    // The process closed its input, or the session died: pump() tells which, and ends the op.
    if (!sessionAlive())
        lose(QStringLiteral("%1 closed the connection").arg(m_target));
    else
        pump();
}

void SshWorker::closeChannelInput(quint64 id)
{
    Op *op = findOp(id, Op::Kind::Channel);
    if (!op || op->inputClosed)
        return;
    op->inputClosed = true;
    if (op->channel)
        ssh_channel_send_eof(op->channel);
}

void SshWorker::closeChannel(quint64 id)
{
    for (auto it = m_ops.begin(); it != m_ops.end(); ++it) {
        Op &op = **it;
        if (op.kind != Op::Kind::Channel || op.id != id)
            continue;
        if (op.channel) {
            ssh_channel_close(op.channel);
            ssh_channel_free(op.channel);
        }
        m_ops.erase(it);
        updateNotifier();
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
        if (op.channel || op.restartAtMs > now) {
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
            } else if (m_channelRetryable && ++op.startFailures < m_settings.channelStartAttempts) {
                // A server under load (the node's dropbear in TCG, while a closed shell exits)
                // can refuse one channel open on a live session; the next one succeeds. Only
                // before any input was sent: the command has not run.
                op.restartAtMs = now + m_settings.channelRetryDelayMs;
                ++i;
            } else {
                emitFailure(op, QStringLiteral("cannot start command: %1").arg(m_channelFailure));
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
    m_channelFailure.clear();
    m_channelRetryable = false;
    if (!channel) {
        m_channelFailure = QStringLiteral("no channel: %1").arg(sessionError());
        return false;
    }
    const auto failed = [&](int rc, const char *step) {
        // libssh leaves its error text empty for some refusals: the step and code say which.
        m_channelFailure = QStringLiteral("%1 failed (libssh %2, code %3)%4")
                               .arg(QLatin1String(step))
                               .arg(rc)
                               .arg(ssh_get_error_code(s))
                               .arg(sessionError().isEmpty() ? QString() : QStringLiteral(": ") + sessionError());
        ssh_channel_free(channel);
        // A session that stopped answering, as opposed to a refusal of this one channel.
        if (!sessionAlive() || rc == SSH_AGAIN || elapsed.elapsed() >= m_settings.heartbeatTimeoutMs * 9 / 10)
            lose(QStringLiteral("no answer from %1 (%2)").arg(m_target, sessionError()));
        return false;
    };
    int rc = ssh_channel_open_session(channel);
    if (rc != SSH_OK) {
        m_channelRetryable = true;
        return failed(rc, "channel open");
    }
    rc = ssh_channel_request_exec(channel, op.commandLine.constData());
    if (rc != SSH_OK) {
        m_channelRetryable = true;
        return failed(rc, "exec request");
    }
    const char *data = op.stdinData.constData();
    qsizetype left = op.stdinData.size();
    while (left > 0) {
        const int n = ssh_channel_write(channel, data, uint32_t(qMin<qsizetype>(left, readChunk)));
        if (n < 0)
            return failed(n, "writing the command's input");
        data += n;
        left -= n;
    }
    // A channel's input stays open until closeChannelInput(): later writes go to the same process.
    if (op.kind == Op::Kind::Channel)
        op.stdinData.clear();
    if (op.kind != Op::Kind::Channel || op.inputClosed)
        ssh_channel_send_eof(channel);
    op.channel = channel;
    op.restartLogged = false;
    m_lastActivityMs = m_clock.elapsed();
    return true;
}

bool SshWorker::drainChannel(Op &op)
{
    char buffer[readChunk];
    QByteArray newErr; // channels: this round's stderr, passed on as it comes
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
                if (op.kind == Op::Kind::Channel)
                    newErr.append(buffer, n);
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
    // A channel's output goes out as it arrives (the caller frames it), one signal per round.
    const auto passOn = [&] {
        if (op.kind != Op::Kind::Channel || (op.out.isEmpty() && newErr.isEmpty()))
            return;
        Q_EMIT channelOutput(op.id, op.out, newErr);
        op.out.clear();
        newErr.clear();
    };
    while (readBoth()) { }
    if (!ssh_channel_is_eof(op.channel) && !ssh_channel_is_closed(op.channel)) {
        passOn();
        return false;
    }
    // EOF can be processed while reading the other stream, behind data already buffered.
    while (readBoth()) { }
    passOn();
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
    } else if (op.kind == Op::Kind::Channel) {
        // Its caller needs to tell a process that ended from a node that went away.
        const QString lost = sessionAlive() ? QString() : QStringLiteral("connection lost: %1").arg(sessionError());
        Q_EMIT channelFinished(op.id, SshCommandResult{status, {}, op.err, lost});
    } else {
        Q_EMIT commandFinished(op.id, SshCommandResult{status, op.out, op.err, {}});
    }
    m_ops.erase(it);
    return true;
}

} // namespace kms
