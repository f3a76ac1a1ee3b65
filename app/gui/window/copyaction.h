// Edit > Copy (Ctrl+C) for the whole window: copies from the dock that has the focus (console
// lines, the current frame, the report's title), or asks the focused text widget to copy its
// selection. One shortcut for all: a second Ctrl+C in a dock would make both ambiguous.
#pragma once

#include <QAction>

#include <functional>

namespace kms::gui {

class CopyAction : public QAction
{
    Q_OBJECT
public:
    explicit CopyAction(QObject *parent);

    // While the focus is in `area` (or is it), Copy calls `copy`. Earlier areas win.
    void addArea(QWidget *area, std::function<void()> copy);
    // What Copy does now; false when nothing could copy.
    bool copyFromFocus();

private:
    QList<QPair<QWidget *, std::function<void()>>> m_areas;
};

} // namespace kms::gui
