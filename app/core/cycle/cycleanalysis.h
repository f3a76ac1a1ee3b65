// Turning what the node said about one cycle into findings: command results and module states
// (fail, stuck), the taint mask against its baseline (warning), memory over the run.
#pragma once

#include "cycle/cycleconfig.h"
#include "cycle/cycleresult.h"
#include "cycle/cyclescript.h"

#include <optional>

namespace kms {

// Step times, the load record, memory and taint letters, and the findings of the commands and
// module states. Returns false when the module is left stuck (going, or still live after the
// unload): the run cannot go on without a reboot.
bool applyCycleOutput(const CycleScriptOutput &out, const CycleRunConfig &config, CycleResult &result);

class TaintWatch
{
public:
    // The mask before the run's first load.
    void setInitial(quint64 mask) { m_baseline = mask; }
    // A finding for flags set since the baseline. The baseline then takes them (each change is
    // reported once). The first load of an out-of-tree, unsigned module sets O and E: expected.
    std::optional<Finding> check(quint64 mask, const QString &step);

private:
    std::optional<quint64> m_baseline;
    bool m_firstLoadSeen = false;
};

// Steady Slab growth after the unloads over the run: least-squares slope of the unloaded Slab
// against the cycle number, from 10 cycles on. Kept as running sums (a run of any length costs
// the same few bytes).
class SlabTrend
{
public:
    void add(int n, qint64 slabKb);
    std::optional<Finding> finding(double warnKbPerCycle) const;

private:
    double m_sx = 0, m_sy = 0, m_sxx = 0, m_sxy = 0;
    qint64 m_points = 0;
    qint64 m_first = 0, m_last = 0;
};
std::optional<Finding> slabTrend(const QList<CycleResult> &cycles, double warnKbPerCycle);

} // namespace kms
