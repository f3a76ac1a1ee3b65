// The oracle for a hunt cell's 95% interval in the Hunt dock tests: Wilson's score interval by its
// formula (Wilson 1927), computed here, not taken from the hunt's statistics.
#pragma once

#include <cmath>
#include <utility>

namespace huntoracle {

// k crashes in n cycles; z = qnorm(0.975).
inline std::pair<double, double> wilson(double k, double n)
{
    const double z = 1.959963984540054;
    const double p = k / n;
    const double d = 1 + z * z / n;
    const double c = (p + z * z / (2 * n)) / d;
    const double h = z / d * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
    return {k == 0 ? 0.0 : c - h, k == n ? 1.0 : c + h};
}

} // namespace huntoracle
