#include "copyaction.h"

#include <QApplication>
#include <QWidget>

namespace kms::gui {

CopyAction::CopyAction(QObject *parent)
    : QAction(tr("&Copy"), parent)
{
    setShortcut(QKeySequence::Copy);
    connect(this, &QAction::triggered, this, &CopyAction::copyFromFocus);
}

void CopyAction::addArea(QWidget *area, std::function<void()> copy)
{
    m_areas.append({area, std::move(copy)});
}

bool CopyAction::copyFromFocus()
{
    QWidget *focus = QApplication::focusWidget();
    if (!focus)
        return false;
    for (const auto &[area, copy] : std::as_const(m_areas)) {
        if (area == focus || area->isAncestorOf(focus)) {
            copy();
            return true;
        }
    }
    // Line edits, the Registers and Code tabs, the source editor: their own selection (the focus
    // may be on an editor's viewport).
    for (QWidget *w = focus; w; w = w->parentWidget()) {
        if (w->metaObject()->indexOfSlot("copy()") >= 0)
            return QMetaObject::invokeMethod(w, "copy");
        if (w->isWindow())
            break;
    }
    return false;
}

} // namespace kms::gui
