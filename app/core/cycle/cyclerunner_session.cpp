// CycleRunner on a NodeSession: its SSH link for the commands, its lines, reports and link
// states for the consoles. The runner resolves reports itself (with the sections of the load
// they belong to), so it takes them as detected, not as the session resolved them.
#include "cycle/cyclerunner.h"

#include "node/nodesession.h"

namespace kms {

void CycleRunner::follow(NodeSession *session)
{
    setSshLink(session->ssh());
    connect(session, &NodeSession::sshLinkChanged, this, &CycleRunner::setSshLink);
    connect(session, &NodeSession::linesReceived, this, [this](quint64, const QList<LogLine> &lines) {
        // A link's batch has one source; fed batches may mix them.
        qsizetype from = 0;
        for (qsizetype i = 1; i <= lines.size(); ++i) {
            if (i == lines.size() || lines[i].source != lines[from].source) {
                onLines(lines[from].source, lines.mid(from, i - from));
                from = i;
            }
        }
    });
    connect(session, &NodeSession::reportDetected, this,
            [this](int, const KernelReport &report, const QList<quint64> &) { onReport(report); });
    connect(session, &NodeSession::serialStateChanged, this,
            [this](SerialLink::State state, const QString &) { onSerialState(state == SerialLink::State::Open); });
    onSerialState(session->serialState() == SerialLink::State::Open);
    connect(session, &NodeSession::sshStateChanged, this, [this, session](SshLink::State state, const QString &detail) {
        // A node that never answered is not there (once it was up, a loss is a reboot to wait for).
        if (state == SshLink::State::Lost && !session->sshWasUp() && m_state == State::Probing)
            return onSshState(SshLink::State::Error, detail.isEmpty() ? QStringLiteral("no answer") : detail);
        onSshState(state, detail);
    });
}

} // namespace kms
