#include "node/reportengine.h"

#include "report/reportdetector.h"
#include "symbols/debuginfod.h"
#include "symbols/modulecatalog.h"
#include "symbols/pathmap.h"
#include "symbols/symbolizer.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QSet>

#include <algorithm>
#include <deque>

namespace kms {

namespace {
// Lines remembered per source for the report being read: far more than any report spans, and
// bounded, since a console runs for days.
constexpr size_t keptLineSeqs = 1 << 16;
// How long one resolve waits for a debuginfod fetch before the report is emitted with "still
// fetching" frames (and resolved again when the fetch ends): the worker also detects reports.
constexpr int debuginfodWaitMs = 300;
} // namespace

struct ReportWorker::Source {
    std::unique_ptr<ReportDetector> detector;
    std::deque<quint64> seqOfLine; // session line of detector line firstLine, firstLine + 1, ...
    qint64 firstLine = 1;
    QTimer idle;
};

ReportWorker::ReportWorker(int idleFlushMs)
    : m_idleFlushMs(idleFlushMs)
    , m_catalog(std::make_unique<ModuleCatalog>())
    , m_symbolizer(std::make_unique<Symbolizer>(*m_catalog))
{
    m_clock.start();
    setDebuginfod(true, 0);
    if (m_debuginfod)
        m_symbolizer->setDebuginfod(m_debuginfod, debuginfodWaitMs);
}

ReportWorker::~ReportWorker()
{
    // No more callbacks into this worker once the symbolizer lets go of the client too.
    m_debuginfod.reset();
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
    QString error;
    if (!config.vmlinux.isEmpty() && !m_catalog->setVmlinux(config.vmlinux, &error))
        problems.append(error);
    PathMap map;
    for (const QString &rule : config.pathMaps) {
        const qsizetype eq = rule.indexOf(QLatin1Char('='));
        if (eq > 0)
            map.add(rule.left(eq), rule.mid(eq + 1));
    }
    m_symbolizer = std::make_unique<Symbolizer>(*m_catalog, map);
    setDebuginfod(config.debuginfod, config.debuginfodStallTimeoutMs);
    if (m_debuginfod)
        m_symbolizer->setDebuginfod(m_debuginfod, debuginfodWaitMs);
    for (auto it = config.buildIds.cbegin(); it != config.buildIds.cend(); ++it)
        m_symbolizer->setBuildId(it.key(), it.value());
    applyLoads();
    if (!problems.isEmpty())
        Q_EMIT configProblem(problems.join(QLatin1Char('\n')));
}

void ReportWorker::setModuleLoads(const QString &module, const SectionAddresses &live,
                                  const QList<EarlierLoad> &earlier)
{
    m_liveLoads.insert(module, live);
    m_earlierLoads.insert(module, earlier);
    applyLoads();
}

void ReportWorker::applyLoads()
{
    QList<EarlierLoad> earlier;
    for (auto it = m_liveLoads.cbegin(); it != m_liveLoads.cend(); ++it) {
        m_symbolizer->setSectionAddresses(it.key(), *it);
        earlier += m_earlierLoads.value(it.key());
    }
    m_symbolizer->setEarlierLoads(earlier);
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
    src->idle.setInterval(m_idleFlushMs);
    connect(&src->idle, &QTimer::timeout, this, [raw] { raw->detector->flushIdle(); });
    m_sources.insert(name, raw);
    m_owned.push_back(std::move(src));
    return *raw;
}

void ReportWorker::feed(const QList<LogLine> &lines, quint64 firstSeq)
{
    QSet<Source *> touched;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const LogLine &line = lines[i];
        if (line.flags & (LogLine::Event | LogLine::Sent))
            continue;
        Source &src = source(line.source);
        src.seqOfLine.push_back(firstSeq + quint64(i));
        src.detector->feedLine(line.text);
        touched.insert(&src);
    }
    for (Source *s : touched) {
        s->idle.start();
        if (s->seqOfLine.size() > 2 * keptLineSeqs) {
            const size_t drop = s->seqOfLine.size() - keptLineSeqs;
            s->seqOfLine.erase(s->seqOfLine.begin(), s->seqOfLine.begin() + qsizetype(drop));
            s->firstLine += qint64(drop);
        }
    }
}

