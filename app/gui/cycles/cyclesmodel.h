// The Cycles dock's table: one row per finished cycle (number, verdict, step times, memory
// delta, the finding that decided the verdict), updated in place when a report attaches late.
// A row is 32 bytes (3.2 MB for a 100,000-cycle run); the full result is held only for the
// newest fullKept cycles that did not pass (their reports, findings, leaks for a click) and the
// newest recentKept others (their tool tips). The whole run is in the runner's spool.
#pragma once

#include "cycle/cycleresult.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QHash>

#include <limits>

namespace kms::gui {

class CyclesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Number, VerdictColumn, Total, Load, Settle, Unload, SlabDelta, AvailableDelta, Finding, ColumnCount };
    static constexpr int CycleNumberRole = Qt::UserRole + 1;

    explicit CyclesModel(QObject *parent = nullptr);

    static constexpr int fullKept = 1000;
    static constexpr int recentKept = 128;

    void clear();
    // Adds the cycle, or replaces the row with the same number.
    void upsert(const kms::CycleResult &cycle);
    // The row's full result while it is held (see above), else nullptr.
    const CycleResult *cycleAt(int row) const;
    int numberAt(int row) const;
    int rowOf(int n) const;
    RunTotals totals() const { return m_totals; }

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
    struct Row {
        int n = 0;
        Verdict verdict = Verdict::Pass;
        bool complete = false;
        float ms[4] = {}; // total, load, settle, unload; NaN: not measured
        qint32 slabDeltaKb = 0; // noDelta: none
        qint32 availableDeltaKb = 0;
    };
    static constexpr qint32 noDelta = std::numeric_limits<qint32>::min();
    void keep(const CycleResult &cycle);

    QList<Row> m_rows; // by cycle number, as they come
    QHash<int, int> m_rowOf; // cycle number -> row, for numbers that are not row + 1
    QHash<int, CycleResult> m_full; // see above
    QList<int> m_fullOrder; // m_full's cycles, oldest first
    RunTotals m_totals;
};

} // namespace kms::gui
