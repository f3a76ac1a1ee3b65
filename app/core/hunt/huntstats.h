// The statistics a hunt reports: how often a condition crashes (with the interval the data
// supports, also when nothing crashed), and whether two builds differ beyond chance.
#pragma once

#include <QString>

namespace kms::hunt {

// z for a two-sided 95% interval (the 97.5% quantile of the standard normal).
inline constexpr double kZ95 = 1.959963984540054;

struct Interval {
    double low = 0;
    double high = 1;
};

// Wilson's score interval for k events in n trials (Wilson 1927; Newcombe 1998, method 3).
// Unlike the normal approximation it stays inside [0, 1] and with k = 0 gives a real upper
// bound (0.64% for 0 of 600). n = 0 gives [0, 1]: no data, no knowledge.
Interval wilsonInterval(qint64 k, qint64 n, double z = kZ95);

// Fisher's exact test on the 2x2 table [[a, b], [c, d]], two-sided: the probability, with the
// margins fixed, of every table no more likely than the observed one (R's fisher.test rule,
// with the same 1e-7 relative tolerance for ties). 1 for an empty table.
double fisherExactTwoSided(qint64 a, qint64 b, qint64 c, qint64 d);

// A rate as a user reads it: "31%", "0.64%", "0.052%" (two significant digits below 1%).
QString formatPercent(double rate);
// "p < 0.001", "p = 0.012", "p = 0.049", "p = 0.49".
QString formatPValue(double p);

struct RateCount {
    qint64 crashes = 0;
    qint64 cycles = 0;
};

// The sentence the data supports for a before/after pair, e.g. "after: 0 crashes in 600
// cycles, rate below 0.64% at 95%; before: 31%, p < 0.001" (a fix), or "after: 3 crashes in
// 600 cycles (0.5%, 95% CI 0.17%-1.5%); before: 31%, p < 0.001", or "... no significant
// difference (p = 0.49)".
QString compareStatement(RateCount before, RateCount after, double alpha = 0.05);

} // namespace kms::hunt
