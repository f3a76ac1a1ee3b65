#include "telemetryview.h"

#include "telemetry/storecsv.h"
#include "telemetry/telemetrystore.h"

#include <QAction>
#include <QComboBox>
#include <QFileDialog>
#include <QHelpEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QSaveFile>
#include <QScrollArea>
#include <QToolBar>
#include <QToolTip>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QtNumeric>

#include <algorithm>
#include <cmath>

namespace kms::gui {

using kms::telemetry::TelemetryStore;

namespace {

constexpr double kNsPerS = 1e9;
constexpr int kFrameMs = 34; // at most 30 frames a second (33 ms would be 30.3)
constexpr int kMarkerHitPx = 4;
constexpr qsizetype kMaxMarkers = 20000; // oldest dropped past it

const QList<QColor> &lineColors()
{
    static const QList<QColor> colors = {
        QColor(31, 119, 180), QColor(255, 127, 14),  QColor(44, 160, 44),   QColor(214, 39, 40),  QColor(148, 103, 189),
        QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34), QColor(23, 190, 207)};
    return colors;
}

QColor markerColor(const TelemetryView::Marker &m)
{
    return m.report ? QColor(128, 0, 160) : QColor(220, 30, 30);
}

} // namespace

TelemetryView::TelemetryView(TelemetryStore *store, QWidget *parent, PlotCanvas::Backend backend)
    : QWidget(parent)
    , m_store(store)
    , m_backend(backend)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    buildToolBar(layout);
    m_readout = new QLabel(this);
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_readout->setWordWrap(true);
    m_readout->setText(tr("Waiting for telemetry…"));
    layout->addWidget(m_readout);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_plotArea = new QWidget(scroll);
    m_plotLayout = new QVBoxLayout(m_plotArea);
    m_plotLayout->setContentsMargins(0, 0, 0, 0);
    m_plotLayout->setSpacing(2);
    m_plotLayout->addStretch(1);
    scroll->setWidget(m_plotArea);
    layout->addWidget(scroll, 1);
    m_status = new QLabel(this);
    layout->addWidget(m_status);
    // Precise: a coarse timer may fire 5 % late, and the frame's age grows with it.
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &TelemetryView::refresh);
    m_timer.start(kFrameMs);
}

TelemetryView::~TelemetryView() = default;

