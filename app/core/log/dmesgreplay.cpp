#include "log/dmesgreplay.h"

#include "log/consoleline.h"

namespace kms {

QByteArray defaultDmesgStreamCommand()
{
    return QByteArrayLiteral("echo \"kmodscope-boot-id $(cat /proc/sys/kernel/random/boot_id 2>/dev/null)\"; "
                             "dmesg -w 2>/dev/null || exec cat /dev/kmsg");
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
        if (line.text.startsWith(bootIdMarker)) {
            const QByteArray id = line.text.mid(qsizetype(sizeof(bootIdMarker) - 1)).trimmed();
            if (!m_bootId.isEmpty() && id != m_bootId)
                m_replaying = false; // the node booted again: its whole log is new
            m_bootId = id;
            m_firstOfRun = false; // the boot id decides, not the first line
            continue;
        }
        if (accept(line.text))
            kept.append(line);
    }
    return kept;
}

} // namespace kms
