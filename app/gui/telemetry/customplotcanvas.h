// PlotCanvas on QCustomPlot: one QCPGraph per line (NaN values are gaps), straight-line items
// for limits, markers and the crosshair. Replots into its buffer and paints on the next update.
#pragma once

#include "plotcanvas.h"

class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;

namespace kms::gui {

class CustomPlotCanvas : public PlotCanvas
{
public:
    explicit CustomPlotCanvas(QWidget *parent);
    ~CustomPlotCanvas() override;

    QWidget *widget() override;
    QWidget *mouseWidget() override;
    void setAxisTitle(const QString &title) override;
    int addLine(const QString &name, const QColor &color) override;
    void setLineVisible(int line, bool visible) override;
    void setLineData(int line, const QList<QPointF> &points) override;
    void setRanges(double x0, double x1, double y0, double y1) override;
    void setLevels(const QList<Level> &levels) override;
    void setMarkers(const QList<Marker> &markers) override;
    void setCrosshair(double x, bool visible) override;
    void replot() override;
    void renderNow() override;
    QRectF plotArea() const override;

private:
    QCPItemStraightLine *verticalLine(const QColor &color, Qt::PenStyle style);
    class Plot;
    Plot *m_plot;
    QList<QCPGraph *> m_lines;
    QList<QCPItemStraightLine *> m_levels;
    QList<QCPItemStraightLine *> m_markers;
    QList<QCPItemText *> m_labels; // pooled like the markers
    QCPItemStraightLine *m_crosshair = nullptr;
};

} // namespace kms::gui
