// The reports of this session, newest first, with an unread count for the dock's badge.
#pragma once

#include "report/kernelreport.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QList>

namespace kms::gui {

class ReportsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TimeColumn, KindColumn, TitleColumn, GuiltyColumn, ModuleColumn, PanickedColumn, ColumnCount };
    enum Role { ReportIdRole = Qt::UserRole + 1 };

    struct Entry {
        int id = 0;
        QDateTime time;
        KernelReport report;
        QList<int> rows; // console rows
        bool resolved = false;
        bool unread = true;
        QStringList alsoOn; // other sources that printed this same report
    };

    explicit ReportsModel(QObject *parent = nullptr);

    void addReport(int id, const KernelReport &report, const QList<int> &rows);
    void setResolved(int id, const KernelReport &report);
    void markRead(int id);
    // Another source printed this report too (the serial console and SSH-dmesg both carry it).
    void addAlsoSeen(int id, const QString &source);
    const Entry *entry(int id) const;
    const Entry *entryAt(int row) const;
    int rowOf(int id) const;
    int unreadCount() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void unreadCountChanged(int count);
    void reportResolved(int id);
    void reportUpdated(int id);

private:
    QList<Entry> m_entries; // oldest first; rows are reversed
};

} // namespace kms::gui