void TelemetryView::buildToolBar(QVBoxLayout *layout)
{
    auto *bar = new QToolBar(this);
    bar->setIconSize(QSize(16, 16));
    m_pauseAction = bar->addAction(tr("Pause"));
    m_pauseAction->setCheckable(true);
    m_pauseAction->setToolTip(tr("Keep the view where it is (samples are still recorded)"));
    connect(m_pauseAction, &QAction::toggled, this, &TelemetryView::setPaused);
    bar->addAction(tr("Reset"), this, &TelemetryView::resetView)
        ->setToolTip(tr("Follow the newest samples again (wheel: zoom, drag: pan, double-click: reset)"));
    m_windowBox = new QComboBox(bar);
    const QList<QPair<QString, qint64>> windows
        = {{tr("1 s"), 1}, {tr("10 s"), 10}, {tr("1 min"), 60}, {tr("10 min"), 600}, {tr("1 h"), 3600}, {tr("all"), 0}};
    for (const auto &[label, s] : windows)
        m_windowBox->addItem(label, s * qint64(1'000'000'000));
    m_windowBox->setCurrentIndex(1);
    m_windowBox->setToolTip(tr("Time span shown while following"));
    connect(m_windowBox, &QComboBox::currentIndexChanged, this,
            [this](int i) { setWindowNs(m_windowBox->itemData(i).toLongLong()); });
    bar->addWidget(m_windowBox);
    bar->addSeparator();
    bar->addAction(tr("Export PNG…"), this, &TelemetryView::askExportPng);
    bar->addAction(tr("Export CSV…"), this, &TelemetryView::askExportCsv)
        ->setToolTip(tr("The full-rate samples of the visible range"));
    layout->addWidget(bar);
}

void TelemetryView::addAlarm(const kms::telemetry::TelemetryAlarm &alarm)
{
    Marker m{alarm.tNs, false, -1, alarm.text.isEmpty() ? alarm.kind + QLatin1Char(' ') + alarm.key : alarm.text,
             alarm.kind};
    const auto at = std::upper_bound(m_markers.begin(), m_markers.end(), m.tNs,
                                     [](qint64 t, const Marker &x) { return t < x.tNs; });
    m_markers.insert(at, m);
    if (m_markers.size() > kMaxMarkers)
        m_markers.removeFirst();
    m_viewChanged = true;
}

void TelemetryView::addReportMarker(qint64 tNs, int reportId, const QString &title)
{
    Marker m{tNs, true, reportId, title, tr("report")};
    const auto at = std::upper_bound(m_markers.begin(), m_markers.end(), tNs,
                                     [](qint64 t, const Marker &x) { return t < x.tNs; });
    m_markers.insert(at, m);
    if (m_markers.size() > kMaxMarkers)
        m_markers.removeFirst();
    m_viewChanged = true;
}

void TelemetryView::addCycleBoundary(const kms::telemetry::CycleBoundary &boundary)
{
    m_cycles.add(boundary);
    m_viewChanged = true;
}

void TelemetryView::setCycleVerdict(int cycle, kms::Verdict verdict)
{
    m_cycles.setVerdict(cycle, verdict);
    m_viewChanged = true;
}

void TelemetryView::clearCycles()
{
    m_cycles.clear();
    m_viewChanged = true;
}

double TelemetryView::pixelOf(int plot, qint64 tNs) const
{
    return m_plots[size_t(plot)]->canvas->xToPixel(double(tNs) / kNsPerS);
}

void TelemetryView::setFillLimits(double warningPct, double criticalPct)
{
    m_warningPct = warningPct;
    m_criticalPct = criticalPct;
    m_viewChanged = true;
}

void TelemetryView::setWindowNs(qint64 windowNs)
{
    m_windowNs = windowNs;
    const int i = m_windowBox->findData(windowNs);
    if (i >= 0 && i != m_windowBox->currentIndex())
        m_windowBox->setCurrentIndex(i); // comes back here once, with the same window
    resetView();
}

void TelemetryView::setPaused(bool paused)
{
    m_paused = paused;
    if (m_pauseAction->isChecked() != paused)
        m_pauseAction->setChecked(paused);
    m_viewChanged = true;
}

void TelemetryView::resetView()
{
    setPaused(false);
    m_viewChanged = true;
    refresh();
}

void TelemetryView::zoom(double factor, double centerS)
{
    const double c = centerS * kNsPerS;
    const double t0 = c + (double(m_t0) - c) * factor, t1 = c + (double(m_t1) - c) * factor;
    if (t1 - t0 < 1000) // 1 µs is as far as it goes
        return;
    setPaused(true);
    m_t0 = qint64(std::llround(t0));
    m_t1 = qint64(std::llround(t1));
    refresh();
}

void TelemetryView::panBy(double seconds)
{
    setPaused(true);
    const qint64 d = qint64(std::llround(seconds * kNsPerS));
    m_t0 += d;
    m_t1 += d;
    refresh();
}

QStringList TelemetryView::plotKeys(int i) const
{
    return m_plots[size_t(i)]->group.keys;
}

QString TelemetryView::plotTitle(int i) const
{
    return m_plots[size_t(i)]->group.title;
}

QList<QPointF> TelemetryView::lineData(const QString &key) const
{
    for (const auto &p : m_plots) {
        const qsizetype i = p->group.keys.indexOf(key);
        if (i >= 0 && i < p->data.size())
            return p->data[i];
    }
    return {};
}

void TelemetryView::rebuildPlots(const QStringList &keys)
{
    m_keys = keys;
    const QList<ChannelGroup> groups = groupChannels(keys);
    for (auto &p : m_plots)
        delete p->canvas->widget();
    m_plots.clear();
    for (const ChannelGroup &g : groups) {
        auto plot = std::make_unique<Plot>();
        plot->group = g;
        plot->canvas = PlotCanvas::create(m_backend, m_plotArea);
        plot->canvas->setAxisTitle(g.title);
        for (qsizetype k = 0; k < g.keys.size(); ++k) {
            QString name = g.keys[k];
            if (g.kind == ChannelGroup::Fill)
                name.chop(7); // "<ring>_fill_n" -> "<ring>"
            plot->canvas->addLine(name, lineColors()[int(k % lineColors().size())]);
        }
        if (g.kind == ChannelGroup::Fill) {
            plot->canvas->setLevels({{m_warningPct, QColor(230, 160, 0), tr("warning")},
                                     {m_criticalPct, QColor(210, 0, 0), tr("critical")}});
        }
        plot->canvas->widget()->setMinimumHeight(g.keys.size() > 6 ? 200 : 150);
        plot->canvas->mouseWidget()->setMouseTracking(true);
        plot->canvas->mouseWidget()->installEventFilter(this);
        m_plotLayout->insertWidget(m_plotLayout->count() - 1, plot->canvas->widget());
        m_plots.push_back(std::move(plot));
    }
}

void TelemetryView::refresh()
{
    const quint64 revision = m_store->revision();
    for (const auto &p : m_plots) {
        if (p->canvas->plotWidth() != p->columns)
            m_viewChanged = true; // resized: the traces have a point budget per pixel column
    }
    if (!m_viewChanged && (m_paused || revision == m_drawnRevision))
        return;
    if (!isVisible() && m_frames > 0 && !m_viewChanged)
        return;
    const QStringList keys = m_store->keys();
    if (keys != m_keys)
        rebuildPlots(keys);
    const TelemetryStore::Extent e = m_store->extent();
    if (!e.valid)
        return;
    if (!m_paused) {
        m_t1 = e.lastNs;
        m_t0 = m_windowNs > 0 ? m_t1 - m_windowNs : e.firstNs;
        if (m_t1 <= m_t0)
            m_t0 = m_t1 - 1'000'000;
    }
    emit frameStarted();
    qint64 newest = 0;
    for (auto &p : m_plots)
        drawPlot(*p, newest);
    emit frameReady(newest);
    // On screen in this pass: a queued replot and then a queued paint would each wait for the
    // event loop, under load up to a frame more between the store and the screen.
    if (m_immediatePaint && m_plotArea->isVisible())
        m_plotArea->repaint();
    if (m_frames == 0) {
        emit firstData();
        m_readout->setText(tr("Point at a plot for its values · wheel: zoom · drag: pan · double-click: follow again"));
    }
    m_drawnRevision = revision;
    m_viewChanged = false;
    ++m_frames;
    updateStatus();
    emit frameDrawn(newest);
}

void TelemetryView::drawPlot(Plot &plot, qint64 &newest)
{
    PlotCanvas &c = *plot.canvas;
    plot.columns = c.plotWidth();
    const int columns = std::max(50, plot.columns > 0 ? plot.columns : c.widget()->width() - 80);
    double lo = qInf(), hi = -qInf();
    plot.data.resize(plot.group.keys.size());
    for (qsizetype k = 0; k < plot.group.keys.size(); ++k) {
        kms::telemetry::PlotTrace t = m_store->trace(plot.group.keys[k], m_t0, m_t1, columns);
        if (plot.group.kind == ChannelGroup::Fill) {
            // Fill in % of the ring's capacity (its newest value: a ring's size is fixed at load).
            const auto cap = m_store->latest(plot.group.capKeys[k]);
            const double scale = cap && cap->v > 0 ? 100.0 / cap->v : qQNaN();
            for (QPointF &p : t.points)
                p.setY(p.y() * scale);
        }
        for (const QPointF &p : std::as_const(t.points)) {
            if (!qIsNaN(p.y())) {
                lo = std::min(lo, p.y());
                hi = std::max(hi, p.y());
            }
        }
        newest = std::max(newest, t.newestNs);
        c.setLineData(int(k), t.points);
        plot.data[k] = std::move(t.points);
    }
    if (plot.group.kind == ChannelGroup::Fill || plot.group.kind == ChannelGroup::Percent) {
        lo = std::min(0.0, lo);
        hi = std::max(105.0, hi);
    } else if (!(lo <= hi)) {
        lo = 0;
        hi = 1;
    } else {
        const double pad = hi > lo ? (hi - lo) * 0.08 : std::max(1.0, std::abs(hi) * 0.1);
        lo -= pad;
        hi += pad;
    }
    c.setRanges(double(m_t0) / kNsPerS, double(m_t1) / kNsPerS, lo, hi);
    // Cycle boundaries first: the alarms and reports are drawn over them. Labels on the top plot
    // only: cycle numbers at its top, what an alarm or report is at its bottom.
    const bool top = &plot == m_plots.front().get();
    QList<PlotCanvas::Marker> ms = m_cycles.visible(m_t0, m_t1, columns, top);
    const auto first = std::lower_bound(m_markers.begin(), m_markers.end(), m_t0,
                                        [](const Marker &x, qint64 t) { return x.tNs < t; });
    const double nsPerPx = double(m_t1 - m_t0) / columns;
    double lastLabelNs = -1e300;
    for (auto it = first; it != m_markers.end() && it->tNs <= m_t1; ++it) {
        PlotCanvas::Marker m{double(it->tNs) / kNsPerS, markerColor(*it), Qt::SolidLine, 2, {}, true};
        if (top && (double(it->tNs) - lastLabelNs) / nsPerPx >= CycleMarkers::labelSpacingPx * 1.5) {
            m.label = it->label;
            lastLabelNs = double(it->tNs);
        }
        ms.append(m);
    }
    c.setMarkers(ms);
    if (m_immediatePaint)
        c.renderNow();
    else
        c.replot();
}

QList<int> TelemetryView::visibleMarkerIndexes(int) const
{
    QList<int> out;
    for (qsizetype i = 0; i < m_markers.size(); ++i) {
        if (m_markers[i].tNs >= m_t0 && m_markers[i].tNs <= m_t1)
            out.append(int(i));
    }
    return out;
}

std::optional<qsizetype> TelemetryView::cycleNear(int plot, double px) const
{
    const PlotCanvas &c = *m_plots[size_t(plot)]->canvas;
    const double s = c.pixelToX(px);
    const double tolerance = std::abs(c.pixelToX(px + kMarkerHitPx + 0.5) - s);
    return m_cycles.near(qint64(std::llround(s * kNsPerS)), qint64(tolerance * kNsPerS));
}

int TelemetryView::plotOf(QObject *mouseWidget) const
{
    for (size_t i = 0; i < m_plots.size(); ++i) {
        if (m_plots[i]->canvas->mouseWidget() == mouseWidget)
            return int(i);
    }
    return -1;
}

const TelemetryView::Marker *TelemetryView::markerNear(int plot, double px) const
{
    const PlotCanvas &c = *m_plots[size_t(plot)]->canvas;
    const Marker *best = nullptr;
    double bestD = kMarkerHitPx + 0.5;
    for (const int i : visibleMarkerIndexes(plot)) {
        const double d = std::abs(c.xToPixel(double(m_markers[i].tNs) / kNsPerS) - px);
        if (d < bestD) {
            bestD = d;
            best = &m_markers[i];
        }
    }
    return best;
}

bool TelemetryView::eventFilter(QObject *watched, QEvent *event)
{
    const int p = plotOf(watched);
    if (p < 0)
        return QWidget::eventFilter(watched, event);
    PlotCanvas &c = *m_plots[size_t(p)]->canvas;
    switch (event->type()) {
    case QEvent::MouseButtonPress: {
        auto *me = static_cast<QMouseEvent *>(event);
        if (me->button() != Qt::LeftButton)
            break;
        if (const Marker *m = markerNear(p, me->position().x())) {
            if (m->report)
                emit reportActivated(m->reportId);
            return true;
        }
        if (const auto b = cycleNear(p, me->position().x())) {
            emit cycleActivated(m_cycles.boundaries()[*b].cycle);
            return true;
        }
        m_dragging = true;
        m_dragX = me->position().x();
        return true;
    }
    case QEvent::MouseMove: {
        auto *me = static_cast<QMouseEvent *>(event);
        const double x = me->position().x();
        if (m_dragging) {
            const QRectF a = c.plotArea();
            if (a.width() > 0)
                panBy(-(x - m_dragX) / a.width() * double(m_t1 - m_t0) / kNsPerS);
            m_dragX = x;
        }
        const double xs = c.pixelToX(x);
        for (auto &other : m_plots) {
            other->canvas->setCrosshair(xs, true);
            other->canvas->replot();
        }
        showReadout(xs);
        const Marker *m = markerNear(p, x);
        const auto b = m ? std::nullopt : cycleNear(p, x);
        static_cast<QWidget *>(watched)->setCursor((m && m->report) || b ? Qt::PointingHandCursor : Qt::CrossCursor);
        if (m || b)
            QToolTip::showText(me->globalPosition().toPoint(), m ? m->text : m_cycles.describe(*b),
                               static_cast<QWidget *>(watched));
        return m_dragging;
    }
    case QEvent::MouseButtonRelease:
        m_dragging = false;
        break;
    case QEvent::MouseButtonDblClick:
        resetView();
        return true;
    case QEvent::Wheel: {
        auto *we = static_cast<QWheelEvent *>(event);
        const double steps = we->angleDelta().y() / 120.0;
        if (steps != 0)
            zoom(std::pow(0.8, steps), c.pixelToX(we->position().x()));
        return true;
    }
    case QEvent::Leave:
        for (auto &other : m_plots) {
            other->canvas->setCrosshair(0, false);
            other->canvas->replot();
        }
        break;
    default:
        break;
    }
    return QWidget::eventFilter(watched, event);
}

void TelemetryView::showReadout(double xS)
{
    // The values under the crosshair: min..max of the pixel column there.
    const qint64 t = qint64(std::llround(xS * kNsPerS));
    const qint64 half = std::max<qint64>(1, (m_t1 - m_t0) / 2000);
    QStringList parts{tr("t = %1 s").arg(xS, 0, 'f', 6)};
    for (const auto &p : m_plots) {
        for (qsizetype k = 0; k < p->group.keys.size(); ++k) {
            const auto s = m_store->minMax(p->group.keys[k], t - half, t + half);
            if (!s.valid)
                continue;
            double scale = 1;
            QString unit;
            if (p->group.kind == ChannelGroup::Fill) {
                const auto cap = m_store->latest(p->group.capKeys[k]);
                scale = cap && cap->v > 0 ? 100.0 / cap->v : 1;
                unit = QStringLiteral("%");
            }
            const QString v = s.min == s.max
                ? QString::number(s.min * scale, 'g', 6)
                : QStringLiteral("%1…%2").arg(s.min * scale, 0, 'g', 6).arg(s.max * scale, 0, 'g', 6);
            parts.append(QStringLiteral("%1 %2%3").arg(p->group.keys[k], v, unit));
        }
    }
    m_readout->setText(parts.join(QStringLiteral("   ")));
}

void TelemetryView::updateStatus()
{
    const auto c = m_store->counters();
    QString s = tr("%1 · %2 samples").arg(m_paused ? tr("paused") : tr("following"), QString::number(c.samples));
    if (c.gaps)
        s += tr(" · %1 gaps").arg(c.gaps);
    if (c.outOfOrder)
        s += tr(" · %1 out of order (dropped)").arg(c.outOfOrder);
    if (c.nonFinite)
        s += tr(" · %1 not finite (dropped)").arg(c.nonFinite);
    if (!m_markers.isEmpty())
        s += tr(" · %1 markers (red: alarm, purple: kernel report, click to open it)").arg(m_markers.size());
    if (m_cycles.size() > 0)
        s += tr(" · cycles: begin solid, load dashed, unload dotted, in the verdict's colour");
    m_status->setText(s);
}

bool TelemetryView::exportPng(const QString &file) const
{
    return m_plotArea->grab().save(file, "PNG");
}

bool TelemetryView::exportCsv(const QString &file, QString *error) const
{
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = f.errorString();
        return false;
    }
    QStringList keys = m_keys;
    const auto r = kms::telemetry::writeStoreCsv(*m_store, keys, m_t0, m_t1, &f);
    if (!r.ok || !f.commit()) {
        if (error)
            *error = r.ok ? f.errorString() : r.error;
        return false;
    }
    return true;
}

void TelemetryView::askExportPng()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Export plots as PNG"), QStringLiteral("telemetry.png"),
                                                      tr("PNG images (*.png)"));
    if (!file.isEmpty() && !exportPng(file))
        m_status->setText(tr("Could not write %1").arg(file));
}

void TelemetryView::askExportCsv()
{
    const QString file = QFileDialog::getSaveFileName(this, tr("Export visible samples as CSV"),
                                                      QStringLiteral("telemetry.csv"), tr("CSV files (*.csv)"));
    if (file.isEmpty())
        return;
    QString error;
    if (!exportCsv(file, &error))
        m_status->setText(tr("Could not write %1: %2").arg(file, error));
    else if (m_store->extent().valid)
        m_status->setText(tr("Wrote %1 (full-rate samples; older data is kept only as min/max)").arg(file));
}

} // namespace kms::gui
