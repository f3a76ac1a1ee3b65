// The Hunt dock's heat map: the grid's cells laid out as a table (the last condition across,
// every combination of the others down; a compare adds the build as the last condition, so the
// two builds sit side by side), each with its crashes/cycles, rate and 95% interval, coloured by
// the rate. Cells are updated in place as the hunt reports them.
#pragma once

#include "hunt/huntgrid.h"
#include "hunt/huntresult.h"

#include <QAbstractTableModel>
#include <QColor>

namespace kms::gui {

class HuntGridModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role {
        RateRole = Qt::UserRole + 1, // double, or invalid before the first cycle
        LowRole, // the interval's ends (doubles)
        HighRole,
        CyclesRole,
        CrashesRole,
        CellRole, // the hunt's cell index
        InFlightRole, // bool: the batch running now is this cell's
    };
    struct Axis {
        QString name; // as the header says it: "settle", "fault_window_us", "load", "build"
        QStringList labels; // one per value: "10 ms", "5000", "cpu", "A"
    };

    explicit HuntGridModel(QObject *parent = nullptr);

    // The axes in grid order (the first varies slowest, as Grid::cells and the hunt's cell list);
    // the cells' count is the product of the axes' sizes (one cell without axes).
    void setLayout(const QList<Axis> &axes, const QList<kms::hunt::CellResult> &cells);
    static QList<Axis> axesOf(const kms::hunt::Grid &grid, bool compare);
    void updateCell(qsizetype cell, const kms::hunt::CellResult &result);
    void setInFlight(qsizetype cell); // -1: none
    void clear();

    qsizetype cellAt(const QModelIndex &index) const; // -1 outside
    QModelIndex indexOf(qsizetype cell) const;
    const kms::hunt::CellResult *cell(qsizetype cell) const;
    qsizetype cellCount() const { return m_cells.size(); }
    // "settle 10 ms, fault_window_us=5000, build A": the cell's conditions as the axes say them.
    QString cellLabel(qsizetype cell) const;

    // The heat colour of a rate: pale at 0, through yellow and orange to red at 50% and above;
    // grey for a cell without cycles.
    static QColor heatColor(const QVariant &rate);
    // "3/20 · 15%" and "95% CI 5.2%–36%" (or "< 16%" with no crash).
    static QString countText(const kms::hunt::CellResult &cell);
    static QString intervalText(const kms::hunt::CellResult &cell);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    int columns() const { return m_axes.isEmpty() ? 1 : int(m_axes.last().labels.size()); }

    QList<Axis> m_axes;
    QList<kms::hunt::CellResult> m_cells;
    qsizetype m_inFlight = -1;
};

} // namespace kms::gui
