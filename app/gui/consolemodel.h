// The console's lines: a chunked, append-only store (one byte blob and a small record per line,
// ~30 bytes of overhead a line) behind a QAbstractListModel. Lines are stored as they arrive but
// published to views in batches, from a display timer (<= 30 Hz): a view never sees one
// beginInsertRows per line, and 100,000 lines/s cost one insert per frame.
#pragma once

#include "log/logline.h"

#include <QAbstractListModel>
#include <QByteArray>
#include <QStringList>
#include <QTimer>

#include <memory>
#include <optional>
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
    };

    explicit ConsoleModel(QObject *parent = nullptr);
    ~ConsoleModel() override;

    // Stores the lines (published at the next display tick) and returns the row of the first.
    int appendLines(const QList<LogLine> &lines);
    // Publishes what is pending now (tests, benchmarks, before a search).
    void flushPending();
    int storedCount() const { return int(m_count); } // published + pending
    int pendingCount() const { return int(m_count - m_published); }
    void setPublishIntervalMs(int ms) { m_timer.setInterval(ms); }

    // Marks rows as belonging to a report (first..last line highlighted, edges for the gutter).
    void markReport(const QList<int> &rows, int reportId);

    QByteArray rawText(int row) const;
    QString text(int row) const { return QString::fromUtf8(rawText(row)); }
    int reportId(int row) const;
    void clear();

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    // Memory held by the store (bytes), for the benchmark.
    qint64 storeBytes() const;

Q_SIGNALS:
    void published(int firstRow, int lastRow);

private:
    struct Meta {
        qint64 hostNs = 0;
        float kernelTs = -1.0f; // seconds (float: 7 digits, enough for display); < 0: none
        qint32 reportId = -1;
        qint8 level = -1;
        quint8 source = 0;
        quint8 flags = 0;
        quint8 edge = 0;
    };
    static constexpr int chunkShift = 12;
    static constexpr int chunkSize = 1 << chunkShift;
    struct Chunk {
        QByteArray blob;
        std::vector<quint32> ends; // end offset of each line in blob
        std::vector<Meta> meta;
    };
    const Meta &meta(int row) const { return m_chunks[size_t(row >> chunkShift)]->meta[size_t(row & (chunkSize - 1))]; }
    Meta &meta(int row) { return m_chunks[size_t(row >> chunkShift)]->meta[size_t(row & (chunkSize - 1))]; }
    quint8 sourceIndex(const QString &source);

    std::vector<std::unique_ptr<Chunk>> m_chunks;
    qint64 m_count = 0;
    qint64 m_published = 0;
    QStringList m_sources;
    QByteArray m_scratch;
    QTimer m_timer;
};

} // namespace kms::gui
