#include "consolemodel.h"

#include "log/consoleline.h"

#include <QDateTime>

#include <algorithm>
#include <optional>

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
        m_bySource.emplace_back();
        m_clocks.emplace_back();
        i = m_sources.size() - 1;
        Q_EMIT sourceAdded(int(i), source);
    }
    return quint8(i);
}

void ConsoleModel::LineIndex::popFront(size_t n)
{
    head += n;
    // Compact once the dead front outweighs the live part: amortised O(1) a line.
    if (head >= 4096 && head * 2 >= lines.size()) {
        lines.erase(lines.begin(), lines.begin() + qsizetype(head));
        head = 0;
    }
}

void ConsoleModel::setMaxLines(int lines)
{
    m_maxLines = std::max(lines, 2 * chunkSize);
    if (m_count > m_maxLines)
        dropOldest();
}

int ConsoleModel::rowForLine(int line) const
{
    const quint32 row = quint32(line) - quint32(m_first);
    return row < quint64(m_count) ? int(row) : -1;
}

int ConsoleModel::appendLines(const QList<LogLine> &lines)
{
    const int first = lineAt(int(m_count));
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
        std::optional<double> timestamp;
        QByteArrayView message;
        if (!(line.flags & (LogLine::Sent | LogLine::Event))) {
            const ConsoleLine parsed = parseConsoleLine(line.text, m_scratch);
            m.level = qint8(parsed.level);
            timestamp = parsed.timestamp;
            message = parsed.text;
            if (parsed.timestamp)
                m.kernelTs = float(*parsed.timestamp);
        }
        m.boot = bootOf(m.source, timestamp, &m.bootStart);
        chunk.blob.append(line.text);
        chunk.ends.push_back(quint32(chunk.blob.size()));
        chunk.meta.push_back(m);
        const quint32 number = quint32(m_first + m_count);
        // Typed text without local echo: stored (line numbers stay contiguous), shown nowhere.
        const bool hidden = (line.flags & LogLine::Sent) && !(line.flags & LogLine::Event) && !m_localEcho;
        if (!hidden)
            m_bySource[m.source].lines.push_back(number);
        ++m_count;
        if (!hidden) {
            int changed = -1;
            if (timestamp && takeDuplicate(int(m_count - 1), *timestamp, message, &changed)) {
                ++m_duplicates;
                if (changed >= 0 && changed < m_published)
                    Q_EMIT dataChanged(index(changed), index(changed), {AlsoSourcesRole});
            } else {
                m_merged.lines.push_back(number);
            }
        }
        if ((m_count & (chunkSize - 1)) == 0)
            chunk.blob.squeeze();
    }
    if (m_count > m_maxLines)
        dropOldest();
    return first;
}

quint16 ConsoleModel::bootOf(quint8 source, std::optional<double> ts, bool *starts)
{
    SourceClock &c = m_clocks[source];
    if (!ts)
        return c.lastTs < 0 ? m_boot : c.boot;
    // printk times of different CPUs may step back a little; a boot's start goes back to ~0.
    constexpr double restartS = 1.0;
    if (c.lastTs < 0) {
        c.boot = m_boot; // a source that joins now joins the boot the node is in
    } else if (*ts + restartS < c.lastTs) {
        if (c.boot == m_boot) { // the first source to see this boot
            m_boot = quint16(m_boot + 1);
            *starts = true;
        }
        c.boot = m_boot;
    }
    c.lastTs = *ts;
    return c.boot;
}

