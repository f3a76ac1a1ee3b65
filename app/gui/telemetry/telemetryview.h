// The Telemetry dock's widget: one plot per unit group (ring fills in % of capacity with warning
// and critical lines, counters, ns, ppm, µs, ...) on one node-time axis shared with the console:
// alarms and kernel reports are markers on it, and a click on a report's marker asks for that
// report. Follows the newest data until the user pauses, zooms (wheel) or pans (drag); Reset
// follows again. Redraws from a timer at most 30 times a second and only when something changed;
// each redraw costs a bounded number of points per pixel column, whatever the sample rate.
#pragma once

#include "channelgroups.h"
#include "cyclemarkers.h"
#include "plotcanvas.h"
#include "telemetry/telemetrysample.h"

#include <QElapsedTimer>
#include <QList>
#include <QTimer>
#include <QWidget>

#include <memory>
#include <vector>

class QAction;
class QComboBox;
class QLabel;
class QVBoxLayout;

namespace kms::telemetry {
class TelemetryStore;
}

namespace kms::gui {

class TelemetryView : public QWidget
{
    Q_OBJECT
public:
    struct Marker {
        qint64 tNs = 0;
        bool report = false; // else an alarm
        int reportId = -1;
        QString text; // report title or alarm line
        QString label; // on the plot: "report", or the alarm's kind
    };

    explicit TelemetryView(kms::telemetry::TelemetryStore *store, QWidget *parent = nullptr,
                           PlotCanvas::Backend backend = PlotCanvas::defaultBackend());
    ~TelemetryView() override;

    void addAlarm(const kms::telemetry::TelemetryAlarm &alarm);
    void addReportMarker(qint64 tNs, int reportId, const QString &title);
    const QList<Marker> &markers() const { return m_markers; }
    void setFillLimits(double warningPct, double criticalPct);
    // Reload cycles on the same axis (CycleTimeline's boundaries and verdicts); a new run
    // clears the previous run's.
    void addCycleBoundary(const kms::telemetry::CycleBoundary &boundary);
    void setCycleVerdict(int cycle, kms::Verdict verdict);
    void clearCycles();
    const CycleMarkers &cycleMarkers() const { return m_cycles; }
    // The node time of what is under pixel x of plot i (tests click on markers with it).
    double pixelOf(int plot, qint64 tNs) const;

    // The view: follows the newest data over `windowNs`, or stays where the user put it.
    void setWindowNs(qint64 windowNs);
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    void resetView(); // follow the newest data again with the chosen window
    void zoom(double factor, double centerS);
    void panBy(double seconds);
    qint64 visibleFirstNs() const { return m_t0; }
    qint64 visibleLastNs() const { return m_t1; }

    // What is drawn (tests, screenshots).
    int plotCount() const { return int(m_plots.size()); }
    PlotCanvas *plot(int i) const { return m_plots[size_t(i)]->canvas.get(); }
    QStringList plotKeys(int i) const;
    QString plotTitle(int i) const;
    QList<QPointF> lineData(const QString &key) const; // as last drawn (fills in %)
    QList<int> visibleMarkerIndexes(int plot) const;
    PlotCanvas::Backend backend() const { return m_backend; }
    quint64 frames() const { return m_frames; }

    bool exportPng(const QString &file) const;
    bool exportCsv(const QString &file, QString *error = nullptr) const;

    // Draws a frame now if anything changed (the timer calls it).
    void refresh();
    // True (default): a frame is rendered and painted within refresh(). False: the plots'
    // queued replot and paint (the way before; the benchmark compares both in one run).
    void setImmediatePaint(bool immediate) { m_immediatePaint = immediate; }

signals:
    void reportActivated(int reportId);
    // A click on one of a reload cycle's boundaries.
    void cycleActivated(int cycle);
    // The first samples arrived (a hidden dock may want to show itself).
    void firstData();
    // A frame begins (its store queries follow), its data is set and about to be painted,
    // and it was drawn (newestNs: the newest node time in it). The benchmark times them.
    void frameStarted();
    void frameReady(qint64 newestNs);
    void frameDrawn(qint64 newestNs);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Plot {
        ChannelGroup group;
        std::unique_ptr<PlotCanvas> canvas;
        QList<QList<QPointF>> data; // per key, as last drawn
        int columns = 0; // the plot's width when last drawn
    };
    void buildToolBar(QVBoxLayout *layout);
    void rebuildPlots(const QStringList &keys);
    void drawPlot(Plot &plot, qint64 &newest);
    int plotOf(QObject *mouseWidget) const;
    const Marker *markerNear(int plot, double px) const;
    std::optional<qsizetype> cycleNear(int plot, double px) const;
    void showReadout(double xS);
    void updateStatus();
    void askExportPng();
    void askExportCsv();

    kms::telemetry::TelemetryStore *m_store;
    PlotCanvas::Backend m_backend;
    std::vector<std::unique_ptr<Plot>> m_plots;
    QStringList m_keys; // the store's keys the plots were built for
    QWidget *m_plotArea = nullptr;
    QVBoxLayout *m_plotLayout = nullptr;
    QLabel *m_readout = nullptr;
    QLabel *m_status = nullptr;
    QAction *m_pauseAction = nullptr;
    QComboBox *m_windowBox = nullptr;
    QTimer m_timer;
    QList<Marker> m_markers; // ascending node time
    CycleMarkers m_cycles;
    double m_warningPct = 75, m_criticalPct = 90;
    qint64 m_windowNs = 10'000'000'000;
    bool m_paused = false; // the view stays where it is (data is still recorded)
    qint64 m_t0 = 0, m_t1 = 0;
    quint64 m_drawnRevision = ~0ull;
    bool m_viewChanged = true;
    bool m_immediatePaint = true;
    quint64 m_frames = 0;
    // Drag to pan.
    bool m_dragging = false;
    double m_dragX = 0;
};

} // namespace kms::gui
