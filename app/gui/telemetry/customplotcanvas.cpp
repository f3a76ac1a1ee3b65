#include "customplotcanvas.h"

#include <qcustomplot.h>

namespace kms::gui {

namespace {
constexpr int kLegendWidth = 210;
constexpr int kLeftMargin = 78;
} // namespace

class CustomPlotCanvas::Plot : public QCustomPlot
{
public:
    Plot(CustomPlotCanvas *owner, QWidget *parent)
        : QCustomPlot(parent)
        , m_owner(owner)
    {
    }

protected:
    void paintEvent(QPaintEvent *event) override
    {
        QCustomPlot::paintEvent(event);
        m_owner->painted();
    }

private:
    CustomPlotCanvas *m_owner;
};

CustomPlotCanvas::CustomPlotCanvas(QWidget *parent)
    : m_plot(new Plot(this, parent))
{
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->setNotAntialiasedElements(QCP::aeAll); // software rendering: thin lines, no AA cost
    m_plot->setPlottingHints(QCP::phFastPolylines | QCP::phCacheLabels);
    // One paint buffer, not two: each replot clears every buffer, and the crosshair is cheap to
    // draw with the rest.
    m_plot->layer(QStringLiteral("overlay"))->setMode(QCPLayer::lmLogical);
    m_plot->xAxis->setLabel(QObject::tr("node time (s)"));
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(m_plot->font().family(), 8));
    m_plot->legend->setRowSpacing(-3);
    // The legend in a column of its own at a fixed width, and a fixed left margin: every plot's
    // time axis then spans the same pixels, so a marker lines up across the plots.
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    auto *side = new QCPLayoutGrid; // the legend on top, the rest of the column empty
    m_plot->plotLayout()->addElement(0, 1, side);
    side->addElement(0, 0, m_plot->legend);
    side->addElement(1, 0, new QCPLayoutElement(m_plot));
    side->setRowStretchFactor(0, 0.001);
    side->setRowSpacing(0);
    m_plot->legend->setMinimumSize(kLegendWidth, 0);
    m_plot->legend->setMaximumSize(kLegendWidth, QWIDGETSIZE_MAX);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setMargins(QMargins(6, 2, 2, 2));
    m_plot->plotLayout()->setColumnStretchFactor(1, 0.001);
    m_plot->axisRect()->setAutoMargins(QCP::msTop | QCP::msBottom | QCP::msRight);
    m_plot->axisRect()->setMargins(QMargins(kLeftMargin, 0, 0, 0));
    m_plot->setMinimumHeight(120);
    m_crosshair = verticalLine(QColor(90, 90, 90), Qt::DotLine);
    m_crosshair->setVisible(false);
}

CustomPlotCanvas::~CustomPlotCanvas() = default; // the widget belongs to its parent

QWidget *CustomPlotCanvas::widget()
{
    return m_plot;
}
QWidget *CustomPlotCanvas::mouseWidget()
{
    return m_plot;
}

void CustomPlotCanvas::setAxisTitle(const QString &title)
{
    m_plot->yAxis->setLabel(title);
}

int CustomPlotCanvas::addLine(const QString &name, const QColor &color)
{
    QCPGraph *g = m_plot->addGraph();
    g->setName(name);
    g->setPen(QPen(color, 1));
    g->setAdaptiveSampling(false); // the store already gives at most 2 points per column
    m_lines.append(g);
    return int(m_lines.size() - 1);
}

void CustomPlotCanvas::setLineVisible(int line, bool visible)
{
    m_lines[line]->setVisible(visible);
    if (visible)
        m_lines[line]->addToLegend();
    else
        m_lines[line]->removeFromLegend();
}

void CustomPlotCanvas::setLineData(int line, const QList<QPointF> &points)
{
    QVector<QCPGraphData> data;
    data.reserve(points.size());
    for (const QPointF &p : points)
        data.append(QCPGraphData(p.x(), p.y()));
    m_lines[line]->data()->set(data, true);
}

void CustomPlotCanvas::setRanges(double x0, double x1, double y0, double y1)
{
    m_x0 = x0;
    m_x1 = x1;
    m_plot->xAxis->setRange(x0, x1);
    m_plot->yAxis->setRange(y0, y1);
}

QCPItemStraightLine *CustomPlotCanvas::verticalLine(const QColor &color, Qt::PenStyle style)
{
    auto *l = new QCPItemStraightLine(m_plot);
    l->setPen(QPen(color, 1, style));
    l->setSelectable(false);
    return l;
}

void CustomPlotCanvas::setLevels(const QList<Level> &levels)
{
    while (m_levels.size() < levels.size()) {
        auto *l = new QCPItemStraightLine(m_plot);
        l->setSelectable(false);
        m_levels.append(l);
    }
    for (qsizetype i = 0; i < m_levels.size(); ++i) {
        QCPItemStraightLine *l = m_levels[i];
        l->setVisible(i < levels.size());
        if (i >= levels.size())
            continue;
        l->setPen(QPen(levels[i].color, 1, Qt::DashLine));
        l->point1->setCoords(0, levels[i].y);
        l->point2->setCoords(1, levels[i].y);
    }
}

void CustomPlotCanvas::setMarkers(const QList<Marker> &markers)
{
    while (m_markers.size() < markers.size())
        m_markers.append(verticalLine(Qt::red, Qt::SolidLine));
    for (qsizetype i = 0; i < m_markers.size(); ++i) {
        QCPItemStraightLine *l = m_markers[i];
        l->setVisible(i < markers.size());
        if (i >= markers.size())
            continue;
        l->setPen(QPen(markers[i].color, markers[i].width, markers[i].style));
        l->point1->setCoords(markers[i].x, 0);
        l->point2->setCoords(markers[i].x, 1);
    }
    qsizetype labels = 0;
    for (const Marker &m : markers) {
        if (m.label.isEmpty())
            continue;
        if (labels == m_labels.size()) {
            auto *t = new QCPItemText(m_plot);
            t->setSelectable(false);
            t->setClipToAxisRect(true);
            t->position->setTypeX(QCPItemPosition::ptPlotCoords);
            t->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
            t->setFont(QFont(m_plot->font().family(), 7));
            t->setPadding(QMargins(1, 0, 2, 0));
            t->setBrush(QColor(255, 255, 255, 215)); // readable over the lines it crosses
            m_labels.append(t);
        }
        QCPItemText *t = m_labels[labels++];
        t->setVisible(true);
        t->setText(m.label);
        t->setColor(m.color);
        t->setPositionAlignment(Qt::AlignRight | (m.labelAtBottom ? Qt::AlignBottom : Qt::AlignTop));
        t->position->setCoords(m.x, m.labelAtBottom ? 1 : 0);
    }
    for (qsizetype i = labels; i < m_labels.size(); ++i)
        m_labels[i]->setVisible(false);
}

void CustomPlotCanvas::setCrosshair(double x, bool visible)
{
    m_crosshair->setVisible(visible);
    m_crosshair->point1->setCoords(x, 0);
    m_crosshair->point2->setCoords(x, 1);
}

void CustomPlotCanvas::replot()
{
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CustomPlotCanvas::renderNow()
{
    // Into the paint buffer now; the widget is marked for update (the caller repaints).
    m_plot->replot(QCustomPlot::rpRefreshHint);
}

QRectF CustomPlotCanvas::plotArea() const
{
    return m_plot->axisRect()->rect();
}

} // namespace kms::gui
