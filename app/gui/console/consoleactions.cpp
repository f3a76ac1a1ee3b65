#include "consoleactions.h"

#include "consoleview.h"

#include <QAction>
#include <QItemSelectionModel>
#include <QMenu>
#include <QRegularExpression>
#include <QTableView>

namespace kms::gui {

ConsoleActions::ConsoleActions(ConsoleView *view)
    : QObject(view)
    , m_view(view)
{
    m_copy = new QAction(tr("&Copy"), this);
    m_copy->setShortcut(QKeySequence::Copy);
    // Shown in the menu as a reminder: Ctrl+C itself is the window's one Edit > Copy (CopyAction),
    // which copies from whichever dock has the focus (two Ctrl+C shortcuts would cancel out).
    m_copy->setShortcutContext(Qt::WidgetShortcut);
    connect(m_copy, &QAction::triggered, view, &ConsoleView::copySelection);
    m_searchFor = new QAction(tr("&Search for this"), this);
    connect(m_searchFor, &QAction::triggered, this, [this] {
        if (m_row >= 0)
            m_view->searchFor(searchTextOf(m_view->textAtRow(m_row)));
    });
    m_decode = new QAction(tr("&Decode selection"), this);
    m_decode->setToolTip(tr("Read the selected lines as a kernel log and decode the reports in them"));
    connect(m_decode, &QAction::triggered, this, [this] {
        const QString text = m_view->selectedText();
        if (!text.isEmpty())
            Q_EMIT decodeRequested(text.split(QLatin1Char('\n')));
    });
    m_find = new QAction(tr("&Find in console…"), this);
    m_find->setShortcut(QKeySequence::Find);
    connect(m_find, &QAction::triggered, view, &ConsoleView::focusSearch);
    m_findNext = new QAction(tr("Find &next"), this);
    m_findNext->setShortcut(QKeySequence::FindNext);
    connect(m_findNext, &QAction::triggered, view, &ConsoleView::findNext);
    m_findPrevious = new QAction(tr("Find pre&vious"), this);
    m_findPrevious->setShortcut(QKeySequence::FindPrevious);
    connect(m_findPrevious, &QAction::triggered, view, &ConsoleView::findPrevious);
    // Without a window menu (a console alone) the shortcuts still work.
    view->addActions({m_find, m_findNext, m_findPrevious});
    for (QAction *a : {m_copy, m_find, m_findNext, m_findPrevious})
        a->setShortcutVisibleInContextMenu(true);

    m_menu = new QMenu(view);
    m_menu->addActions({m_copy, m_searchFor, m_decode});
    m_menu->addSeparator();
    m_menu->addAction(m_find);
    QTableView *list = view->listView();
    list->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(list, &QWidget::customContextMenuRequested, this, [this, list](const QPoint &pos) {
        const QModelIndex index = list->indexAt(pos);
        if (index.isValid())
            popupAt(index.row(), list->viewport()->mapToGlobal(pos));
    });
}

QString ConsoleActions::searchTextOf(const QString &line)
{
    static const QRegularExpression stamp(QStringLiteral("^\\s*\\[\\s*\\d+\\.\\d+\\]\\s?"));
    QString text = line;
    text.remove(stamp);
    return text.trimmed();
}

void ConsoleActions::popupAt(int row, const QPoint &globalPos)
{
    m_row = row;
    QTableView *list = m_view->listView();
    // A right-click outside the selection selects the row, as file managers and editors do.
    const QModelIndex index = list->model()->index(row, 0);
    if (!list->selectionModel()->isSelected(index))
        list->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    const bool selection = !m_view->selectedText().isEmpty();
    m_copy->setEnabled(selection);
    m_decode->setEnabled(selection);
    m_searchFor->setEnabled(!searchTextOf(m_view->textAtRow(row)).isEmpty());
    m_searchFor->setText(
        tr("&Search for \"%1\"")
            .arg(QFontMetrics(m_menu->font()).elidedText(searchTextOf(m_view->textAtRow(row)), Qt::ElideMiddle, 300)));
    m_menu->popup(globalPos);
}

} // namespace kms::gui
