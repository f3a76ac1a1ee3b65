#include "reportworker.h"

#include "report/reportdetector.h"
#include "symbols/modulecatalog.h"
#include "symbols/pathmap.h"
#include "symbols/symbolizer.h"

#include <QMetaObject>
#include <QSet>

#include <algorithm>
#include <deque>

namespace kms::gui {

namespace {
// A report without end marker is emitted after this much quiet on its source.
constexpr int idleFlushMs = 700;
// Console lines remembered per source for the report being read: far more than any report spans,
// and bounded, since a console runs for days.
constexpr size_t keptLineRows = 1 << 16;
} // namespace

struct ReportWorker::Source {
    std::unique_ptr<ReportDetector> detector;
    std::deque<int> rowOfLine; // console line of detector line firstLine, firstLine + 1, ...
    qint64 firstLine = 1;
    QTimer idle;
};

ReportWorker::ReportWorker()
    : m_catalog(std::make_unique<ModuleCatalog>())
    , m_symbolizer(std::make_unique<Symbolizer>(*m_catalog))
{
}

ReportWorker::~ReportWorker()
{
    // The symbolizer refers to the catalog: destroy it first.
    m_symbolizer.reset();
    m_catalog.reset();
}

void ReportWorker::setConfig(const SymbolConfig &config)
{
    m_symbolizer.reset();
    m_catalog = std::make_unique<ModuleCatalog>();
    QStringList problems;
    for (const QString &path : config.koPaths) {
        QString error;
        if (!m_catalog->addPath(path, &error))
            problems.append(QStringLiteral("%1: %2").arg(path, error));
    }
    PathMap map;
    for (const QString &rule : config.pathMaps) {
        const qsizetype eq = rule.indexOf(QLatin1Char('='));
        if (eq > 0)
            map.add(rule.left(eq), rule.mid(eq + 1));
    }
    m_symbolizer = std::make_unique<Symbolizer>(*m_catalog, map);
    if (!problems.isEmpty())
        Q_EMIT configProblem(problems.join(QLatin1Char('\n')));
}

ReportWorker::Source &ReportWorker::source(const QString &name)
{
    if (Source *s = m_sources.value(name))
        return *s;
    auto src = std::make_unique<Source>();
    Source *raw = src.get();
    src->detector = std::make_unique<ReportDetector>([this, raw](KernelReport &&r) { onReport(*raw, std::move(r)); });
    src->detector->setSource(name);
    src->idle.setSingleShot(true);
    src->idle.setInterval(idleFlushMs);
    connect(&src->idle, &QTimer::timeout, this, [raw] { raw->detector->flushIdle(); });
    m_sources.insert(name, raw);
    m_owned.push_back(std::move(src));
    return *raw;
}

void ReportWorker::feed(const QList<LogLine> &lines, int firstRow)
{
    QSet<Source *> touched;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const LogLine &line = lines[i];
        if (line.flags & (LogLine::Event | LogLine::Sent))
            continue;
        Source &src = source(line.source);
        // Console line numbers wrap (past 2^31 lines) rather than overflow.
        src.rowOfLine.push_back(int(quint32(firstRow) + quint32(i)));
        src.detector->feedLine(line.text);
        touched.insert(&src);
    }
    for (Source *s : touched) {
        s->idle.start();
        if (s->rowOfLine.size() > 2 * keptLineRows) {
            const size_t drop = s->rowOfLine.size() - keptLineRows;
            s->rowOfLine.erase(s->rowOfLine.begin(), s->rowOfLine.begin() + qsizetype(drop));
            s->firstLine += qint64(drop);
        }
    }
}

void ReportWorker::onReport(Source &src, KernelReport &&report)
{
    QList<int> rows;
    for (qint64 l = std::max<qint64>(report.firstLine, src.firstLine); l <= report.lastLine; ++l) {
        const qint64 at = l - src.firstLine;
        if (at < qint64(src.rowOfLine.size()))
            rows.append(src.rowOfLine[size_t(at)]);
    }
    const int id = m_nextId++;
    Q_EMIT reportDetected(id, report, rows);
    m_symbolizer->resolve(report);
    Q_EMIT reportResolved(id, report);
}

void ReportWorker::resolveAgain(int id, KernelReport report)
{
    // Symbolizer::resolve starts every frame afresh: no need to clear the old answers here.
    m_symbolizer->resolve(report);
    Q_EMIT reportResolved(id, report);
}

void ReportWorker::finishAll()
{
    for (auto &s : m_owned)
        s->detector->finish();
}

ReportEngine::ReportEngine(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<KernelReport>();
    qRegisterMetaType<SymbolConfig>();
    qRegisterMetaType<QList<LogLine>>();
    qRegisterMetaType<QList<int>>();
    m_thread.setObjectName(QStringLiteral("reports"));
    m_worker = new ReportWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &ReportWorker::reportDetected, this, &ReportEngine::reportDetected);
    connect(m_worker, &ReportWorker::reportResolved, this, &ReportEngine::reportResolved);
    connect(m_worker, &ReportWorker::configProblem, this, &ReportEngine::configProblem);
    m_thread.start();
}

ReportEngine::~ReportEngine()
{
    m_thread.quit();
    m_thread.wait();
}

void ReportEngine::setConfig(const SymbolConfig &config)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, config] { w->setConfig(config); }, Qt::QueuedConnection);
}

void ReportEngine::feed(const QList<LogLine> &lines, int firstRow)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, lines, firstRow] { w->feed(lines, firstRow); }, Qt::QueuedConnection);
}

void ReportEngine::resolveAgain(int id, const KernelReport &report)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id, report] { w->resolveAgain(id, report); }, Qt::QueuedConnection);
}

} // namespace kms::gui
