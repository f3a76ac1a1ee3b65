// PlotCanvas on Qt Charts (the design's first choice): QLineSeries cannot break a line, so each
// line is a small pool of series, one per unbroken segment; limits, markers and the crosshair
// are two-point series. The chart lays itself out (a fixed plot area drew the series and the
// axes in different places), so plots with legends of different widths do not line up: one
// reason, with its CPU cost, why QCustomPlot is the default (see bench/telemetry_dock.cpp).
#pragma once

#include "plotcanvas.h"

#include <QList>

class QChart;
class QLineSeries;
class QValueAxis;

namespace kms::gui {

class ChartsCanvas : public PlotCanvas
{
public:
    explicit ChartsCanvas(QWidget *parent);
    ~ChartsCanvas() override;

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
    QRectF plotArea() const override;

private:
    QLineSeries *newSeries(const QColor &color, Qt::PenStyle style, int width, bool inLegend, const QString &name = {});
    void placeFixedLines();
    struct Line {
        QString name;
        QColor color;
        bool visible = true;
        QList<QLineSeries *> segments;
    };
    class View;
    View *m_view;
    QChart *m_chart;
    QValueAxis *m_x;
    QValueAxis *m_y;
    double m_y0 = 0, m_y1 = 1;
    QList<Line> m_lines;
    QList<Level> m_levelValues;
    QList<QLineSeries *> m_levels;
    QList<Marker> m_markerValues;
    QList<QLineSeries *> m_markers;
    QLineSeries *m_crosshair = nullptr;
    double m_crossX = 0;
};

} // namespace kms::gui
