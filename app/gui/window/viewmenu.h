// The View menu: every dock can be hidden and shown again (its title bar gets a close button
// too), "Reset layout" puts the docks back where a new install has them, and "Follow newest
// report" is a checkable, remembered toggle. Knows the window's docks, nothing else.
#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>

class QAction;
class QDockWidget;
class QMainWindow;
class QMenu;

namespace kms::gui {

class ViewMenu : public QObject
{
    Q_OBJECT
public:
    // Call before the saved state is restored: the current arrangement becomes the default.
    ViewMenu(QMainWindow *window, const QList<QDockWidget *> &docks, QMenu *menu);

    QAction *resetLayoutAction() const { return m_reset; }
    QAction *followAction() const { return m_follow; }
    void resetLayout();

Q_SIGNALS:
    void followChanged(bool on);
    // After Reset layout put the docks back: the window sizes them for its current size (the
    // default state was saved before the window had its size, so its pixel sizes do not fit).
    void layoutReset();

private:
    QMainWindow *m_window;
    QList<QDockWidget *> m_docks;
    QByteArray m_defaultState;
    QAction *m_reset;
    QAction *m_follow;
};

} // namespace kms::gui
