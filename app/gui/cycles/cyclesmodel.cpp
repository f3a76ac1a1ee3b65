#include "cyclesmodel.h"

#include <QFont>

namespace kms::gui {

namespace {
QString msText(const CycleResult &c, const char *step)
{
    const auto it = c.stepMs.constFind(QLatin1String(step));
    return it == c.stepMs.constEnd() ? QString() : QString::number(*it, 'f', *it < 100 ? 1 : 0);
}

QString kbDelta(qint64 kb)
{
    return kb > 0 ? QStringLiteral("+%1").arg(kb) : QString::number(kb);
}
} // namespace

CyclesModel::CyclesModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void CyclesModel::clear()
{
    beginResetModel();
    m_cycles.clear();
    m_rowOf.clear();
    endResetModel();
}

void CyclesModel::upsert(const CycleResult &cycle)
{
    if (const int row = rowOf(cycle.n); row >= 0) {
        m_cycles[row] = cycle;
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        return;
    }
    const int row = int(m_cycles.size());
    beginInsertRows({}, row, row);
    m_cycles.append(cycle);
    m_rowOf.insert(cycle.n, row);
    endInsertRows();
}

const CycleResult *CyclesModel::cycleAt(int row) const
{
    return row >= 0 && row < m_cycles.size() ? &m_cycles[row] : nullptr;
}

QColor CyclesModel::verdictColor(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Crash:
        return QColor(0xb0, 0x00, 0x20);
    case Verdict::Stuck:
        return QColor(0x7b, 0x1f, 0xa2);
    case Verdict::Fail:
        return QColor(0xc4, 0x50, 0x00);
    case Verdict::Leak:
        return QColor(0x8a, 0x5a, 0x00);
    case Verdict::Warning:
        return QColor(0x8a, 0x6d, 0x00);
    case Verdict::Pass:
        return QColor(0x1b, 0x6e, 0x20);
    }
    return {};
}

QColor CyclesModel::verdictBackground(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Crash:
        return QColor(0xff, 0xcd, 0xd2);
    case Verdict::Stuck:
        return QColor(0xe1, 0xbe, 0xe7);
    case Verdict::Fail:
        return QColor(0xff, 0xe0, 0xb2);
    case Verdict::Leak:
        return QColor(0xff, 0xe8, 0x82);
    case Verdict::Warning:
        return QColor(0xff, 0xf6, 0xc4);
    case Verdict::Pass:
        return QColor(0xd7, 0xf0, 0xd8);
    }
    return {};
}

QString CyclesModel::decidingFinding(const CycleResult &cycle)
{
    // A decoded report says more than the panic line that ended the cycle.
    for (const KernelReport &r : cycle.reports) {
        for (const kms::Finding &f : cycle.findings) {
            if (f.verdict == cycle.verdict && !r.title.isEmpty() && f.message.startsWith(r.title))
                return f.message;
        }
    }
    for (const kms::Finding &f : cycle.findings) {
        if (f.verdict == cycle.verdict && f.verdict != Verdict::Pass)
            return f.message;
    }
    return {};
}

int CyclesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_cycles.size());
}

int CyclesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CyclesModel::data(const QModelIndex &index, int role) const
{
    const CycleResult *c = cycleAt(index.row());
    if (!c)
        return {};
    if (role == CycleNumberRole)
        return c->n;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Number:
            return c->n;
        case VerdictColumn:
            return c->complete ? toString(c->verdict) : toString(c->verdict) + QStringLiteral(" …");
        case Total:
            return msText(*c, "total");
        case Load:
            return msText(*c, "load");
        case Settle:
            return msText(*c, "settle");
        case Unload:
            return msText(*c, "unload");
        case SlabDelta:
            return c->slabDeltaKb ? kbDelta(*c->slabDeltaKb) : QString();
        case AvailableDelta:
            return c->loaded.availableKb >= 0 && c->unloaded.availableKb >= 0
                ? kbDelta(c->unloaded.availableKb - c->loaded.availableKb)
                : QString();
        case Finding:
            return decidingFinding(*c);
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole && index.column() != Finding && index.column() != VerdictColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (index.column() == VerdictColumn) {
        if (role == Qt::ForegroundRole)
            return verdictColor(c->verdict);
        if (role == Qt::BackgroundRole)
            return verdictBackground(c->verdict);
        if (role == Qt::FontRole) {
            QFont f;
            f.setBold(c->verdict != Verdict::Pass);
            return f;
        }
    }
    if (role == Qt::ToolTipRole) {
        QStringList tip;
        for (const kms::Finding &f : c->findings)
            tip += QStringLiteral("%1: %2").arg(toString(f.verdict), f.message);
        QStringList steps;
        for (auto it = c->stepMs.constBegin(); it != c->stepMs.constEnd(); ++it)
            steps += QStringLiteral("%1 %2 ms").arg(it.key(), QString::number(it.value(), 'f', 1));
        if (!steps.isEmpty())
            tip += steps.join(QStringLiteral(", "));
        if (c->verdict == Verdict::Crash || c->verdict == Verdict::Leak)
            tip += tr("Click: show its report and console lines");
        return tip.join(QLatin1Char('\n'));
    }
    return {};
}

QVariant CyclesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Total:
        case Load:
        case Settle:
        case Unload:
            return tr("Milliseconds");
        case SlabDelta:
            return tr("Slab after the unload against the previous cycle's, kB");
        case AvailableDelta:
            return tr("MemAvailable after the unload against while loaded, kB");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Number:
        return tr("#");
    case VerdictColumn:
        return tr("Verdict");
    case Total:
        return tr("Total");
    case Load:
        return tr("Load");
    case Settle:
        return tr("Settle");
    case Unload:
        return tr("Unload");
    case SlabDelta:
        return tr("Slab Δ");
    case AvailableDelta:
        return tr("Avail Δ");
    case Finding:
        return tr("Finding");
    }
    return {};
}

} // namespace kms::gui
