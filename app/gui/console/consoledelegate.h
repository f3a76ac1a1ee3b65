// How the console paints a line: kernel log-level colours, report blocks highlighted with a
// marker in a side gutter, frames as links, a rule where the node booted again, and (with "Time")
// the host time and source first.
#pragma once

#include <QStyledItemDelegate>

namespace kms::gui {

// Finds "func+0xoff/0xsize [mod]" spans in a console line: [start, length) pairs.
QList<QPair<int, int>> frameSpans(const QString &text);

class ConsoleDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    static constexpr int gutterWidth = 10;
    static QColor levelColor(int level);
    // Host time and source before each line ("12:01:02.345 serial ").
    void setShowTime(bool on) { m_showTime = on; }
    bool showTime() const { return m_showTime; }
    static QString timePrefix(const QModelIndex &index);
    // "serial", or "serial+ssh-dmesg" for a line both delivered.
    static QString sourceMark(const QModelIndex &index);
    // Where the line's text starts, relative to the row's left edge.
    int textLeft(const QFontMetrics &fm, const QModelIndex &index) const;

private:
    bool m_showTime = false;
};

} // namespace kms::gui
