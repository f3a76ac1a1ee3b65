// The console's lines: a chunked store (one byte blob and a small record per line, ~30 bytes of
// overhead a line) behind a QAbstractListModel. Lines are stored as they arrive but published to
// views in batches, from a display timer (<= 30 Hz): a view never sees one beginInsertRows per
// line, and 100,000 lines/s cost one insert per frame.
//
// The store is capped (maxLines): past it, the oldest whole chunks are dropped, so model rows
// shift. What outlives a drop is the line number: every line gets the next one as it is stored
// and keeps it, so callers that come back later (the report engine marking a report's lines)
// speak in line numbers, and the model converts. Line numbers are ints counted modulo 2^32 (past
// 2^31 lines, six hours at 100,000 lines/s, they turn negative); the store never holds more than a
// few million lines, so the difference of two numbers is always exact.
//
// Every line also goes into its source's line index as it is stored, so a view of one source
// (ConsoleSourceModel) is there at once and grows with O(new lines) work.
//
// "All sources" is the merged index: every line except the kernel lines that another source
// already delivered (serial and SSH `dmesg -w` print the same message: same kernel timestamp,
// same text). The first copy stays and lists the other sources (AlsoSourcesRole); a line
// without kernel timestamp (boot loader, user space on the UART, our events) is never merged.
// Lines are in arrival order, never sorted by the node's clock, which starts again at each boot:
// a source whose kernel time goes back by more than a second has seen the node boot again, and
// the first such line starts the next boot (BootStartRole, a rule in the view). Lines of two
// boots are never merged, though the early lines of every boot print the same time and text.
#pragma once

#include "log/logline.h"

#include <QAbstractListModel>
#include <QByteArray>
#include <QHash>
#include <QStringList>
#include <QTimer>

#include <algorithm>
#include <memory>
#include <vector>

