#include "hunt/huntstats.h"

#include <algorithm>
#include <cmath>

namespace kms::hunt {

Interval wilsonInterval(qint64 k, qint64 n, double z)
{
    if (n <= 0 || k < 0 || k > n)
        return {0, 1};
    const double nn = double(n);
    const double p = double(k) / nn;
    const double z2 = z * z;
    const double denominator = 1 + z2 / nn;
    const double centre = (p + z2 / (2 * nn)) / denominator;
    const double half = z / denominator * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    // At k = 0 (k = n) the bound is exactly 0 (1); rounding would leave 1e-19.
    return {k == 0 ? 0.0 : std::max(0.0, centre - half), k == n ? 1.0 : std::min(1.0, centre + half)};
}

namespace {

double logChoose(qint64 n, qint64 k)
{
    return std::lgamma(double(n) + 1) - std::lgamma(double(k) + 1) - std::lgamma(double(n - k) + 1);
}

} // namespace

double fisherExactTwoSided(qint64 a, qint64 b, qint64 c, qint64 d)
{
    if (a < 0 || b < 0 || c < 0 || d < 0)
        return 1;
    const qint64 row1 = a + b;
    const qint64 col1 = a + c;
    const qint64 n = a + b + c + d;
    if (n == 0)
        return 1;
    // With the margins fixed, the table is determined by its top-left cell x, hypergeometric.
    const double logTotal = logChoose(n, col1);
    auto logP = [&](qint64 x) {
        return logChoose(row1, x) + logChoose(n - row1, col1 - x) - logTotal;
    };
    const qint64 lo = std::max<qint64>(0, col1 - (n - row1));
    const qint64 hi = std::min(row1, col1);
    const double observed = logP(a);
    const double tolerance = std::log1p(1e-7);
    double sum = 0;
    for (qint64 x = lo; x <= hi; ++x) {
        const double lp = logP(x);
        if (lp <= observed + tolerance)
            sum += std::exp(lp);
    }
    return std::min(1.0, sum);
}

QString formatPercent(double rate)
{
    const double percent = rate * 100;
    if (percent == 0)
        return QStringLiteral("0%");
    if (percent >= 10)
        return QString::number(percent, 'f', 0) + QLatin1Char('%');
    // Two significant digits: 4.2%, 0.64%, 0.052%.
    const int decimals = std::max(1, 1 - int(std::floor(std::log10(percent))));
    QString text = QString::number(percent, 'f', decimals);
    return text + QLatin1Char('%');
}

QString formatPValue(double p)
{
    if (p < 0.001)
        return QStringLiteral("p < 0.001");
    if (p < 0.1) // two significant digits: a p near 0.05 must not round across it
        return QStringLiteral("p = ") + QString::number(p, 'f', 3);
    return QStringLiteral("p = ") + QString::number(p, 'f', 2);
}

namespace {

QString describe(RateCount r)
{
    const Interval ci = wilsonInterval(r.crashes, r.cycles);
    const QString counts = QStringLiteral("%1 crash%2 in %3 cycle%4")
                               .arg(r.crashes)
                               .arg(r.crashes == 1 ? "" : "es")
                               .arg(r.cycles)
                               .arg(r.cycles == 1 ? "" : "s");
    if (r.crashes == 0)
        return counts + QStringLiteral(", rate below %1 at 95%").arg(formatPercent(ci.high));
    return counts
        + QStringLiteral(" (%1, 95% CI %2-%3)")
              .arg(formatPercent(double(r.crashes) / double(r.cycles)), formatPercent(ci.low), formatPercent(ci.high));
}

} // namespace

QString compareStatement(RateCount before, RateCount after, double alpha)
{
    if (before.cycles <= 0 || after.cycles <= 0)
        return QStringLiteral("no comparison: %1 has no cycles").arg(before.cycles <= 0 ? "before" : "after");
    const double p = fisherExactTwoSided(before.crashes, before.cycles - before.crashes, after.crashes,
                                         after.cycles - after.crashes);
    const double beforeRate = double(before.crashes) / double(before.cycles);
    QString text = QStringLiteral("after: ") + describe(after) + QStringLiteral("; before: ")
        + (before.crashes == 0 ? describe(before) : formatPercent(beforeRate));
    if (p < alpha)
        return text + QStringLiteral(", ") + formatPValue(p);
    return text + QStringLiteral(", no significant difference (") + formatPValue(p) + QLatin1Char(')');
}

} // namespace kms::hunt
