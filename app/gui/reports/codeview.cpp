#include "codeview.h"

#include <QFontDatabase>
#include <QTextBlock>
#include <QTimer>

namespace kms::gui {

CodeView::CodeView(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setReadOnly(true);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setLineWrapMode(QPlainTextEdit::NoWrap);
}

void CodeView::setListing(const CodeListing &listing)
{
    m_listing = listing;
    setPlainText(listing.text);
    QList<QTextEdit::ExtraSelection> marks;
    for (int line : listing.beforeLines) {
        QTextEdit::ExtraSelection grey;
        grey.cursor = QTextCursor(document()->findBlockByNumber(line));
        grey.cursor.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
        grey.format.setForeground(QColor(130, 130, 130));
        grey.format.setFontItalic(true);
        marks.append(grey);
    }
    if (listing.trapLine >= 0) {
        QTextEdit::ExtraSelection trap;
        trap.cursor = QTextCursor(document()->findBlockByNumber(listing.trapLine));
        trap.format.setBackground(QColor(255, 200, 200));
        trap.format.setProperty(QTextFormat::FullWidthSelection, true);
        marks.append(trap);
        setTextCursor(trap.cursor);
    }
    setExtraSelections(marks);
    scrollToTrap();
}

bool CodeView::trapLineVisible() const
{
    if (m_listing.trapLine < 0)
        return false;
    const QTextBlock block = document()->findBlockByNumber(m_listing.trapLine);
    const QRectF r = blockBoundingGeometry(block).translated(contentOffset());
    return r.top() >= 0 && r.bottom() <= viewport()->height();
}

void CodeView::scrollToTrap()
{
    if (m_listing.trapLine < 0 || !isVisible())
        return;
    // The lines before the trap matter as much as those after it: the trap in the middle.
    QTextCursor c(document()->findBlockByNumber(m_listing.trapLine));
    setTextCursor(c);
    centerCursor();
}

void CodeView::showEvent(QShowEvent *event)
{
    QPlainTextEdit::showEvent(event);
    // After the layout has given the view its height.
    QTimer::singleShot(0, this, &CodeView::scrollToTrap);
}

} // namespace kms::gui
