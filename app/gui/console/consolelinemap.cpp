#include "consolelinemap.h"

#include <algorithm>

namespace kms::gui {

namespace {
// Runs kept: each is one clear() of the console.
constexpr size_t keptRuns = 64;
} // namespace

void ConsoleLineMap::add(quint64 firstSeq, int firstLine)
{
    const quint32 offset = quint32(firstLine) - quint32(firstSeq);
    if (!m_runs.empty() && m_runs.back().offset == offset)
        return;
    m_runs.push_back({firstSeq, offset});
    if (m_runs.size() > keptRuns)
        m_runs.pop_front();
}

QList<int> ConsoleLineMap::lines(const QList<quint64> &seqs) const
{
    QList<int> out;
    out.reserve(seqs.size());
    for (const quint64 seq : seqs) {
        const auto it = std::upper_bound(m_runs.begin(), m_runs.end(), seq,
                                         [](quint64 s, const Run &run) { return s < run.firstSeq; });
        if (it == m_runs.begin())
            continue;
        out.append(int(quint32(seq) + std::prev(it)->offset));
    }
    return out;
}

} // namespace kms::gui
