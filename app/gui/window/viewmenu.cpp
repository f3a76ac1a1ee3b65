#include "viewmenu.h"

#include <QAction>
#include <QDockWidget>
#include <QMainWindow>
#include <QMenu>
#include <QSettings>

namespace kms::gui {

ViewMenu::ViewMenu(QMainWindow *window, const QList<QDockWidget *> &docks, QMenu *menu)
    : QObject(window)
    , m_window(window)
    , m_docks(docks)
{
    int n = 1;
    for (QDockWidget *dock : docks) {
        // Without Closable, QDockWidget greys out its own toggle action.
        dock->setFeatures(dock->features() | QDockWidget::DockWidgetClosable);
        QAction *toggle = dock->toggleViewAction();
        if (n <= 9)
            toggle->setShortcut(QKeySequence(Qt::ALT | Qt::SHIFT | Qt::Key(Qt::Key_0 + n)));
        ++n;
        menu->addAction(toggle);
    }
    menu->addSeparator();
    m_follow = menu->addAction(tr("&Follow newest report"));
    m_follow->setCheckable(true);
    m_follow->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    m_follow->setToolTip(tr("Select each new report and open its source, even while you look at another"));
    m_follow->setChecked(QSettings().value(QStringLiteral("reports/followNewest"), false).toBool());
    connect(m_follow, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("reports/followNewest"), on);
        Q_EMIT followChanged(on);
    });
    menu->addSeparator();
    m_reset = menu->addAction(tr("&Reset layout"), this, &ViewMenu::resetLayout);
    m_defaultState = window->saveState();
}

void ViewMenu::resetLayout()
{
    // The default state has each dock's visibility too (a dock that waits for its data, as the
    // Telemetry dock, stays hidden); floating ones come back first.
    for (QDockWidget *dock : m_docks)
        dock->setFloating(false);
    m_window->restoreState(m_defaultState);
    Q_EMIT layoutReset();
}

} // namespace kms::gui
