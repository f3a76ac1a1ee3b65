#include "huntcelldelegate.h"

#include "huntgridmodel.h"

#include <QPainter>

namespace kms::gui {

void HuntCellDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    painter->save();
    const QRect r = option.rect.adjusted(1, 1, -1, -1);
    painter->fillRect(r, index.data(Qt::BackgroundRole).value<QColor>());
    const QFontMetrics fm(option.font);
    const QStringList lines = index.data(Qt::DisplayRole).toString().split(QLatin1Char('\n'));
    QFont bold = option.font;
    bold.setBold(true);
    const int pad = 6;
    const int barHeight = 6;
    int y = r.top() + pad;
    painter->setPen(QColor(0x10, 0x10, 0x10));
    painter->setFont(bold);
    painter->drawText(QRect(r.left() + pad, y, r.width() - 2 * pad, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                      lines.value(0));
    y += fm.height();
    painter->setFont(option.font);
    painter->setPen(QColor(0x30, 0x30, 0x30));
    painter->drawText(QRect(r.left() + pad, y, r.width() - 2 * pad, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                      lines.value(1));
    y += fm.height() + 3;

    // The interval on a linear 0-100% track: where the truth lies, at 95%.
    if (index.data(HuntGridModel::CyclesRole).toLongLong() > 0 && y + barHeight <= r.bottom()) {
        const QRect track(r.left() + pad, y, r.width() - 2 * pad, barHeight);
        painter->fillRect(track, QColor(255, 255, 255, 170));
        const auto x = [&track](double v) {
            return track.left() + int(std::round(v * (track.width() - 1)));
        };
        const double low = index.data(HuntGridModel::LowRole).toDouble();
        const double high = index.data(HuntGridModel::HighRole).toDouble();
        painter->fillRect(QRect(QPoint(x(low), track.top()), QPoint(std::max(x(high), x(low) + 1), track.bottom())),
                          QColor(0x50, 0x50, 0x60));
        const int mark = x(index.data(HuntGridModel::RateRole).toDouble());
        painter->fillRect(QRect(mark - 1, track.top() - 2, 3, barHeight + 4), QColor(0xc0, 0x10, 0x10));
    }
    if (index.data(HuntGridModel::InFlightRole).toBool()) {
        painter->setPen(QPen(QColor(0x1a, 0x5f, 0xd0), 3));
        painter->drawRect(r.adjusted(1, 1, -2, -2));
    }
    if (option.state & QStyle::State_Selected) {
        painter->setPen(QPen(option.palette.highlight().color(), 2, Qt::DashLine));
        painter->drawRect(r.adjusted(3, 3, -4, -4));
    }
    painter->restore();
}

QSize HuntCellDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QFontMetrics fm(option.font);
    return {fm.horizontalAdvance(QStringLiteral("95% CI 10.0%–100%")) + 16, 2 * fm.height() + 6 + 6 + 12};
}

} // namespace kms::gui
