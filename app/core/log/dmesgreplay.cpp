#include "log/dmesgreplay.h"

#include "log/consoleline.h"

namespace kms {

QByteArray defaultDmesgStreamCommand()
{
    return QByteArrayLiteral("dmesg -w 2>/dev/null || exec cat /dev/kmsg");
}

void DmesgReplayFilter::restart()
{
    m_replaying = m_lastTimestamp.has_value();
    m_firstOfRun = true;
}

bool DmesgReplayFilter::accept(QByteArrayView raw)
{
    const ConsoleLine line = parseConsoleLine(raw, m_scratch);
    if (m_firstOfRun) {
        m_firstOfRun = false;
        const QByteArray first = raw.toByteArray();
        if (m_replaying && first != m_firstLine)
            m_replaying = false;
        if (!m_replaying)
            m_firstLine = first;
    }
    if (m_replaying) {
        if (line.timestamp && *line.timestamp <= *m_lastTimestamp)
            return false;
        if (line.timestamp)
            m_replaying = false;
    }
    if (line.timestamp)
        m_lastTimestamp = line.timestamp;
    return true;
}

QList<LogLine> DmesgReplayFilter::filter(const QList<LogLine> &lines)
{
    QList<LogLine> kept;
    kept.reserve(lines.size());
    for (const LogLine &line : lines) {
        if (line.flags & (LogLine::Event | LogLine::Sent)) {
            // The link's words for "the command runs again": SshWorker's stream events.
            if ((line.flags & LogLine::Event)
                && (line.text.startsWith("ssh: connection lost") || line.text.startsWith("ssh: stream command ended")))
                restart();
            kept.append(line);
            continue;
        }
        if (accept(line.text))
            kept.append(line);
    }
    return kept;
}

} // namespace kms
