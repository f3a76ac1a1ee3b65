#include "telemetry/columndecimator.h"

#include <QtNumeric>

#include <algorithm>
#include <cmath>

namespace kms::telemetry {

namespace {

constexpr double kNsPerS = 1e9;

class Emitter
{
public:
    explicit Emitter(QList<QPointF> &out)
        : m_out(out)
    {
    }
    void point(double x, double y)
    {
        m_out.append({x, y});
        m_lastY = y;
        m_open = true;
    }
    // A column's extremes, in the order that draws the shorter stroke from the previous point.
    void column(double x, double lo, double hi)
    {
        if (lo == hi) {
            point(x, lo);
        } else if (m_open && std::abs(m_lastY - hi) < std::abs(m_lastY - lo)) {
            point(x, hi);
            point(x, lo);
        } else {
            point(x, lo);
            point(x, hi);
        }
    }
    void breakLine()
    {
        if (m_open)
            m_out.append({m_out.back().x(), qQNaN()});
        m_open = false;
    }

private:
    QList<QPointF> &m_out;
    double m_lastY = 0;
    bool m_open = false;
};

} // namespace

QList<QPointF> decimateColumns(const DecimatorInput &in)
{
    QList<QPointF> out;
    if (!in.items || in.items->empty())
        return out;
    const auto &items = *in.items;
    const int columns = std::max(1, in.columns);
    const double width = double(in.t1Ns - in.t0Ns + 1) / columns;
    static const std::vector<qint64> none;
    const auto &gaps = in.gaps ? *in.gaps : none;
    auto gap = std::lower_bound(gaps.begin(), gaps.end(), items.front().t0);
    out.reserve(qsizetype(std::min<size_t>(items.size(), size_t(columns)) * 2 + 8));

    Emitter pen(out);
    int col = -1;
    double lo = 0, hi = 0;
    auto flush = [&] {
        if (col < 0)
            return;
        pen.column((double(in.t0Ns) + (col + 0.5) * width) / kNsPerS, lo, hi);
        col = -1;
    };
    for (const MinMaxBucket &b : items) {
        // A gap recorded before this item's start: the line stops at the previous item.
        bool broken = false;
        while (gap != gaps.end() && *gap < b.t0) {
            broken = true;
            ++gap;
        }
        if (broken) {
            flush();
            pen.breakLine();
        }
        if (in.samples) {
            pen.point(double(b.t0) / kNsPerS, b.min);
            continue;
        }
        const int c = int(std::clamp(std::floor(double(b.t0 - in.t0Ns) / width), 0.0, double(columns - 1)));
        if (c != col) {
            flush();
            col = c;
            lo = b.min;
            hi = b.max;
        } else {
            lo = std::min(lo, b.min);
            hi = std::max(hi, b.max);
        }
    }
    flush();
    return out;
}

} // namespace kms::telemetry
