#include "cyclesmodel.h"

#include <QFont>

#include <cmath>

namespace kms::gui {

namespace {
const char *const rowSteps[4] = {"total", "load", "settle", "unload"};

QString msText(float ms)
{
    return std::isnan(ms) ? QString() : QString::number(double(ms), 'f', ms < 100 ? 1 : 0);
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
    m_rows.clear();
    m_rowOf.clear();
    m_full.clear();
    m_fullOrder.clear();
    m_totals = RunTotals();
    endResetModel();
}

int CyclesModel::rowOf(int n) const
{
    if (n >= 1 && n <= m_rows.size() && m_rows[n - 1].n == n)
        return n - 1;
    return m_rowOf.value(n, -1);
}

int CyclesModel::numberAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows[row].n : -1;
}

void CyclesModel::keep(const CycleResult &cycle)
{
    if (!m_full.contains(cycle.n))
        m_fullOrder.append(cycle.n);
    m_full.insert(cycle.n, cycle);
    // Out of the recent window, a pass goes; failures go beyond the newest fullKept.
    const int window = cycle.n - recentKept;
    qsizetype failing = 0;
    for (int n : std::as_const(m_fullOrder))
        failing += n <= window && m_full.value(n).verdict != Verdict::Pass ? 1 : 0;
    for (qsizetype i = 0; i < m_fullOrder.size() && m_fullOrder[i] <= window;) {
        const int n = m_fullOrder[i];
        const bool pass = m_full.value(n).verdict == Verdict::Pass;
        if (!pass && failing <= fullKept) {
            ++i;
            continue;
        }
        failing -= pass ? 0 : 1;
        m_full.remove(n);
        m_fullOrder.removeAt(i);
    }
}

void CyclesModel::upsert(const CycleResult &cycle)
{
    Row r;
    r.n = cycle.n;
    r.verdict = cycle.verdict;
    r.complete = cycle.complete;
    for (int i = 0; i < 4; ++i) {
        const auto it = cycle.stepMs.constFind(QLatin1String(rowSteps[i]));
        r.ms[i] = it == cycle.stepMs.constEnd() ? std::numeric_limits<float>::quiet_NaN() : float(*it);
    }
    r.slabDeltaKb = cycle.slabDeltaKb ? qint32(*cycle.slabDeltaKb) : noDelta;
    r.availableDeltaKb = cycle.loaded.availableKb >= 0 && cycle.unloaded.availableKb >= 0
        ? qint32(cycle.unloaded.availableKb - cycle.loaded.availableKb)
        : noDelta;
    keep(cycle);
    if (const int row = rowOf(cycle.n); row >= 0) {
        --m_totals.byVerdict[m_rows[row].verdict];
        ++m_totals.byVerdict[r.verdict];
        m_rows[row] = r;
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        return;
    }
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.append(r);
    if (row != cycle.n - 1)
        m_rowOf.insert(cycle.n, row);
    m_totals.add(r.verdict);
    endInsertRows();
}

const CycleResult *CyclesModel::cycleAt(int row) const
{
    const auto it = m_full.constFind(numberAt(row));
    return it == m_full.constEnd() ? nullptr : &*it;
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
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CyclesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CyclesModel::data(const QModelIndex &index, int role) const
{
    if (index.row() < 0 || index.row() >= m_rows.size())
        return {};
    const Row &r = m_rows[index.row()];
    if (role == CycleNumberRole)
        return r.n;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Number:
            return r.n;
        case VerdictColumn:
            return r.complete ? toString(r.verdict) : toString(r.verdict) + QStringLiteral(" …");
        case Total:
            return msText(r.ms[0]);
        case Load:
            return msText(r.ms[1]);
        case Settle:
            return msText(r.ms[2]);
        case Unload:
            return msText(r.ms[3]);
        case SlabDelta:
            return r.slabDeltaKb != noDelta ? kbDelta(r.slabDeltaKb) : QString();
        case AvailableDelta:
            return r.availableDeltaKb != noDelta ? kbDelta(r.availableDeltaKb) : QString();
        case Finding: {
            const CycleResult *c = cycleAt(index.row());
            return c ? decidingFinding(*c) : QString();
        }
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole && index.column() != Finding && index.column() != VerdictColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (index.column() == VerdictColumn) {
        if (role == Qt::ForegroundRole)
            return verdictColor(r.verdict);
        if (role == Qt::BackgroundRole)
            return verdictBackground(r.verdict);
        if (role == Qt::FontRole) {
            QFont f;
            f.setBold(r.verdict != Verdict::Pass);
            return f;
        }
    }
    if (role == Qt::ToolTipRole) {
        QStringList tip;
        if (const CycleResult *c = cycleAt(index.row())) {
            for (const kms::Finding &f : c->findings)
                tip += QStringLiteral("%1: %2").arg(toString(f.verdict), f.message);
            QStringList steps;
            for (auto it = c->stepMs.constBegin(); it != c->stepMs.constEnd(); ++it)
                steps += QStringLiteral("%1 %2 ms").arg(it.key(), QString::number(it.value(), 'f', 1));
            if (!steps.isEmpty())
                tip += steps.join(QStringLiteral(", "));
        } else {
            tip += tr("Passed; its steps are in the run's report (Export)");
        }
        if (r.verdict == Verdict::Crash || r.verdict == Verdict::Leak)
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
