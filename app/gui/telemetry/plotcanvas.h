// The small interface the Telemetry dock draws through: one plot area with lines that share a
// time axis (node seconds) and one value axis, horizontal limit lines and vertical markers. Two
// implementations (Qt Charts, QCustomPlot) so that the benchmark can compare them in one run.
#pragma once

#include <QColor>
#include <QList>
#include <QPointF>
#include <QRectF>
#include <QString>

#include <functional>
#include <memory>

class QWidget;

namespace kms::gui {

class PlotCanvas
{
public:
    enum class Backend { QtCharts, QCustomPlot };
    struct Level { // a horizontal line (warning, critical)
        double y = 0;
        QColor color;
        QString label;
    };
    struct Marker { // a vertical line on the time axis (alarm, kernel report, cycle boundary)
        double x = 0;
        QColor color;
        Qt::PenStyle style = Qt::SolidLine;
        int width = 2;
        QString label; // drawn left of the line (empty: none)
        bool labelAtBottom = false; // else at the top of the plot
    };

    virtual ~PlotCanvas() = default;
    static std::unique_ptr<PlotCanvas> create(Backend backend, QWidget *parent);
    static Backend defaultBackend(); // KMS_TELEMETRY_PLOT=charts|qcustomplot overrides it
    static QString backendName(Backend backend);

    virtual QWidget *widget() = 0;
    virtual QWidget *mouseWidget() = 0; // the widget that receives the mouse events
    virtual void setAxisTitle(const QString &title) = 0;
    virtual int addLine(const QString &name, const QColor &color) = 0;
    virtual void setLineVisible(int line, bool visible) = 0;
    // x in node seconds; a NaN y breaks the line.
    virtual void setLineData(int line, const QList<QPointF> &points) = 0;
    virtual void setRanges(double x0, double x1, double y0, double y1) = 0;
    virtual void setLevels(const QList<Level> &levels) = 0;
    virtual void setMarkers(const QList<Marker> &markers) = 0;
    virtual void setCrosshair(double x, bool visible) = 0; // a vertical line following the mouse
    virtual void replot() = 0; // draws what was set (queued: the widget paints on its next update)
    // Renders what was set now, so that the caller's repaint() of the plots' parent shows it in
    // this event-loop pass (a frame from the redraw timer: no queued hop before the paint).
    virtual void renderNow() { replot(); }
    virtual QRectF plotArea() const = 0; // in mouseWidget() coordinates
    virtual int plotWidth() const { return int(plotArea().width()); }
    // Called after each paint of the plot (the benchmark measures latency to the screen with it).
    void setPaintedCallback(std::function<void()> f) { m_painted = std::move(f); }
    double pixelToX(double px) const;
    double xToPixel(double x) const;

protected:
    void painted()
    {
        if (m_painted)
            m_painted();
    }
    double m_x0 = 0, m_x1 = 1;
    std::function<void()> m_painted;
};

} // namespace kms::gui
