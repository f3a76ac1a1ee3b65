#include "huntgridmodel.h"

#include "hunt/huntstats.h"

#include <QRegularExpression>

namespace kms::gui {

using namespace kms::hunt;

HuntGridModel::HuntGridModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

QList<HuntGridModel::Axis> HuntGridModel::axesOf(const Grid &grid, bool compare)
{
    static const QRegularExpression digits(QStringLiteral("^\\d+$"));
    QList<Axis> axes;
    for (const Dimension &d : grid.dimensions()) {
        Axis axis;
        switch (d.kind) {
        case Dimension::Kind::Settle:
            axis.name = QStringLiteral("settle");
            for (const QString &v : d.values)
                axis.labels << (digits.match(v).hasMatch() ? v + QStringLiteral(" ms") : v);
            break;
        case Dimension::Kind::Param:
            axis.name = d.name;
            axis.labels = d.values;
            break;
        case Dimension::Kind::Load:
            axis.name = QStringLiteral("load");
            axis.labels = d.values;
            break;
        case Dimension::Kind::Telemetry:
            axis.name = QStringLiteral("reader");
            axis.labels = d.values;
            break;
        }
        axes << axis;
    }
    if (compare)
        axes << Axis{QStringLiteral("build"), {QStringLiteral("A"), QStringLiteral("B")}};
    return axes;
}

void HuntGridModel::setLayout(const QList<Axis> &axes, const QList<CellResult> &cells)
{
    beginResetModel();
    m_axes = axes;
    m_cells = cells;
    m_inFlight = -1;
    endResetModel();
}

void HuntGridModel::clear()
{
    setLayout({}, {});
}

void HuntGridModel::updateCell(qsizetype cell, const CellResult &result)
{
    if (cell < 0 || cell >= m_cells.size())
        return;
    m_cells[cell] = result;
    const QModelIndex index = indexOf(cell);
    Q_EMIT dataChanged(index, index);
}

void HuntGridModel::setInFlight(qsizetype cell)
{
    const qsizetype old = m_inFlight;
    m_inFlight = cell;
    for (qsizetype c : {old, cell}) {
        if (const QModelIndex index = indexOf(c); index.isValid())
            Q_EMIT dataChanged(index, index);
    }
}

qsizetype HuntGridModel::cellAt(const QModelIndex &index) const
{
    if (!index.isValid())
        return -1;
    const qsizetype cell = qsizetype(index.row()) * columns() + index.column();
    return cell < m_cells.size() ? cell : -1;
}

QModelIndex HuntGridModel::indexOf(qsizetype cell) const
{
    if (cell < 0 || cell >= m_cells.size())
        return {};
    return index(int(cell / columns()), int(cell % columns()));
}

const CellResult *HuntGridModel::cell(qsizetype cell) const
{
    return cell >= 0 && cell < m_cells.size() ? &m_cells[cell] : nullptr;
}

QString HuntGridModel::cellLabel(qsizetype cell) const
{
    if (cell < 0 || cell >= m_cells.size())
        return {};
    // Mixed radix, the last axis fastest.
    QStringList parts;
    qsizetype rest = cell;
    for (qsizetype a = m_axes.size() - 1; a >= 0; --a) {
        const qsizetype n = m_axes[a].labels.size();
        const QString &name = m_axes[a].name;
        const QString &value = m_axes[a].labels[rest % n];
        parts.prepend(name == QLatin1String("settle") || name == QLatin1String("load") || name == QLatin1String("build")
                              || name == QLatin1String("reader")
                          ? name + QLatin1Char(' ') + value
                          : name + QLatin1Char('=') + value);
        rest /= n;
    }
    return parts.isEmpty() ? tr("every cycle alike") : parts.join(QStringLiteral(", "));
}

QColor HuntGridModel::heatColor(const QVariant &rate)
{
    if (!rate.isValid())
        return QColor(0xee, 0xee, 0xee);
    // Hue from green-yellow (0) to red (50% and above); saturation grows with the rate, so 0
    // reads as "nothing" and small rates already stand out. Never darker than dark text needs.
    const double r = std::clamp(rate.toDouble() / 0.5, 0.0, 1.0);
    const double shown = r == 0 ? 0 : 0.15 + 0.85 * std::sqrt(r);
    return QColor::fromHsvF(float(0.25 * (1 - shown)), float(0.12 + 0.5 * shown), 1.0f);
}

QString HuntGridModel::countText(const CellResult &cell)
{
    if (cell.cycles == 0)
        return QStringLiteral("—");
    return QStringLiteral("%1/%2 · %3").arg(cell.crashes).arg(cell.cycles).arg(formatPercent(cell.rate()));
}

QString HuntGridModel::intervalText(const CellResult &cell)
{
    if (cell.cycles == 0)
        return tr("not run yet");
    const Interval ci = cell.interval();
    if (cell.crashes == 0)
        return tr("< %1 at 95%").arg(formatPercent(ci.high));
    return tr("95% CI %1–%2").arg(formatPercent(ci.low), formatPercent(ci.high));
}

int HuntGridModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || m_cells.isEmpty())
        return 0;
    return int((m_cells.size() + columns() - 1) / columns());
}

int HuntGridModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || m_cells.isEmpty() ? 0 : columns();
}

QVariant HuntGridModel::data(const QModelIndex &index, int role) const
{
    const qsizetype c = cellAt(index);
    if (c < 0)
        return {};
    const CellResult &cell = m_cells[c];
    const QVariant rate = cell.cycles > 0 ? QVariant(cell.rate()) : QVariant();
    switch (role) {
    case Qt::DisplayRole:
        return countText(cell) + QLatin1Char('\n') + intervalText(cell);
    case Qt::BackgroundRole:
        return heatColor(rate);
    case Qt::ToolTipRole: {
        QString tip = cellLabel(c) + QLatin1Char('\n') + countText(cell) + QStringLiteral(", ") + intervalText(cell);
        if (cell.firstCrashCycle)
            tip += tr("\nfirst crash at cycle %1").arg(*cell.firstCrashCycle);
        tip += tr("\n%1 s").arg(cell.wallMs / 1000.0, 0, 'f', 1);
        for (const QString &title : cell.titles)
            tip += QStringLiteral("\n• ") + title;
        return tip;
    }
    case RateRole:
        return rate;
    case LowRole:
        return cell.interval().low;
    case HighRole:
        return cell.interval().high;
    case CyclesRole:
        return cell.cycles;
    case CrashesRole:
        return cell.crashes;
    case CellRole:
        return c;
    case InFlightRole:
        return c == m_inFlight;
    default:
        return {};
    }
}

QVariant HuntGridModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || m_axes.isEmpty())
        return {};
    if (orientation == Qt::Horizontal) {
        const Axis &axis = m_axes.last();
        const QString value = axis.labels.value(section);
        return axis.name == QLatin1String("settle") || axis.name == QLatin1String("load")
                || axis.name == QLatin1String("build") || axis.name == QLatin1String("reader")
            ? axis.name + QLatin1Char(' ') + value
            : axis.name + QLatin1Char('=') + value;
    }
    if (m_axes.size() == 1)
        return {};
    // The row's values of every axis but the last: the label of its first cell, less the last.
    const QString label = cellLabel(qsizetype(section) * columns());
    return label.section(QStringLiteral(", "), 0, int(m_axes.size()) - 2);
}

} // namespace kms::gui