void ReportWorker::onReport(Source &src, KernelReport &&report)
{
    QList<quint64> lines;
    for (qint64 l = std::max<qint64>(report.firstLine, src.firstLine); l <= report.lastLine; ++l) {
        const qint64 at = l - src.firstLine;
        if (at < qint64(src.seqOfLine.size()))
            lines.append(src.seqOfLine[size_t(at)]);
    }
    // Serial and SSH-dmesg both carry each report: the second copy joins the first and is not
    // symbolized again.
    const int original = m_duplicates.match(m_nextId, report, m_clock.elapsed());
    if (original >= 0) {
        Q_EMIT duplicateDetected(original, report, lines);
        return;
    }
    const int id = m_nextId++;
    Q_EMIT reportDetected(id, report, lines);
    resolveAndEmit(id, std::move(report));
}

void ReportWorker::resolveAgain(int id, KernelReport report)
{
    resolveAndEmit(id, std::move(report));
}

void ReportWorker::resolveAndEmit(int id, KernelReport report)
{
    const KernelReport unresolved = report;
    // Symbolizer::resolve starts every frame afresh: no need to clear the old answers here.
    m_symbolizer->resolve(report);
    if (waitsForDebuginfod(report))
        m_waiting.insert(id, unresolved);
    else
        m_waiting.remove(id);
    Q_EMIT reportResolved(id, report);
}

void ReportWorker::retryWaiting()
{
    const QHash<int, KernelReport> waiting = m_waiting;
    for (auto it = waiting.cbegin(); it != waiting.cend(); ++it)
        resolveAndEmit(it.key(), it.value());
}

void ReportWorker::setDebuginfod(bool on, int stallTimeoutMs)
{
    if (!on) {
        m_debuginfod.reset();
        m_debuginfodStallMs = -1;
        return;
    }
    const QString urls = QString::fromLocal8Bit(qgetenv("DEBUGINFOD_URLS")).simplified();
    if (m_debuginfod && stallTimeoutMs == m_debuginfodStallMs && m_debuginfod->urls() == urls)
        return; // the same client: its answers are this session's cache
    auto client = std::make_shared<DebuginfodClient>(stallTimeoutMs);
    m_debuginfodStallMs = stallTimeoutMs;
    if (!client->enabled()) {
        m_debuginfod.reset();
        return;
    }
    // Called in the fetch's thread: hop to the worker's.
    client->setFinishedCallback([this](const QByteArray &) {
        QMetaObject::invokeMethod(this, &ReportWorker::retryWaiting, Qt::QueuedConnection);
    });
    m_debuginfod = std::move(client);
}

void ReportWorker::finishAll()
{
    for (auto &s : m_owned) {
        s->idle.stop();
        s->detector->finish();
    }
}

ReportEngine::ReportEngine(int idleFlushMs, QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<KernelReport>();
    qRegisterMetaType<SymbolConfig>();
    qRegisterMetaType<QList<LogLine>>();
    qRegisterMetaType<QList<quint64>>();
    m_thread.setObjectName(QStringLiteral("kms-reports"));
    m_worker = new ReportWorker(idleFlushMs);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &ReportWorker::reportDetected, this, &ReportEngine::reportDetected);
    connect(m_worker, &ReportWorker::duplicateDetected, this, &ReportEngine::duplicateDetected);
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

void ReportEngine::feed(const QList<LogLine> &lines, quint64 firstSeq)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, lines, firstSeq] { w->feed(lines, firstSeq); }, Qt::QueuedConnection);
}

void ReportEngine::resolveAgain(int id, const KernelReport &report)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id, report] { w->resolveAgain(id, report); }, Qt::QueuedConnection);
}

void ReportEngine::setModuleLoads(const QString &module, const SectionAddresses &live,
                                  const QList<EarlierLoad> &earlier)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, module, live, earlier] { w->setModuleLoads(module, live, earlier); },
        Qt::QueuedConnection);
}

void ReportEngine::finish()
{
    QMetaObject::invokeMethod(m_worker, &ReportWorker::finishAll, Qt::BlockingQueuedConnection);
    // What the worker emitted is queued for this thread: deliver it now, in order.
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
}

} // namespace kms
