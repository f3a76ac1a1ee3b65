// Reload cycles on the Telemetry dock's time axis: each cycle's begin (solid), load (dashed) and
// unload (dotted) boundaries in its verdict's colour (the Cycles dock's; grey until the verdict
// is known), the begin labelled with the cycle number. A 40 ms cycle at a 10 min zoom would be
// thousands of lines: at most one boundary per few pixel columns is drawn, the worst verdict
// of the ones that share them.
#pragma once

#include "cycle/cycleresult.h"
#include "plotcanvas.h"
#include "telemetry/cycletimeline.h"

#include <QHash>
#include <QList>

#include <optional>

namespace kms::gui {

class CycleMarkers
{
public:
    static constexpr int minSpacingPx = 3;
    static constexpr int labelSpacingPx = 34;
    static constexpr qsizetype maxBoundaries = 100'000; // oldest dropped past it

    void clear();
    void add(const kms::telemetry::CycleBoundary &boundary);
    void setVerdict(int cycle, kms::Verdict verdict);
    qsizetype size() const { return m_items.size(); }
    const QList<kms::telemetry::CycleBoundary> &boundaries() const { return m_items; } // ascending time

    // What to draw over [t0Ns, t1Ns] on `columns` pixels; labels: the cycle numbers too.
    QList<PlotCanvas::Marker> visible(qint64 t0Ns, qint64 t1Ns, int columns, bool labels) const;
    // The boundary (index in boundaries()) within ±toleranceNs of tNs that a click there means:
    // the worst cycle's (it is the one drawn), then the nearest.
    std::optional<qsizetype> near(qint64 tNs, qint64 toleranceNs) const;
    QString describe(qsizetype index) const; // "cycle 12 loaded · crash"
    QColor color(int cycle) const;

private:
    QList<kms::telemetry::CycleBoundary> m_items;
    QHash<int, kms::Verdict> m_verdicts;
};

} // namespace kms::gui
