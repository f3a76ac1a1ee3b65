// Turns a channel's items over a time range into plot points: at most 2 per pixel column (the
// column's min and max, drawn as a vertical stroke joined to its neighbours) or, zoomed in
// where the samples are fewer than the columns, the samples themselves. A gap breaks the line.
#pragma once

#include "telemetry/chunkedseries.h"

#include <QList>
#include <QPointF>

#include <vector>

namespace kms::telemetry {

struct DecimatorInput {
    qint64 t0Ns = 0, t1Ns = 0; // the visible range
    int columns = 1;
    bool samples = false; // items are raw samples, few enough to draw one by one
    const std::vector<MinMaxBucket> *items = nullptr; // ascending
    const std::vector<qint64> *gaps = nullptr; // ascending: time of the last sample before each
};

// x in node seconds; a point with NaN y breaks the line.
QList<QPointF> decimateColumns(const DecimatorInput &in);

} // namespace kms::telemetry
