// The Cycles dock's table: one row per finished cycle (number, verdict, step times, memory
// delta, the finding that decided the verdict), updated in place when a report attaches late.
#pragma once

#include "cycle/cycleresult.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QHash>

namespace kms::gui {

class CyclesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Number, VerdictColumn, Total, Load, Settle, Unload, SlabDelta, AvailableDelta, Finding, ColumnCount };
    static constexpr int CycleNumberRole = Qt::UserRole + 1;

    explicit CyclesModel(QObject *parent = nullptr);

    void clear();
    // Adds the cycle, or replaces the row with the same number.
    void upsert(const kms::CycleResult &cycle);
    const CycleResult *cycleAt(int row) const;
    int rowOf(int n) const { return m_rowOf.value(n, -1); }
    RunTotals totals() const { return RunTotals::of(m_cycles); }

    // Text and background colours of a verdict (table, totals).
    static QColor verdictColor(Verdict verdict);
    static QColor verdictBackground(Verdict verdict);
    // The message of the finding that decided the verdict ("" for a pass): a report's own
    // finding first, else the first with the cycle's verdict.
    static QString decidingFinding(const CycleResult &cycle);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<CycleResult> m_cycles;
    QHash<int, int> m_rowOf; // cycle number -> row
};

} // namespace kms::gui
