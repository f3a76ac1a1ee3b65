// Report detection, pairing and symbolization off the caller's thread (NodeSession's engine).
// The worker lives in a QThread of its own: it gets each batch of session lines with the
// sequence number of the first one, runs one ReportDetector per source (idle flush per source),
// pairs the copy of a report another source printed already (DuplicateReports: the copy is not
// symbolized again), and reports come back twice: as detected (with the sequence numbers of the
// lines they span) and resolved (frames filled in).
#pragma once

#include "log/logline.h"
#include "report/duplicatereports.h"
#include "report/kernelreport.h"
#include "symbols/sectionstarts.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QStringList>
#include <QThread>
#include <QTimer>

#include <memory>

Q_DECLARE_METATYPE(kms::KernelReport)

namespace kms {

class DebuginfodClient;
class ReportDetector;
class ModuleCatalog;
class Symbolizer;

struct SymbolConfig {
    QStringList koPaths; // .ko files or directories searched for them
    QStringList pathMaps; // "OLD=NEW"
    QString vmlinux; // a debug vmlinux for core-kernel frames; empty: none
    // Debug files by build id when $DEBUGINFOD_URLS is set (symbols/debuginfod.h), giving up a
    // fetch that receives nothing for the stall timeout (0: $DEBUGINFOD_TIMEOUT, else 15 s).
    bool debuginfod = true;
    int debuginfodStallTimeoutMs = 0;
    QHash<QString, QByteArray> buildIds; // module ("vmlinux": the kernel) -> hex, as ran on the node
};

class ReportWorker : public QObject
{
    Q_OBJECT
public:
    explicit ReportWorker(int idleFlushMs);
    ~ReportWorker() override;

public Q_SLOTS:
    void setConfig(const kms::SymbolConfig &config);
    // Lines of one batch (any mix of sources); lines[i] has sequence number firstSeq + i.
    void feed(const QList<kms::LogLine> &lines, quint64 firstSeq);
    // Resolve a report again (after the catalog or the path maps changed).
    void resolveAgain(int id, kms::KernelReport report);
    // A module's live load (empty: none) and its loads unloaded since (NodeSession::setModuleLoads).
    void setModuleLoads(const QString &module, const kms::SectionAddresses &live,
                        const QList<kms::EarlierLoad> &earlier);
    // End of input: reports still being read are emitted as they are.
    void finishAll();

Q_SIGNALS:
    void reportDetected(int id, const kms::KernelReport &report, const QList<quint64> &lines);
    void duplicateDetected(int originalId, const kms::KernelReport &copy, const QList<quint64> &lines);
    void reportResolved(int id, const kms::KernelReport &report);
    void configProblem(const QString &text);

private:
    struct Source;
    Source &source(const QString &name);
    void onReport(Source &src, KernelReport &&report);
    // Resolves and emits a report; one with frames whose debug file is still being fetched is
    // kept and resolved again when a fetch ends, so a slow server never holds a report back.
    void resolveAndEmit(int id, KernelReport report);
    void retryWaiting();
    void setDebuginfod(bool on, int stallTimeoutMs);

    int m_idleFlushMs;
    QHash<QString, Source *> m_sources;
    std::vector<std::unique_ptr<Source>> m_owned;
    std::unique_ptr<ModuleCatalog> m_catalog;
    std::unique_ptr<Symbolizer> m_symbolizer;
    QHash<QString, SectionAddresses> m_liveLoads; // by module, kept across setConfig
    QHash<QString, QList<EarlierLoad>> m_earlierLoads;
    void applyLoads();
    std::shared_ptr<DebuginfodClient> m_debuginfod; // kept across configs: its answers are the cache
    int m_debuginfodStallMs = -1;
    QHash<int, KernelReport> m_waiting; // unresolved copies of reports waiting for debuginfod
    DuplicateReports m_duplicates;
    QElapsedTimer m_clock;
    int m_nextId = 1;
};

// Owns the worker's thread; its signals arrive in the thread that created the engine.
class ReportEngine : public QObject
{
    Q_OBJECT
public:
    explicit ReportEngine(int idleFlushMs, QObject *parent = nullptr);
    ~ReportEngine() override;
    void setConfig(const SymbolConfig &config);
    void feed(const QList<LogLine> &lines, quint64 firstSeq);
    void resolveAgain(int id, const KernelReport &report);
    void setModuleLoads(const QString &module, const SectionAddresses &live, const QList<EarlierLoad> &earlier);
    // Waits for the worker to emit what it still holds, and delivers those signals before it
    // returns (the end of a replay, a CLI run's exit).
    void finish();

Q_SIGNALS:
    void reportDetected(int id, const kms::KernelReport &report, const QList<quint64> &lines);
    void duplicateDetected(int originalId, const kms::KernelReport &copy, const QList<quint64> &lines);
    void reportResolved(int id, const kms::KernelReport &report);
    void configProblem(const QString &text);

private:
    QThread m_thread;
    ReportWorker *m_worker = nullptr;
};

} // namespace kms

Q_DECLARE_METATYPE(kms::SymbolConfig)
