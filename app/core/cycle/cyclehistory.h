// A run's finished cycles for CycleRunner: every cycle in the spool on disk (CycleSpool), and in
// memory only what the run and its live views use: the totals, the last cycles in full
// (recentKept), the cycles that did not pass in full (the newest failingKept of them), the
// distinct section sets the module was loaded at (reports of later cycles are explained with
// them) and the Slab trend as running sums. A 100,000-cycle run of passes keeps 128 full
// cycles (~4.5 kB each) and 12 bytes a cycle (the spool's offsets, the cycles of each load):
// under 2 MB, where keeping every result cost ~4.5 kB a cycle (450 MB).
#pragma once

#include "cycle/cycleanalysis.h"
#include "cycle/cycleresult.h"
#include "cycle/cyclespool.h"

#include <QHash>
#include <QJsonObject>
#include <QList>

#include <functional>

namespace kms {

class CycleHistory
{
public:
    static constexpr int recentKept = 128;
    static constexpr int failingKept = 1000;
    static constexpr int loadsKept = 256; // distinct section sets

    // A new run: forgets the last one (its spool goes unless kept) and opens the spool at
    // spoolPath; false and *error when it cannot be written.
    bool begin(const QString &spoolPath, bool keepSpool, QString *error = nullptr);
    // Forgets the run; its spool goes unless kept.
    void clear();

    // Adds a finished cycle (number count() + 1). False and *error when its spool line could not
    // be written: the cycle is kept in memory (and in the reports) all the same.
    bool add(CycleResult cycle, QString *error = nullptr);
    // A kept cycle changed (a report attached late; find() gave it): written again.
    bool update(const CycleResult &cycle, QString *error = nullptr);

    // Makes load share its data with the last load the history has: the same sections (a module
    // mostly loads where it loaded before) cost nothing a cycle, and their names (26 for prudaq,
    // ~3 kB a load) are stored once.
    void share(LoadRecord &load) const;

    int count() const { return m_totals.cycles; }
    const RunTotals &totals() const { return m_totals; }
    // The cycles held in full, oldest first (see above).
    const QList<CycleResult> &kept() const { return m_kept; }
    // The newest cycle (nullptr before the first).
    const CycleResult *last() const { return m_kept.isEmpty() ? nullptr : &m_kept.last(); }
    CycleResult *find(int n);

    // Loads before cycle beforeN (all when 0), each distinct section set once with the newest
    // cycle that had it, oldest first.
    QList<QPair<int, LoadRecord>> loads(int beforeN = 0) const;
    std::optional<Finding> slabTrend(double warnKbPerCycle) const { return m_slab.finding(warnKbPerCycle); }

    // Every cycle's `cycle --json` object in order (from the spool; a cycle the spool could not
    // take, from memory). False and *error when the spool cannot be read back.
    bool forEachJson(const std::function<void(const QJsonObject &)> &fn, QString *error = nullptr) const;
    QString spoolPath() const { return m_spool.path(); }
    void keepSpool() { m_spool.setRemove(false); }

private:
    void trim();

    CycleSpool m_spool;
    RunTotals m_totals;
    QList<CycleResult> m_kept;
    QHash<int, Verdict> m_counted; // kept cycles: the verdict the totals have them under
    QHash<int, bool> m_unspooled; // cycles whose latest version only memory has (never trimmed)
    struct Load {
        LoadRecord record;
        QList<int> cycles; // ascending
    };
    QList<Load> m_loads; // by the newest cycle that had them, oldest first
    SlabTrend m_slab;
};

} // namespace kms
