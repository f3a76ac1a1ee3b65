// Paints a heat-map cell: its heat colour, the count and rate over the interval's text, and the
// 95% interval as a bar on a 0–100% track with the rate marked; the cell whose batch runs now
// has a frame.
#pragma once

#include <QStyledItemDelegate>

namespace kms::gui {

class HuntCellDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace kms::gui