bool ConsoleModel::takeDuplicate(int row, double timestamp, QByteArrayView text, int *changedRow)
{
    // To the microsecond, as both the console and dmesg print it.
    const qint64 us = qRound64(timestamp * 1e6);
    const quint64 key = quint64(qHash(text, size_t(us))) ^ (quint64(us) << 20);
    const quint32 number = quint32(m_first + row);
    Meta &mine = meta(row);
    const auto it = m_recent.constFind(key);
    if (it != m_recent.cend()) {
        const int other = rowForLine(int(it.value()));
        if (other >= 0 && other != row) {
            Meta &first = meta(other);
            const quint8 bit = mine.source < 8 ? quint8(1u << mine.source) : 0;
            // Another source's line of the same boot, not yet matched by this source (a source that
            // prints the same line twice shows it twice), and truly the same text (the key is a hash).
            if (first.source != mine.source && first.boot == mine.boot && first.kernelTs >= 0 && !(first.also & bit)) {
                const ConsoleLine parsed = parseConsoleLine(rawText(other), m_scratch2);
                if (parsed.timestamp && qRound64(*parsed.timestamp * 1e6) == us && parsed.text == text) {
                    first.also |= bit;
                    mine.duplicate = true;
                    mine.twin = qint32(other - row);
                    if (first.twin == 0)
                        first.twin = qint32(row - other);
                    *changedRow = other;
                    return true;
                }
            }
        }
    }
    if (m_recentOrder.size() < size_t(duplicateWindow)) {
        m_recentOrder.push_back({key, number});
    } else {
        // The slot's old key leaves the window unless a newer line took it over.
        const auto [oldKey, oldNumber] = m_recentOrder[m_recentNext];
        const auto o = m_recent.find(oldKey);
        if (o != m_recent.end() && o.value() == oldNumber)
            m_recent.erase(o);
        m_recentOrder[m_recentNext] = {key, number};
        m_recentNext = (m_recentNext + 1) % size_t(duplicateWindow);
    }
    m_recent.insert(key, number);
    return false;
}

void ConsoleModel::dropOldest()
{
    // Down to 15/16 of the cap in whole chunks: the front ones are always full.
    const qint64 target = m_maxLines - m_maxLines / 16;
    size_t chunks = 0;
    while (m_count - qint64(chunks) * chunkSize > target && chunks + 1 < m_chunks.size())
        ++chunks;
    if (chunks == 0)
        return;
    const qint64 lines = qint64(chunks) * chunkSize;
    const qint64 published = std::min(lines, m_published);
    if (published > 0)
        beginRemoveRows({}, 0, int(published - 1));
    m_chunks.erase(m_chunks.begin(), m_chunks.begin() + qsizetype(chunks));
    for (LineIndex *index : allIndexes()) {
        size_t n = 0;
        while (n < size_t(index->size()) && index->at(qsizetype(n)) - quint32(m_first) < quint32(lines))
            ++n;
        index->popFront(n);
    }
    m_first += lines;
    m_count -= lines;
    m_published -= published;
    m_dropped += lines;
    if (published > 0)
        endRemoveRows();
    Q_EMIT linesDropped(int(lines));
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

void ConsoleModel::markReport(const QList<int> &lines, int reportId)
{
    if (lines.isEmpty())
        return;
    int lo = INT_MAX;
    int hi = -1;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const int row = rowForLine(lines[i]);
        if (row < 0)
            continue;
        Meta &m = meta(row);
        m.reportId = reportId;
        m.edge = quint8((i == 0 ? 1 : 0) | (i == lines.size() - 1 ? 2 : 0));
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

int ConsoleModel::twinRow(int row) const
{
    if (row < 0 || row >= m_count || meta(row).twin == 0)
        return -1;
    const qint64 twin = qint64(row) + meta(row).twin;
    return twin >= 0 && twin < m_count ? int(twin) : -1;
}

int ConsoleModel::reportId(int row) const
{
    return row >= 0 && row < m_count ? meta(row).reportId : -1;
}

void ConsoleModel::setPartialLine(const LogLine &line)
{
    if (line.text == m_partial.text && line.source == m_partial.source)
        return;
    m_partial = line;
    Q_EMIT partialLineChanged(m_partial);
}

void ConsoleModel::clear()
{
    beginResetModel();
    m_chunks.clear();
    // Numbers are not reused, so a report of the cleared lines marks nothing; the next line
    // starts a chunk, as the row-to-chunk arithmetic wants.
    m_first = (m_first + m_count + chunkSize - 1) & ~qint64(chunkSize - 1);
    m_count = 0;
    m_published = 0;
    for (LineIndex *index : allIndexes())
        *index = {};
    m_recent.clear();
    m_recentOrder.clear();
    m_recentNext = 0;
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
        return text(row);
    case Qt::ToolTipRole:
        return m.bootStart ? text(row) + tr("\n(the node booted again here: its clock starts again)") : text(row);
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
    case LineRole:
        return lineAt(row);
    case AlsoSourcesRole: {
        QStringList also;
        for (int i = 0; i < 8 && m.also; ++i) {
            if (m.also & (1u << i))
                also.append(m_sources.value(i));
        }
        return also;
    }
    case DuplicateRole:
        return m.duplicate;
    case BootRole:
        return int(m.boot);
    case BootStartRole:
        return m.bootStart;
    default:
        return {};
    }
}

qint64 ConsoleModel::storeBytes() const
{
    qint64 total = 0;
    for (const auto &c : m_chunks)
        total += c->blob.capacity() + qint64(c->ends.capacity() * sizeof(quint32) + c->meta.capacity() * sizeof(Meta));
    for (const LineIndex &index : m_bySource)
        total += qint64(index.lines.capacity() * sizeof(quint32));
    total += qint64(m_merged.lines.capacity() * sizeof(quint32)
                    + m_recentOrder.capacity() * sizeof(std::pair<quint64, quint32>))
        + m_recent.capacity() * qint64(sizeof(quint64) + sizeof(quint32));
    return total;
}

ConsoleSourceModel::ConsoleSourceModel(ConsoleModel *model, int source, QObject *parent)
    : QAbstractListModel(parent)
    , m_model(model)
    , m_source(source)
{
    Q_ASSERT(source == ConsoleModel::allSources || (source >= 0 && source < qsizetype(model->m_bySource.size())));
    m_rows = int(lowerBound(int(model->m_published)));
    connect(model, &QAbstractItemModel::rowsInserted, this, &ConsoleSourceModel::onPublished);
    connect(model, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex &, int, int last) { onAboutToRemove(last); });
    connect(model, &QAbstractItemModel::rowsRemoved, this, &ConsoleSourceModel::onRemoved);
    connect(model, &QAbstractItemModel::dataChanged, this, &ConsoleSourceModel::onDataChanged);
    connect(model, &QAbstractItemModel::modelAboutToBeReset, this, &ConsoleSourceModel::beginResetModel);
    connect(model, &QAbstractItemModel::modelReset, this, [this] {
        m_rows = 0;
        m_removing = 0;
        endResetModel();
    });
}

