// What can be done with console lines, as actions: the right-click menu of the console (copy,
// search for this, decode the selection) and the window's Edit entries (find, find next and
// previous) with their shortcuts.
#pragma once

#include <QObject>
#include <QPoint>
#include <QStringList>

class QAction;
class QMenu;

namespace kms::gui {

class ConsoleView;

class ConsoleActions : public QObject
{
    Q_OBJECT
public:
    explicit ConsoleActions(ConsoleView *view);

    QAction *copy() const { return m_copy; }
    QAction *searchForThis() const { return m_searchFor; }
    QAction *decodeSelection() const { return m_decode; }
    QAction *find() const { return m_find; }
    QAction *findNext() const { return m_findNext; }
    QAction *findPrevious() const { return m_findPrevious; }
    QMenu *menu() const { return m_menu; }

    // The text "Search for this" searches: the line's message without its kernel timestamp, so
    // that the same message is found again at other times.
    static QString searchTextOf(const QString &line);
    // Sets the row the menu acts on (what a right-click on it does) and shows the menu at pos.
    void popupAt(int row, const QPoint &globalPos);

Q_SIGNALS:
    // The selected lines, to be read as a kernel log and their reports decoded.
    void decodeRequested(const QStringList &lines);

private:
    ConsoleView *m_view;
    QAction *m_copy;
    QAction *m_searchFor;
    QAction *m_decode;
    QAction *m_find;
    QAction *m_findNext;
    QAction *m_findPrevious;
    QMenu *m_menu;
    int m_row = -1; // the row right-clicked
};

} // namespace kms::gui
