// Report detection and symbolization off the GUI thread. The worker lives in a QThread of its
// own: the GUI hands it each batch of console lines with the model row of the first one, it
// runs one ReportDetector per source, and reports come back twice: as detected (the list shows
// them at once, with the console rows they span) and resolved (the frame table fills in).
#pragma once

#include "log/logline.h"
#include "report/kernelreport.h"

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QThread>
#include <QTimer>

#include <memory>

Q_DECLARE_METATYPE(kms::KernelReport)

namespace kms {
class ReportDetector;
class ModuleCatalog;
class Symbolizer;
} // namespace kms

namespace kms::gui {

struct SymbolConfig {
    QStringList koPaths;
    QStringList pathMaps; // "OLD=NEW"
};

class ReportWorker : public QObject
{
    Q_OBJECT
public:
    ReportWorker();
    ~ReportWorker() override;

public Q_SLOTS:
    void setConfig(const kms::gui::SymbolConfig &config);
    // Lines of one batch (any mix of sources); firstRow is the console row of lines[0].
    void feed(const QList<kms::LogLine> &lines, int firstRow);
    // Resolve a report again (after the catalog or the path maps changed).
    void resolveAgain(int id, kms::KernelReport report);
    void finishAll();

Q_SIGNALS:
    void reportDetected(int id, const kms::KernelReport &report, const QList<int> &rows);
    void reportResolved(int id, const kms::KernelReport &report);
    void configProblem(const QString &text);

private:
    struct Source;
    Source &source(const QString &name);
    void onReport(Source &src, KernelReport &&report);

    QHash<QString, Source *> m_sources;
    std::vector<std::unique_ptr<Source>> m_owned;
    std::unique_ptr<ModuleCatalog> m_catalog;
    std::unique_ptr<Symbolizer> m_symbolizer;
    int m_nextId = 1;
};

// Owns the worker's thread.
class ReportEngine : public QObject
{
    Q_OBJECT
public:
    explicit ReportEngine(QObject *parent = nullptr);
    ~ReportEngine() override;
    void setConfig(const SymbolConfig &config);
    void feed(const QList<LogLine> &lines, int firstRow);
    void resolveAgain(int id, const KernelReport &report);

Q_SIGNALS:
    void reportDetected(int id, const kms::KernelReport &report, const QList<int> &rows);
    void reportResolved(int id, const kms::KernelReport &report);
    void configProblem(const QString &text);

private:
    QThread m_thread;
    ReportWorker *m_worker = nullptr;
};

} // namespace kms::gui

Q_DECLARE_METATYPE(kms::gui::SymbolConfig)
