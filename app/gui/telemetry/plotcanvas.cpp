#include "plotcanvas.h"

#include "chartscanvas.h"
#include "customplotcanvas.h"

namespace kms::gui {

std::unique_ptr<PlotCanvas> PlotCanvas::create(Backend backend, QWidget *parent)
{
    if (backend == Backend::QtCharts)
        return std::make_unique<ChartsCanvas>(parent);
    return std::make_unique<CustomPlotCanvas>(parent);
}

PlotCanvas::Backend PlotCanvas::defaultBackend()
{
    const QByteArray env = qgetenv("KMS_TELEMETRY_PLOT");
    if (env == "charts")
        return Backend::QtCharts;
    if (env == "qcustomplot")
        return Backend::QCustomPlot;
    return Backend::QCustomPlot; // see the benchmark figures in bench/telemetry_dock.cpp
}

QString PlotCanvas::backendName(Backend backend)
{
    return backend == Backend::QtCharts ? QStringLiteral("Qt Charts") : QStringLiteral("QCustomPlot");
}

double PlotCanvas::pixelToX(double px) const
{
    const QRectF a = plotArea();
    return a.width() <= 0 ? m_x0 : m_x0 + (px - a.left()) / a.width() * (m_x1 - m_x0);
}

double PlotCanvas::xToPixel(double x) const
{
    const QRectF a = plotArea();
    return m_x1 == m_x0 ? a.left() : a.left() + (x - m_x0) / (m_x1 - m_x0) * a.width();
}

} // namespace kms::gui
