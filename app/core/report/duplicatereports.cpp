#include "report/duplicatereports.h"

namespace kms {

namespace {
// Reports in flight at once across sources: a burst of WARNs is well below this.
constexpr size_t keptReports = 256;
} // namespace

DuplicateReports::DuplicateReports(qint64 windowMs)
    : m_windowMs(windowMs)
{
}

QString DuplicateReports::key(const KernelReport &report)
{
    // Microseconds, as printk prints them: the same instant on both sources.
    const QString when = report.timestamp ? QString::number(*report.timestamp, 'f', 6)
                                          : QStringLiteral("-\n") + report.lines.join(QLatin1Char('\n'));
    return toString(report.kind) + QLatin1Char('\x1f') + report.title + QLatin1Char('\x1f') + when;
}

int DuplicateReports::match(int id, const KernelReport &report, qint64 nowMs)
{
    while (!m_recent.empty() && nowMs - m_recent.front().atMs > m_windowMs)
        m_recent.pop_front();
    const QString k = key(report);
    for (Seen &seen : m_recent) {
        if (seen.key == k && !seen.sources.contains(report.source)) {
            seen.sources.append(report.source);
            return seen.id;
        }
    }
    m_recent.push_back({id, k, nowMs, {report.source}});
    if (m_recent.size() > keptReports)
        m_recent.pop_front();
    return -1;
}

} // namespace kms
