#include "consoledelegate.h"

#include "consolemodel.h"
#include "log/logline.h"

#include <QDateTime>
#include <QPainter>
#include <QRegularExpression>

namespace kms::gui {

QList<QPair<int, int>> frameSpans(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral(R"(([A-Za-z_.$][\w.$]*)\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+(?: \[[\w-]+(?: [0-9a-f]+)?\])?)"));
    QList<QPair<int, int>> spans;
    auto it = re.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        spans.append({int(m.capturedStart()), int(m.capturedLength())});
    }
    return spans;
}

QColor ConsoleDelegate::levelColor(int level)
{
    switch (level) {
    case 0: // emerg
    case 1: // alert
    case 2: // crit
        return QColor(170, 0, 0);
    case 3: // err
        return QColor(200, 30, 30);
    case 4: // warning
        return QColor(170, 100, 0);
    case 5: // notice
        return QColor(0, 90, 160);
    case 7: // debug
        return QColor(120, 120, 120);
    default:
        return QColor();
    }
}

QString ConsoleDelegate::timePrefix(const QModelIndex &index)
{
    const qint64 ns = index.data(ConsoleModel::HostTimeRole).toLongLong();
    return QDateTime::fromMSecsSinceEpoch(ns / 1000000).toString(QStringLiteral("HH:mm:ss.zzz "))
        + sourceMark(index).leftJustified(10, QLatin1Char(' '), false) + QLatin1Char(' ');
}

QString ConsoleDelegate::sourceMark(const QModelIndex &index)
{
    // A kernel line that several sources delivered is one row with each source's mark.
    QStringList marks{index.data(ConsoleModel::SourceRole).toString()};
    marks += index.data(ConsoleModel::AlsoSourcesRole).toStringList();
    return marks.join(QLatin1Char('+'));
}

int ConsoleDelegate::textLeft(const QFontMetrics &fm, const QModelIndex &index) const
{
    return gutterWidth + (m_showTime ? fm.horizontalAdvance(timePrefix(index)) : 0);
}

QSize ConsoleDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QFontMetrics fm(option.font);
    return {gutterWidth + fm.horizontalAdvance(QLatin1Char('x')) * 220, fm.height() + 1};
}

void ConsoleDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    painter->save();
    const QRect r = option.rect;
    const int reportId = index.data(ConsoleModel::ReportIdRole).toInt();
    const int flags = index.data(ConsoleModel::FlagsRole).toInt();
    const bool selected = option.state & QStyle::State_Selected;
    if (selected)
        painter->fillRect(r, option.palette.highlight());
    else if (reportId >= 0)
        painter->fillRect(r, QColor(255, 236, 236));
    // Gutter: a bar along the report block, a stronger mark on its first line.
    if (reportId >= 0) {
        const int edge = index.data(ConsoleModel::ReportEdgeRole).toInt();
        const QRect g(r.left() + 2, r.top(), 4, r.height());
        painter->fillRect(g, QColor(200, 40, 40));
        if (edge & 1)
            painter->fillRect(QRect(r.left(), r.top(), gutterWidth - 2, 3), QColor(200, 40, 40));
        if (edge & 2)
            painter->fillRect(QRect(r.left(), r.bottom() - 2, gutterWidth - 2, 3), QColor(200, 40, 40));
    }
    // The node rebooted: a rule above the new boot's first line (its clock starts again there).
    if (index.data(ConsoleModel::BootStartRole).toBool())
        painter->fillRect(QRect(r.left(), r.top(), r.width(), 2), QColor(0, 90, 160));
    QColor color = selected ? option.palette.highlightedText().color() : option.palette.text().color();
    if (!selected) {
        if (flags & LogLine::Event)
            color = QColor(0, 120, 0);
        else if (flags & LogLine::Sent)
            color = QColor(0, 0, 170);
        else if (const QColor lc = levelColor(index.data(ConsoleModel::LevelRole).toInt()); lc.isValid())
            color = lc;
    }
    const QString text = index.data(Qt::DisplayRole).toString();
    const QFontMetrics fm(option.font);
    const QRect tr = r.adjusted(textLeft(fm, index), 0, 0, 0);
    painter->setFont(option.font);
    const int baseline = tr.top() + fm.ascent();
    if (m_showTime) {
        painter->setPen(selected ? option.palette.highlightedText().color() : QColor(110, 110, 110));
        painter->drawText(r.left() + gutterWidth, baseline, timePrefix(index));
    }
    painter->setPen(color);
    painter->drawText(tr.left(), baseline, text);
    if (reportId >= 0) {
        // Frames are links: underlined, in the link colour.
        QFont uf = option.font;
        uf.setUnderline(true);
        painter->setFont(uf);
        painter->setPen(selected ? option.palette.highlightedText().color() : option.palette.link().color());
        for (const auto &[start, length] : frameSpans(text)) {
            const int x = tr.left() + fm.horizontalAdvance(text.left(start));
            painter->fillRect(QRect(x, r.top(), fm.horizontalAdvance(text.mid(start, length)), r.height()),
                              selected ? option.palette.highlight() : QColor(255, 236, 236));
            painter->drawText(x, baseline, text.mid(start, length));
        }
    }
    painter->restore();
}

} // namespace kms::gui
