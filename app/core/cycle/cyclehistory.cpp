#include "cycle/cyclehistory.h"

#include <algorithm>

namespace kms {

bool CycleHistory::begin(const QString &spoolPath, bool keepSpool, QString *error)
{
    clear();
    return m_spool.open(spoolPath, !keepSpool, error);
}

void CycleHistory::clear()
{
    m_spool.close();
    m_totals = RunTotals();
    m_kept.clear();
    m_counted.clear();
    m_unspooled.clear();
    m_loads.clear();
    m_slab = SlabTrend();
}

bool CycleHistory::add(CycleResult cycle, QString *error)
{
    const int n = cycle.n;
    m_totals.add(cycle.verdict);
    m_counted.insert(n, cycle.verdict);
    m_slab.add(n, cycle.unloaded.slabKb);
    if (cycle.load.valid()) {
        auto same = std::find_if(m_loads.begin(), m_loads.end(),
                                 [&](const Load &l) { return l.record.sections == cycle.load.sections; });
        Load load = same == m_loads.end() ? Load{cycle.load, {}} : std::move(*same);
        if (same != m_loads.end())
            m_loads.erase(same);
        load.cycles.append(n);
        m_loads.append(std::move(load));
        if (m_loads.size() > loadsKept)
            m_loads.removeFirst();
    }
    const bool spooled = m_spool.append(n, toJson(cycle), error);
    if (!spooled)
        m_unspooled.insert(n, true);
    m_kept.append(std::move(cycle));
    trim();
    return spooled;
}

bool CycleHistory::update(const CycleResult &cycle, QString *error)
{
    if (const auto counted = m_counted.constFind(cycle.n);
        counted != m_counted.constEnd() && *counted != cycle.verdict) {
        --m_totals.byVerdict[*counted];
        ++m_totals.byVerdict[cycle.verdict];
        m_counted.insert(cycle.n, cycle.verdict);
    }
    if (m_spool.append(cycle.n, toJson(cycle), error)) {
        m_unspooled.remove(cycle.n);
        return true;
    }
    m_unspooled.insert(cycle.n, true);
    return false;
}

void CycleHistory::share(LoadRecord &load) const
{
    if (m_loads.isEmpty())
        return;
    const LoadRecord &last = m_loads.last().record;
    if (load.sections == last.sections) {
        load.sections = last.sections;
    } else {
        for (qsizetype i = 0; i < load.sections.size() && i < last.sections.size(); ++i) {
            if (load.sections[i].first == last.sections[i].first)
                load.sections[i].first = last.sections[i].first;
        }
    }
    if (load.buildId == last.buildId)
        load.buildId = last.buildId;
}

CycleResult *CycleHistory::find(int n)
{
    // Kept cycles are in order: the newest are asked for most.
    for (qsizetype i = m_kept.size() - 1; i >= 0; --i) {
        if (m_kept[i].n == n)
            return &m_kept[i];
        if (m_kept[i].n < n)
            break;
    }
    return nullptr;
}

void CycleHistory::trim()
{
    // Out of the recent window: passes go, and the oldest failures beyond failingKept; a cycle
    // only memory has stays.
    const int window = m_kept.last().n - recentKept;
    qsizetype failing = 0;
    for (const CycleResult &c : std::as_const(m_kept))
        failing += c.n <= window && c.verdict != Verdict::Pass ? 1 : 0;
    for (qsizetype i = 0; i < m_kept.size() && m_kept[i].n <= window;) {
        const CycleResult &c = m_kept[i];
        const bool drop = !m_unspooled.contains(c.n) && (c.verdict == Verdict::Pass || failing > failingKept);
        if (!drop) {
            ++i;
            continue;
        }
        if (c.verdict != Verdict::Pass)
            --failing;
        m_counted.remove(c.n);
        m_kept.removeAt(i);
    }
}

QList<QPair<int, LoadRecord>> CycleHistory::loads(int beforeN) const
{
    QList<QPair<int, LoadRecord>> out;
    for (const Load &l : m_loads) {
        // The newest cycle before beforeN that had this set.
        auto it = beforeN > 0 ? std::lower_bound(l.cycles.cbegin(), l.cycles.cend(), beforeN) : l.cycles.cend();
        if (it == l.cycles.cbegin())
            continue;
        out.append({*std::prev(it), l.record});
    }
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    return out;
}

bool CycleHistory::forEachJson(const std::function<void(const QJsonObject &)> &fn, QString *error) const
{
    // Both sources are in cycle order: merged.
    QList<const CycleResult *> memory;
    for (const CycleResult &c : m_kept) {
        if (m_unspooled.contains(c.n))
            memory.append(&c);
    }
    qsizetype next = 0;
    const bool ok = m_spool.forEach(
        [&](int n, const QJsonObject &cycle) {
            for (; next < memory.size() && memory[next]->n < n; ++next)
                fn(toJson(*memory[next]));
            if (next < memory.size() && memory[next]->n == n)
                fn(toJson(*memory[next++]));
            else
                fn(cycle);
        },
        error);
    if (!ok)
        return false;
    for (; next < memory.size(); ++next)
        fn(toJson(*memory[next]));
    return true;
}

} // namespace kms
