#include "chartscanvas.h"

#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
#include <QLegendMarker>
#include <QLineSeries>
#include <QValueAxis>
#include <QtNumeric>

#include <cmath>

namespace kms::gui {

namespace {

// A tick step of 1, 2 or 5 times a power of ten giving about `ticks` ticks over `span`.
double niceStep(double span, int ticks)
{
    if (!(span > 0))
        return 1;
    const double raw = span / ticks, mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}
} // namespace

class ChartsCanvas::View : public QChartView
{
public:
    View(ChartsCanvas *owner, QChart *chart, QWidget *parent)
        : QChartView(chart, parent)
        , m_owner(owner)
    {
    }

protected:
    void paintEvent(QPaintEvent *event) override
    {
        QChartView::paintEvent(event);
        m_owner->painted();
    }

private:
    ChartsCanvas *m_owner;
};

ChartsCanvas::ChartsCanvas(QWidget *parent)
    : m_chart(new QChart)
    , m_x(new QValueAxis)
    , m_y(new QValueAxis)
{
    m_view = new View(this, m_chart, parent);
    m_view->setRenderHint(QPainter::Antialiasing, false);
    m_view->setMinimumHeight(120);
    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->legend()->setAlignment(Qt::AlignRight);
    m_chart->layout()->setContentsMargins(0, 0, 0, 0);
    m_chart->setBackgroundRoundness(0);
    QFont small = m_view->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    for (QValueAxis *a : {m_x, m_y}) {
        a->setLabelsFont(small);
        a->setTitleFont(small);
    }
    m_chart->legend()->setFont(small);
    m_x->setTitleText(QObject::tr("node time (s)"));
    for (QValueAxis *a : {m_x, m_y}) {
        a->setTickAnchor(0);
        a->setTickInterval(0.2);
        a->setTickType(QValueAxis::TicksDynamic);
        a->setLabelFormat(QStringLiteral("%g"));
    }
    m_chart->addAxis(m_x, Qt::AlignBottom);
    m_chart->addAxis(m_y, Qt::AlignLeft);
    m_crosshair = newSeries(QColor(90, 90, 90), Qt::DotLine, 1, false);
    m_crosshair->setVisible(false);
}

ChartsCanvas::~ChartsCanvas() = default; // the view (and its chart) belong to the parent widget

QWidget *ChartsCanvas::widget()
{
    return m_view;
}
QWidget *ChartsCanvas::mouseWidget()
{
    return m_view->viewport();
}

void ChartsCanvas::setAxisTitle(const QString &title)
{
    m_y->setTitleText(title);
}

QLineSeries *ChartsCanvas::newSeries(const QColor &color, Qt::PenStyle style, int width, bool inLegend,
                                     const QString &name)
{
    auto *s = new QLineSeries;
    s->setName(name);
    s->setPen(QPen(color, width, style));
    m_chart->addSeries(s);
    s->attachAxis(m_x);
    s->attachAxis(m_y);
    if (!inLegend) {
        for (QLegendMarker *m : m_chart->legend()->markers(s))
            m->setVisible(false);
    }
    return s;
}

int ChartsCanvas::addLine(const QString &name, const QColor &color)
{
    Line line;
    line.name = name;
    line.color = color;
    line.segments.append(newSeries(color, Qt::SolidLine, 1, true, name));
    m_lines.append(line);
    return int(m_lines.size() - 1);
}

void ChartsCanvas::setLineVisible(int line, bool visible)
{
    Line &l = m_lines[line];
    l.visible = visible;
    for (QLineSeries *s : l.segments)
        s->setVisible(visible);
    for (QLegendMarker *m : m_chart->legend()->markers(l.segments.front()))
        m->setVisible(visible);
}

void ChartsCanvas::setLineData(int line, const QList<QPointF> &points)
{
    Line &l = m_lines[line];
    QList<QList<QPointF>> parts(1);
    for (const QPointF &p : points) {
        if (qIsNaN(p.y())) {
            if (!parts.back().isEmpty())
                parts.append(QList<QPointF>());
        } else {
            parts.back().append(p);
        }
    }
    while (l.segments.size() < parts.size())
        l.segments.append(newSeries(l.color, Qt::SolidLine, 1, false));
    for (qsizetype i = 0; i < l.segments.size(); ++i) {
        QLineSeries *s = l.segments[i];
        if (i < parts.size()) {
            s->replace(parts[i]);
        } else if (s->count() > 0) {
            s->clear();
        }
        s->setVisible(l.visible);
    }
}

// Round ticks (QValueAxis divides the range into equal parts otherwise: 22.72, 23.58, ...). The
// order matters: the old interval over a much larger new range (or the new, smaller interval over
// the old range) would make an item per tick, hundreds of thousands of them, for a moment.
static void setAxis(QValueAxis *axis, double lo, double hi, int ticks)
{
    const double interval = niceStep(hi - lo, ticks);
    if (interval >= axis->tickInterval()) {
        axis->setTickInterval(interval);
        axis->setRange(lo, hi);
    } else {
        axis->setRange(lo, hi);
        axis->setTickInterval(interval);
    }
}

void ChartsCanvas::setRanges(double x0, double x1, double y0, double y1)
{
    m_x0 = x0;
    m_x1 = x1;
    m_y0 = y0;
    m_y1 = y1;
    setAxis(m_x, x0, x1, 6);
    setAxis(m_y, y0, y1, 4);
    placeFixedLines();
}

void ChartsCanvas::placeFixedLines()
{
    for (qsizetype i = 0; i < m_levels.size(); ++i) {
        const bool on = i < m_levelValues.size();
        m_levels[i]->setVisible(on);
        if (on)
            m_levels[i]->replace({{m_x0, m_levelValues[i].y}, {m_x1, m_levelValues[i].y}});
    }
    for (qsizetype i = 0; i < m_markers.size(); ++i) {
        const bool on = i < m_markerValues.size();
        m_markers[i]->setVisible(on);
        if (on)
            m_markers[i]->replace({{m_markerValues[i].x, m_y0}, {m_markerValues[i].x, m_y1}});
    }
    m_crosshair->replace({{m_crossX, m_y0}, {m_crossX, m_y1}});
}

void ChartsCanvas::setLevels(const QList<Level> &levels)
{
    m_levelValues = levels;
    while (m_levels.size() < levels.size())
        m_levels.append(newSeries(Qt::gray, Qt::DashLine, 1, false));
    for (qsizetype i = 0; i < levels.size(); ++i)
        m_levels[i]->setPen(QPen(levels[i].color, 1, Qt::DashLine));
    placeFixedLines();
}

void ChartsCanvas::setMarkers(const QList<Marker> &markers)
{
    m_markerValues = markers;
    while (m_markers.size() < markers.size())
        m_markers.append(newSeries(Qt::red, Qt::SolidLine, 2, false));
    for (qsizetype i = 0; i < markers.size(); ++i)
        m_markers[i]->setPen(QPen(markers[i].color, markers[i].width, markers[i].style)); // labels: QCustomPlot only
    placeFixedLines();
}

void ChartsCanvas::setCrosshair(double x, bool visible)
{
    m_crossX = x;
    m_crosshair->setVisible(visible);
    m_crosshair->replace({{x, m_y0}, {x, m_y1}});
}

void ChartsCanvas::replot()
{
    m_view->viewport()->update();
}

QRectF ChartsCanvas::plotArea() const
{
    return m_view->mapFromScene(m_chart->plotArea()).boundingRect();
}

} // namespace kms::gui
