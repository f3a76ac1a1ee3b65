// Which cell runs next, and for how many cycles. A cell is finished at its cycle limit or its
// crash limit. "grid" runs the cells one after another in grid order (what a script would do);
// "adaptive" picks by Thompson sampling on each cell's crash rate (Beta(1 + crashes,
// 1 + cycles - crashes), seeded, so a run can be repeated): a cell that crashed is likely to
// be picked again until it is finished, while cells with few cycles still get tried, so the
// first reproducer shows up early and a budget is spent where the crashes are. A batch must end
// as soon as its cell is finished (at its crash limit).
#pragma once

#include "hunt/huntresult.h"

#include <QList>

#include <optional>
#include <random>

namespace kms::hunt {

enum class Order { Adaptive, Grid };
QString orderName(Order order);
std::optional<Order> parseOrder(const QString &name);

struct ScheduleLimits {
    qint64 cyclesPerCell = 100;
    qint64 crashesPerCell = 10; // 0: no crash limit
    qint64 batch = 5; // cycles per pick (each pick costs a parameter change on the node)
};

struct Pick {
    qsizetype cell = -1;
    qint64 cycles = 0;
};

class Scheduler
{
public:
    // groupSize > 1: consecutive cells are one condition on several builds (compare); a group
    // is picked as a cell would be, then its unfinished member with the fewest cycles, so the
    // builds take turns under the same conditions.
    Scheduler(Order order, ScheduleLimits limits, quint64 seed, int groupSize = 1);

    bool finished(const CellResult &cell) const;
    // The next cell and batch, at most `maxCycles` (what is left of a budget); none when
    // every cell is finished.
    std::optional<Pick> next(const QList<CellResult> &cells, qint64 maxCycles = -1);

    Order order() const { return m_order; }
    const ScheduleLimits &limits() const { return m_limits; }

private:
    double uniform(); // [0, 1), 53 bits, the same on every platform for a seed
    double normal();
    double gamma(double shape);
    double beta(double a, double b);

    Order m_order;
    ScheduleLimits m_limits;
    int m_groupSize;
    std::mt19937_64 m_random;
};

} // namespace kms::hunt
