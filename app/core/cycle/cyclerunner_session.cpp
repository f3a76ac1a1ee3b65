// CycleRunner on a NodeSession: its SSH link for the commands, its lines, reports and link
// states for the consoles. The runner resolves reports itself (with the sections of the load
// they belong to), so it takes them as detected, not as the session resolved them.
#include "cycle/cyclerunner.h"

#include "node/nodesession.h"
#include "symbols/sectionstarts.h"

namespace kms {

void CycleRunner::follow(NodeSession *session)
{
    m_session = session;
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

QList<EarlierLoad> CycleRunner::earlierLoads(int beforeN) const
{
    QList<EarlierLoad> loads;
    for (const auto &[n, load] : m_history.loads(beforeN))
        loads.append({m_config.module, QStringLiteral("cycle %1").arg(n), load.sections});
    return loads;
}

void CycleRunner::publishLoads(bool currentGone)
{
    if (!m_session)
        return;
    QList<EarlierLoad> earlier = earlierLoads(0);
    SectionAddresses live;
    if (m_current && m_current->load.valid()) {
        if (!currentGone)
            live = m_current->load.sections;
        else if (earlier.isEmpty() || earlier.last().sections != m_current->load.sections)
            earlier.append({m_config.module, QStringLiteral("cycle %1").arg(m_current->n), m_current->load.sections});
        else
            earlier.last().label = QStringLiteral("cycle %1").arg(m_current->n);
        // (an older identical set further back stays: the newest one is looked at first)
    }
    m_session->setModuleLoads(m_config.module, live, earlier);
}

} // namespace kms
