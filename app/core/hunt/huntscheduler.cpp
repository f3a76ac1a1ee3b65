#include "hunt/huntscheduler.h"

#include <algorithm>
#include <cmath>

namespace kms::hunt {

QString orderName(Order order)
{
    return order == Order::Adaptive ? QStringLiteral("adaptive") : QStringLiteral("grid");
}

std::optional<Order> parseOrder(const QString &name)
{
    if (name == QLatin1String("adaptive"))
        return Order::Adaptive;
    if (name == QLatin1String("grid"))
        return Order::Grid;
    return std::nullopt;
}

Scheduler::Scheduler(Order order, ScheduleLimits limits, quint64 seed, int groupSize)
    : m_order(order)
    , m_limits(limits)
    , m_groupSize(std::max(1, groupSize))
    , m_random(seed)
{
    m_limits.cyclesPerCell = std::max<qint64>(1, m_limits.cyclesPerCell);
    m_limits.batch = std::max<qint64>(1, m_limits.batch);
}

bool Scheduler::finished(const CellResult &cell) const
{
    return cell.cycles >= m_limits.cyclesPerCell
        || (m_limits.crashesPerCell > 0 && cell.crashes >= m_limits.crashesPerCell);
}

std::optional<Pick> Scheduler::next(const QList<CellResult> &cells, qint64 maxCycles)
{
    if (maxCycles == 0)
        return std::nullopt;
    // Cells come in groups (one cell each, unless builds are compared); a group is picked,
    // then its least advanced unfinished member.
    const qsizetype groups = (cells.size() + m_groupSize - 1) / m_groupSize;
    auto member = [&](qsizetype group) {
        qsizetype pick = -1;
        for (qsizetype i = group * m_groupSize; i < std::min(cells.size(), (group + 1) * m_groupSize); ++i) {
            if (!finished(cells[i]) && (pick < 0 || cells[i].cycles < cells[pick].cycles))
                pick = i;
        }
        return pick;
    };
    qsizetype chosen = -1;
    if (m_order == Order::Grid) {
        for (qsizetype g = 0; g < groups && chosen < 0; ++g)
            chosen = member(g);
    } else {
        double bestDraw = -1;
        for (qsizetype g = 0; g < groups; ++g) {
            const qsizetype m = member(g);
            if (m < 0)
                continue;
            // One draw per unfinished member, the group's chance is its best member's.
            double draw = -1;
            for (qsizetype i = g * m_groupSize; i < std::min(cells.size(), (g + 1) * m_groupSize); ++i) {
                const CellResult &c = cells[i];
                if (!finished(c))
                    draw = std::max(draw, beta(1.0 + double(c.crashes), 1.0 + double(c.cycles - c.crashes)));
            }
            if (draw > bestDraw) {
                bestDraw = draw;
                chosen = m;
            }
        }
    }
    if (chosen < 0)
        return std::nullopt;
    qint64 count = std::min(m_limits.batch, m_limits.cyclesPerCell - cells[chosen].cycles);
    if (maxCycles > 0)
        count = std::min(count, maxCycles);
    return Pick{chosen, count};
}

double Scheduler::uniform()
{
    return double(m_random() >> 11) * 0x1.0p-53;
}

// Box-Muller; std::normal_distribution's algorithm differs between standard libraries, and a
// seed must give the same hunt everywhere.
double Scheduler::normal()
{
    double u = 0;
    while (u == 0)
        u = uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * uniform());
}

// Marsaglia and Tsang (2000), with the shape < 1 boost.
double Scheduler::gamma(double shape)
{
    if (shape < 1) {
        double u = 0;
        while (u == 0)
            u = uniform();
        return gamma(shape + 1) * std::pow(u, 1 / shape);
    }
    const double d = shape - 1.0 / 3;
    const double c = 1 / std::sqrt(9 * d);
    for (;;) {
        double x = 0;
        double v = 0;
        do {
            x = normal();
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        const double u = uniform();
        if (u < 1 - 0.0331 * x * x * x * x)
            return d * v;
        if (u > 0 && std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v)))
            return d * v;
    }
}

double Scheduler::beta(double a, double b)
{
    const double x = gamma(a);
    const double y = gamma(b);
    return x / (x + y);
}

} // namespace kms::hunt
