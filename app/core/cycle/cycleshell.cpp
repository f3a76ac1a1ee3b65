#include "cycle/cycleshell.h"

#include "link/shellquote.h"

#include <QRandomGenerator>

namespace kms {

namespace {

// Ids of their own (SshLink counts up from 1; CycleRunner's unlinked failures use bit 63).
constexpr quint64 idBit = quint64(1) << 62;
constexpr qsizetype maxStderr = 64 * 1024;

} // namespace

CycleShell::CycleShell(QObject *parent)
    : QObject(parent)
{
}

CycleShell::~CycleShell()
{
    close();
}

void CycleShell::setLink(SshLink *link)
{
    if (m_link == link)
        return;
    close();
    if (m_link)
        disconnect(m_link, nullptr, this, nullptr);
    m_link = link;
    if (!m_link)
        return;
    connect(m_link, &SshLink::channelOutput, this, &CycleShell::onOutput);
    connect(m_link, &SshLink::channelFinished, this, &CycleShell::onFinished);
}

quint64 CycleShell::call(const QByteArray &openCommand, const QByteArray &script, const QStringList &words)
{
    const quint64 id = idBit | ++m_lastId;
    if (!m_link) {
        QMetaObject::invokeMethod(
            this,
            [this, id] {
                Q_EMIT finished(id, SshCommandResult{-1, {}, {}, QStringLiteral("no SSH link")});
            },
            Qt::QueuedConnection);
        return id;
    }
    if (!m_channel) {
        m_session = QByteArray::number(QRandomGenerator::global()->generate64(), 16);
        m_calls = 0;
        m_out.clear();
        m_err.clear();
        m_channel = m_link->openChannel(openCommand, script);
    }
    const QByteArray nonce = m_session + '-' + QByteArray::number(++m_calls);
    m_waiting.append({id, "@kms done " + nonce + '\n'});
    m_link->writeChannel(m_channel, "kms_call " + shellCommand(QStringList{QString::fromLatin1(nonce)} + words) + '\n');
    return id;
}

void CycleShell::close()
{
    // An idle shell is closed at once: a channel whose input is closed stays open on the node
    // until the shell has exited, and the node's dropbear refused the next run's first channel
    // while it did (a hunt's next batch). A busy one finishes its call first.
    if (m_channel && m_link) {
        if (m_waiting.isEmpty())
            m_link->closeChannel(m_channel);
        else
            m_link->closeChannelInput(m_channel);
    }
    m_channel = 0;
    m_waiting.clear();
    m_out.clear();
    m_err.clear();
}

void CycleShell::onOutput(quint64 channel, const QByteArray &standardOutput, const QByteArray &standardError)
{
    if (channel != m_channel)
        return; // a closed shell finishing
    m_out += standardOutput;
    if (m_err.size() < maxStderr)
        m_err += standardError;
    while (!m_waiting.isEmpty()) {
        const QByteArray &done = m_waiting.first().done;
        qsizetype at = m_out.startsWith(done) ? 0 : m_out.indexOf('\n' + done);
        if (at < 0)
            return;
        if (at > 0)
            ++at; // the output keeps its last newline
        const Call call = m_waiting.takeFirst();
        SshCommandResult result{0, m_out.left(at), m_err, {}};
        m_out.remove(0, at + call.done.size());
        m_err.clear();
        Q_EMIT finished(call.id, result); // may close this shell or make the next call
        if (channel != m_channel)
            return;
    }
}

void CycleShell::onFinished(quint64 channel, const SshCommandResult &result)
{
    if (channel != m_channel)
        return;
    const QString stderrText = QString::fromUtf8(result.standardError.trimmed().right(500));
    const QString why = !result.error.isEmpty()
        ? result.error
        : QStringLiteral("the node's shell ended (exit %1)%2")
              .arg(result.exitStatus)
              .arg(stderrText.isEmpty() ? QString() : QStringLiteral(": ") + stderrText);
    const QList<Call> waiting = m_waiting;
    const QByteArray out = m_out;
    m_channel = 0;
    m_waiting.clear();
    m_out.clear();
    m_err.clear();
    // The first call gets what the shell printed for it; the rest never ran.
    for (qsizetype i = 0; i < waiting.size(); ++i)
        Q_EMIT finished(waiting[i].id, SshCommandResult{-1, i == 0 ? out : QByteArray(), result.standardError, why});
}

} // namespace kms
