#include "consolemodel.h"

#include "log/consoleline.h"

#include <QDateTime>

namespace kms::gui {

ConsoleModel::ConsoleModel(QObject *parent)
    : QAbstractListModel(parent)
{
    m_timer.setInterval(33); // <= 30 Hz
    connect(&m_timer, &QTimer::timeout, this, &ConsoleModel::flushPending);
    m_timer.start();
}

ConsoleModel::~ConsoleModel() = default;

quint8 ConsoleModel::sourceIndex(const QString &source)
{
    qsizetype i = m_sources.indexOf(source);
    if (i < 0) {
        if (m_sources.size() >= 255)
            return 0;
        m_sources.append(source);
        i = m_sources.size() - 1;
    }
    return quint8(i);
}

int ConsoleModel::appendLines(const QList<LogLine> &lines)
{
    const int first = int(m_count);
    for (const LogLine &line : lines) {
        const size_t c = size_t(m_count >> chunkShift);
        if (c >= m_chunks.size()) {
            auto chunk = std::make_unique<Chunk>();
            chunk->ends.reserve(chunkSize);
            chunk->meta.reserve(chunkSize);
            chunk->blob.reserve(chunkSize * 64);
            m_chunks.push_back(std::move(chunk));
        }
        Chunk &chunk = *m_chunks[c];
        Meta m;
        m.hostNs = line.timeNs;
        m.source = sourceIndex(line.source);
        m.flags = line.flags;
        if (!(line.flags & (LogLine::Sent | LogLine::Event))) {
            const ConsoleLine parsed = parseConsoleLine(line.text, m_scratch);
            m.level = qint8(parsed.level);
            if (parsed.timestamp)
                m.kernelTs = float(*parsed.timestamp);
        }
        chunk.blob.append(line.text);
        chunk.ends.push_back(quint32(chunk.blob.size()));
        chunk.meta.push_back(m);
        ++m_count;
        if ((m_count & (chunkSize - 1)) == 0)
            chunk.blob.squeeze();
    }
    return first;
}

void ConsoleModel::flushPending()
{
    if (m_published == m_count)
        return;
    const int first = int(m_published);
    const int last = int(m_count - 1);
    beginInsertRows({}, first, last);
    m_published = m_count;
    endInsertRows();
    Q_EMIT published(first, last);
}

void ConsoleModel::markReport(const QList<int> &rows, int reportId)
{
    if (rows.isEmpty())
        return;
    int lo = INT_MAX;
    int hi = -1;
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const int row = rows[i];
        if (row < 0 || row >= m_count)
            continue;
        Meta &m = meta(row);
        m.reportId = reportId;
        m.edge = quint8((i == 0 ? 1 : 0) | (i == rows.size() - 1 ? 2 : 0));
        lo = std::min(lo, row);
        hi = std::max(hi, row);
    }
    hi = std::min<qint64>(hi, m_published - 1);
    if (hi >= lo)
        Q_EMIT dataChanged(index(lo), index(hi));
}

QByteArray ConsoleModel::rawText(int row) const
{
    if (row < 0 || row >= m_count)
        return {};
    const Chunk &chunk = *m_chunks[size_t(row >> chunkShift)];
    const size_t i = size_t(row & (chunkSize - 1));
    const quint32 begin = i == 0 ? 0 : chunk.ends[i - 1];
    return QByteArray(chunk.blob.constData() + begin, qsizetype(chunk.ends[i] - begin));
}

int ConsoleModel::reportId(int row) const
{
    return row >= 0 && row < m_count ? meta(row).reportId : -1;
}

void ConsoleModel::clear()
{
    beginResetModel();
    m_chunks.clear();
    m_count = 0;
    m_published = 0;
    endResetModel();
}

int ConsoleModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_published);
}

QVariant ConsoleModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_published)
        return {};
    const int row = index.row();
    const Meta &m = meta(row);
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        return text(row);
    case RawTextRole:
        return rawText(row);
    case SourceRole:
        return m_sources.value(m.source);
    case HostTimeRole:
        return m.hostNs;
    case KernelTimeRole:
        return m.kernelTs < 0 ? QVariant() : QVariant(double(m.kernelTs));
    case LevelRole:
        return int(m.level);
    case ReportIdRole:
        return m.reportId;
    case ReportEdgeRole:
        return int(m.edge);
    case FlagsRole:
        return int(m.flags);
    default:
        return {};
    }
}

qint64 ConsoleModel::storeBytes() const
{
    qint64 total = 0;
    for (const auto &c : m_chunks)
        total += c->blob.capacity() + qint64(c->ends.capacity() * sizeof(quint32) + c->meta.capacity() * sizeof(Meta));
    return total;
}

} // namespace kms::gui
