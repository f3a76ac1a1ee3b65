#include "reportsmodel.h"

#include <QFont>

namespace kms::gui {

ReportsModel::ReportsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ReportsModel::addReport(int id, const KernelReport &report, const QList<int> &rows)
{
    beginInsertRows({}, 0, 0);
    m_entries.append({id, QDateTime::currentDateTime(), report, rows, false, true, {}});
    endInsertRows();
    Q_EMIT unreadCountChanged(unreadCount());
}

void ReportsModel::setResolved(int id, const KernelReport &report)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Entry &e = m_entries[m_entries.size() - 1 - row];
    e.report = report;
    e.resolved = true;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    Q_EMIT reportResolved(id);
}

void ReportsModel::addAlsoSeen(int id, const QString &source)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Entry &e = m_entries[m_entries.size() - 1 - row];
    if (e.alsoOn.contains(source))
        return;
    e.alsoOn.append(source);
    Q_EMIT reportUpdated(id);
}

void ReportsModel::markRead(int id)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Entry &e = m_entries[m_entries.size() - 1 - row];
    if (!e.unread)
        return;
    e.unread = false;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    Q_EMIT unreadCountChanged(unreadCount());
}

const ReportsModel::Entry *ReportsModel::entry(int id) const
{
    return entryAt(rowOf(id));
}

const ReportsModel::Entry *ReportsModel::entryAt(int row) const
{
    if (row < 0 || row >= m_entries.size())
        return nullptr;
    return &m_entries[m_entries.size() - 1 - row];
}

int ReportsModel::rowOf(int id) const
{
    for (qsizetype i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].id == id)
            return int(m_entries.size() - 1 - i);
    }
    return -1;
}

int ReportsModel::unreadCount() const
{
    return int(std::count_if(m_entries.cbegin(), m_entries.cend(), [](const Entry &e) { return e.unread; }));
}

int ReportsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int ReportsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ReportsModel::data(const QModelIndex &index, int role) const
{
    const Entry *e = entryAt(index.row());
    if (!e)
        return {};
    if (role == ReportIdRole)
        return e->id;
    if (role == Qt::FontRole && e->unread) {
        QFont f;
        f.setBold(true);
        return f;
    }
    if (role == Qt::ToolTipRole)
        return e->report.title;
    if (role != Qt::DisplayRole)
        return {};
    const KernelReport &r = e->report;
    switch (index.column()) {
    case TimeColumn:
        return e->time.toString(QStringLiteral("HH:mm:ss"));
    case KindColumn:
        return toString(r.kind) + (r.corrupted ? QStringLiteral(" (corrupted)") : QString());
    case TitleColumn:
        return r.title;
    case GuiltyColumn:
        return r.guiltyFunction;
    case ModuleColumn:
        return r.guiltyModule;
    case PanickedColumn:
        return r.panicked ? tr("panic") : QString();
    default:
        return {};
    }
}

QVariant ReportsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *names[] = {"Time", "Kind", "Title", "Guilty function", "Module", "Panicked"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

} // namespace kms::gui