qsizetype ConsoleSourceModel::lowerBound(int modelRow) const
{
    const ConsoleModel::LineIndex &index = lines();
    qsizetype lo = 0;
    qsizetype hi = index.size();
    while (lo < hi) {
        const qsizetype mid = lo + (hi - lo) / 2;
        if (m_model->rowOfStoredLine(index.at(mid)) < modelRow)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int ConsoleSourceModel::modelRow(int row) const
{
    return row >= 0 && row < m_rows ? m_model->rowOfStoredLine(lines().at(row)) : -1;
}

int ConsoleSourceModel::rowForModelRow(int modelRow) const
{
    const qsizetype i = lowerBound(modelRow);
    return i < m_rows && m_model->rowOfStoredLine(lines().at(i)) == modelRow ? int(i) : -1;
}

int ConsoleSourceModel::lineAt(int row) const
{
    return row >= 0 && row < m_rows ? int(lines().at(row)) : -1;
}

int ConsoleSourceModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

QVariant ConsoleSourceModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows)
        return {};
    return m_model->data(m_model->index(modelRow(index.row())), role);
}

void ConsoleSourceModel::onPublished()
{
    // The index is in line order and the model publishes a prefix of its rows: the new rows here
    // are the entries after ours that the model now shows.
    const ConsoleModel::LineIndex &index = lines();
    int rows = m_rows;
    while (rows < index.size() && m_model->rowOfStoredLine(index.at(rows)) < m_model->m_published)
        ++rows;
    if (rows == m_rows)
        return;
    beginInsertRows({}, m_rows, rows - 1);
    m_rows = rows;
    endInsertRows();
}

void ConsoleSourceModel::onAboutToRemove(int last)
{
    // The model removes its rows 0..last; ours among them are a prefix.
    const int n = int(std::min<qsizetype>(m_rows, lowerBound(last + 1)));
    if (n == 0)
        return;
    beginRemoveRows({}, 0, n - 1);
    m_removing = n;
}

void ConsoleSourceModel::onRemoved()
{
    if (m_removing == 0)
        return;
    m_rows -= m_removing;
    m_removing = 0;
    endRemoveRows();
}

void ConsoleSourceModel::onDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                                       const QList<int> &roles)
{
    const int first = int(lowerBound(topLeft.row()));
    const int last = int(std::min<qsizetype>(m_rows, lowerBound(bottomRight.row() + 1))) - 1;
    if (first <= last)
        Q_EMIT dataChanged(index(first), index(last), roles);
}

} // namespace kms::gui