namespace kms::gui {

class ConsoleModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        SourceRole = Qt::UserRole + 1, // QString
        HostTimeRole, // qint64 ns since the epoch
        KernelTimeRole, // double seconds, invalid when not printed
        LevelRole, // int syslog level, -1 when not printed
        ReportIdRole, // int, -1 when the line is not part of a report
        ReportEdgeRole, // int: 1 first line of a report, 2 last, 3 both, 0 none
        FlagsRole, // LogLine flags
        RawTextRole, // QByteArray
        LineRole, // int line number
        AlsoSourcesRole, // QStringList: further sources that printed this same kernel line
        DuplicateRole, // bool: this line repeats another source's (hidden from "All sources")
        BootRole, // int: the node's boot this line belongs to, 0 for the first one seen
        BootStartRole, // bool: the first line of a boot after the first (the node rebooted)
    };
    // How far back a line's twin from another source is looked for (lines of all sources).
    static constexpr int duplicateWindow = 16384;
    // About 190 MB of RSS at typical console line lengths (bench_gui_console); the session log
    // keeps everything on disk.
    static constexpr int defaultMaxLines = 1000000;

    explicit ConsoleModel(QObject *parent = nullptr);
    ~ConsoleModel() override;

    // Stores the lines (published at the next display tick) and returns the line number of the
    // first. May drop the oldest lines (see setMaxLines).
    int appendLines(const QList<LogLine> &lines);
    // Publishes what is pending now (tests, benchmarks, before a search).
    void flushPending();
    int storedCount() const { return int(m_count); } // published + pending
    int pendingCount() const { return int(m_count - m_published); }
    void setPublishIntervalMs(int ms) { m_timer.setInterval(ms); }

    // At most this many lines are kept (at least two chunks' worth). Past it, whole chunks of the
    // oldest lines go, down to about 15/16 of the cap, so that a view that follows the tail
    // removes rows about once a second at 100,000 lines/s rather than on every batch.
    void setMaxLines(int lines);
    int maxLines() const { return m_maxLines; }
    // Lines dropped so far to keep under the cap.
    qint64 droppedCount() const { return m_dropped; }

    // Line numbers and rows. A row is the line's place in this model now (published or pending);
    // rowForLine is -1 for a line that was dropped or is not stored yet.
    int rowForLine(int line) const;
    int lineAt(int row) const { return int(quint32(m_first + row)); }

    // Marks lines (line numbers, as appendLines returned them) as a report's: first..last
    // highlighted, edges for the gutter. Lines already dropped are ignored.
    void markReport(const QList<int> &lines, int reportId);

    // The serial console's line that waits without newline (the node's shell prompt), shown
    // below the stored lines; an empty text withdraws it. Not a row: once completed it comes
    // through appendLines like any line.
    void setPartialLine(const LogLine &line);
    const LogLine &partialLine() const { return m_partial; }

    // By row.
    QByteArray rawText(int row) const;
    QString text(int row) const { return QString::fromUtf8(rawText(row)); }
    int reportId(int row) const;
    void clear();

    // Sources in the order they first appeared; a line's SourceRole is one of these.
    QStringList sources() const { return m_sources; }
    // The ConsoleSourceModel source that stands for all sources merged.
    static constexpr int allSources = -1;
    qint64 duplicateCount() const { return m_duplicates; }
    // What we typed (LogLine::Sent) shown as a line of its own. Off by default, as in tio and
    // picocom: the node's tty echoes it already. Lines stored while off stay hidden (they are in
    // the session log either way).
    void setLocalEcho(bool on) { m_localEcho = on; }
    bool localEcho() const { return m_localEcho; }
    // The row of the same kernel line as delivered by another source (a duplicate's original, an
    // original's first duplicate), -1 when none is stored.
    int twinRow(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // Memory held by the store (bytes), for the benchmark.
    qint64 storeBytes() const;

Q_SIGNALS:
    void published(int firstRow, int lastRow);
    // The oldest `count` stored lines are gone (after rowsRemoved for the published ones).
    void linesDropped(int count);
    void sourceAdded(int index, const QString &name);
    void partialLineChanged(const kms::LogLine &line);

private:
    friend class ConsoleSourceModel;

    struct Meta {
        qint64 hostNs = 0;
        float kernelTs = -1.0f; // seconds (float: 7 digits, enough for display); < 0: none
        qint32 reportId = -1;
        qint8 level = -1;
        quint8 source = 0;
        quint8 flags = 0;
        quint8 edge = 0;
        quint8 also = 0; // bit i: source i printed this line too (i < 8)
        bool duplicate = false; // a later copy of another source's line
        bool bootStart = false;
        quint16 boot = 0;
        qint32 twin = 0; // line number difference to the same line of another source, 0: none
    };
    static constexpr int chunkShift = 12;
    static constexpr int chunkSize = 1 << chunkShift;
    struct Chunk {
        QByteArray blob;
        std::vector<quint32> ends; // end offset of each line in blob
        std::vector<Meta> meta;
    };
    // The line numbers of one source, oldest first; dropping pops from the front.
    struct LineIndex {
        std::vector<quint32> lines;
        size_t head = 0;
        qsizetype size() const { return qsizetype(lines.size() - head); }
        quint32 at(qsizetype i) const { return lines[head + size_t(i)]; }
        void popFront(size_t n);
    };
    // m_first is a multiple of chunkSize (chunks are dropped whole, clear() rounds up), so a row's
    // chunk is row >> chunkShift whatever was dropped.
    const Meta &meta(int row) const { return m_chunks[size_t(row >> chunkShift)]->meta[size_t(row & (chunkSize - 1))]; }
    Meta &meta(int row) { return m_chunks[size_t(row >> chunkShift)]->meta[size_t(row & (chunkSize - 1))]; }
    int rowOfStoredLine(quint32 line) const { return int(line - quint32(m_first)); }
    quint8 sourceIndex(const QString &source);
    // The boot of a line of `source` with kernel time ts; *starts when it is the first of a boot.
    quint16 bootOf(quint8 source, std::optional<double> ts, bool *starts);
    void dropOldest();
    std::vector<LineIndex *> allIndexes()
    {
        std::vector<LineIndex *> all{&m_merged};
        for (LineIndex &index : m_bySource)
            all.push_back(&index);
        return all;
    }
    // Whether the line just stored at `row` repeats a recent line of another source; marks that one.
    bool takeDuplicate(int row, double timestamp, QByteArrayView text, int *changedRow);

    std::vector<std::unique_ptr<Chunk>> m_chunks;
    qint64 m_first = 0; // line number of row 0, not wrapped
    qint64 m_count = 0;
    qint64 m_published = 0;
    qint64 m_dropped = 0;
    int m_maxLines = defaultMaxLines;
    QStringList m_sources;
    std::vector<LineIndex> m_bySource;
    struct SourceClock {
        double lastTs = -1; // the last kernel time the source printed, < 0: none yet
        quint16 boot = 0;
    };
    std::vector<SourceClock> m_clocks; // by source
    quint16 m_boot = 0; // the newest boot any source has seen
    LineIndex m_merged; // "All sources": the lines that are not duplicates
    // Recent kernel lines by hash of (timestamp, text) -> line number, oldest evicted first.
    QHash<quint64, quint32> m_recent;
    std::vector<std::pair<quint64, quint32>> m_recentOrder; // ring of duplicateWindow (key, line)
    size_t m_recentNext = 0;
    qint64 m_duplicates = 0;
    bool m_localEcho = false;
    LogLine m_partial;
    QByteArray m_scratch2;
    QByteArray m_scratch;
    QTimer m_timer;
};

// One source's lines of a ConsoleModel, in arrival order, as a list model of its own: what the
// console shows when a single source is selected. Rows are looked up in the model's line index
// of that source, so making one is O(log n) and following the model costs O(new lines); it
// never filters row by row.
class ConsoleSourceModel : public QAbstractListModel
{
    Q_OBJECT
public:
    ConsoleSourceModel(ConsoleModel *model, int source, QObject *parent = nullptr);

    int source() const { return m_source; }
    // The ConsoleModel row of a row here, and back (-1 when the line is not shown here).
    int modelRow(int row) const;
    int rowForModelRow(int modelRow) const;
    int firstRowAtOrAfter(int modelRow) const { return int(std::min<qsizetype>(lowerBound(modelRow), m_rows)); }
    int lineAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    const ConsoleModel::LineIndex &lines() const
    {
        return m_source == ConsoleModel::allSources ? m_model->m_merged : m_model->m_bySource[size_t(m_source)];
    }
    // First index entry whose model row is >= modelRow.
    qsizetype lowerBound(int modelRow) const;
    void onPublished();
    void onAboutToRemove(int last);
    void onRemoved();
    void onDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight, const QList<int> &roles);

    ConsoleModel *m_model;
    int m_source;
    int m_rows = 0;
    int m_removing = 0;
};

} // namespace kms::gui
