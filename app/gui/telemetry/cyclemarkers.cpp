#include "cyclemarkers.h"

#include "cyclesmodel.h"

#include <algorithm>
#include <cmath>

namespace kms::gui {

using kms::telemetry::CycleBoundary;

namespace {

constexpr double kNsPerS = 1e9;

QString kindName(CycleBoundary::Kind kind)
{
    switch (kind) {
    case CycleBoundary::Kind::Begin:
        return QStringLiteral("begins");
    case CycleBoundary::Kind::Loaded:
        return QStringLiteral("loaded");
    case CycleBoundary::Kind::Unloaded:
        return QStringLiteral("unloaded");
    case CycleBoundary::Kind::End:
        return QStringLiteral("ends");
    }
    return {};
}

} // namespace

void CycleMarkers::clear()
{
    m_items.clear();
    m_verdicts.clear();
}

void CycleMarkers::add(const CycleBoundary &boundary)
{
    const auto at = std::upper_bound(m_items.begin(), m_items.end(), boundary.tNs,
                                     [](qint64 t, const CycleBoundary &b) { return t < b.tNs; });
    m_items.insert(at, boundary);
    if (m_items.size() > maxBoundaries)
        m_items.removeFirst();
}

void CycleMarkers::setVerdict(int cycle, Verdict verdict)
{
    m_verdicts.insert(cycle, verdict);
}

QColor CycleMarkers::color(int cycle) const
{
    const auto it = m_verdicts.constFind(cycle);
    return it == m_verdicts.cend() ? QColor(140, 140, 140) : CyclesModel::verdictColor(*it);
}

QList<PlotCanvas::Marker> CycleMarkers::visible(qint64 t0Ns, qint64 t1Ns, int columns, bool labels) const
{
    QList<PlotCanvas::Marker> out;
    if (t1Ns <= t0Ns || columns <= 0)
        return out;
    const double nsPerPx = double(t1Ns - t0Ns) / columns;
    auto first = std::lower_bound(m_items.begin(), m_items.end(), t0Ns,
                                  [](const CycleBoundary &b, qint64 t) { return b.tNs < t; });
    qint64 bucket = -1;
    const CycleBoundary *kept = nullptr;
    double lastLabelPx = -1e9;
    auto rankOf = [this](int cycle) { // lower is worse; a cycle still running ranks after a pass
        const auto it = m_verdicts.constFind(cycle);
        return it == m_verdicts.cend() ? int(Verdict::Pass) + 1 : int(*it);
    };
    auto emitKept = [&] {
        if (!kept)
            return;
        // End markers are not drawn: the next cycle's begin follows at once.
        PlotCanvas::Marker m{double(kept->tNs) / kNsPerS, color(kept->cycle), Qt::SolidLine, 1, {}};
        if (kept->kind == CycleBoundary::Kind::Loaded)
            m.style = Qt::DashLine;
        else if (kept->kind == CycleBoundary::Kind::Unloaded)
            m.style = Qt::DotLine;
        const double px = double(kept->tNs - t0Ns) / nsPerPx;
        if (labels && kept->kind == CycleBoundary::Kind::Begin && px - lastLabelPx >= labelSpacingPx) {
            m.label = QStringLiteral("#%1").arg(kept->cycle);
            lastLabelPx = px;
        }
        out.append(m);
    };
    for (auto it = first; it != m_items.end() && it->tNs <= t1Ns; ++it) {
        if (it->kind == CycleBoundary::Kind::End)
            continue;
        const qint64 b = qint64(double(it->tNs - t0Ns) / nsPerPx) / minSpacingPx;
        if (b != bucket) {
            emitKept();
            bucket = b;
            kept = &*it;
        } else if (rankOf(it->cycle) < rankOf(kept->cycle)) {
            kept = &*it; // the worse cycle shows through
        } else if (it->kind == CycleBoundary::Kind::Begin && kept->kind != CycleBoundary::Kind::Begin
                   && it->cycle != kept->cycle) {
            kept = &*it; // a begin (labelled) over another cycle's load/unload of the same verdict
        }
    }
    emitKept();
    return out;
}

std::optional<qsizetype> CycleMarkers::near(qint64 tNs, qint64 toleranceNs) const
{
    auto it = std::lower_bound(m_items.begin(), m_items.end(), tNs - toleranceNs,
                               [](const CycleBoundary &b, qint64 t) { return b.tNs < t; });
    // As drawn: where boundaries crowd, the worst cycle's line is the one on screen.
    std::optional<qsizetype> best;
    std::pair<int, qint64> bestKey{int(Verdict::Pass) + 2, 0};
    for (; it != m_items.end() && it->tNs <= tNs + toleranceNs; ++it) {
        if (it->kind == CycleBoundary::Kind::End)
            continue;
        const auto v = m_verdicts.constFind(it->cycle);
        const std::pair<int, qint64> key{v == m_verdicts.cend() ? int(Verdict::Pass) + 1 : int(*v),
                                         std::abs(it->tNs - tNs)};
        if (!best || key < bestKey) {
            bestKey = key;
            best = it - m_items.begin();
        }
    }
    return best;
}

QString CycleMarkers::describe(qsizetype index) const
{
    const CycleBoundary &b = m_items[index];
    const auto v = m_verdicts.constFind(b.cycle);
    QString s
        = QStringLiteral("cycle %1 %2 (kernel time %3 s)").arg(b.cycle).arg(kindName(b.kind)).arg(b.printkS, 0, 'f', 6);
    if (v != m_verdicts.cend())
        s += QStringLiteral(" · ") + toString(*v);
    return s + QStringLiteral(" · click: show it in the Cycles dock");
}

} // namespace kms::gui
