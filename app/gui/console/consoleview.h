// The live console: a one-column QTableView over ConsoleModel (fixed row height, so a million
// lines scroll like ten; QListView's item layout is O(rows) per insert, QHeaderView's is cheap),
// follow-tail that stops when the user scrolls up, the search bar (next/previous, count), copy,
// save as, and clicks on frames. Its pieces: ConsoleDelegate paints a line (levels, report
// blocks, frames as links), ConsoleSearch scans what is shown in slices so the GUI thread never
// stalls, ConsoleInput types into the serial console (history, send break, local echo).
//
// A source selector shows every line merged in arrival order (the view is on the ConsoleModel itself) or one
// source's lines (the view is on a ConsoleSourceModel); search, copy, save and clicks work on what is shown.
#pragma once

#include "consoledelegate.h"

#include <QTableView>
#include <QTimer>
#include <QWidget>

class QLineEdit;
class QLabel;
class QCheckBox;
class QToolButton;
class QComboBox;
class QAbstractItemModel;

namespace kms::gui {

class ConsoleInput;
class ConsoleModel;
class ConsoleSearch;
class ConsoleSourceModel;

class ConsoleView : public QWidget
{
    Q_OBJECT
public:
    explicit ConsoleView(ConsoleModel *model, QWidget *parent = nullptr);

    QTableView *listView() const { return m_view; }
    bool followTail() const { return m_follow; }
    void setFollowTail(bool on);

    // The source shown alone, or an empty string for all of them merged (the default).
    void showSource(const QString &source);
    QString shownSource() const;
    // Rows of what is shown (listView()->model()) and the line numbers of ConsoleModel.
    int shownRowCount() const;
    int lineAtRow(int row) const;
    int rowForLine(int line) const; // -1 when that line is not shown
    QString textAtRow(int row) const;
    // Stops following and shows a line near the top with a little context above it (a selected
    // report's first line); false when the line is not shown (dropped, or another source).
    bool revealLine(int line);

    // Search: starts (or restarts) a sliced scan; results come with searchFinished.
    void startSearch(const QString &pattern, bool regex, bool caseSensitive = false);
    int matchCount() const;
    bool searching() const;
    int currentMatchRow() const; // a row of what is shown
    void findNext();
    void findPrevious();

    QString selectedText() const;
    bool saveTo(const QString &path) const;
    void setInputEnabled(bool on);
    void setShowTime(bool on);
    ConsoleDelegate *delegate() const { return m_delegate; }

public Q_SLOTS:
    void copySelection();
    void saveAs();
    void focusSearch();
    // Puts the text in the search box and searches for it, literally.
    void searchFor(const QString &text);

Q_SIGNALS:
    // A frame span clicked in a report line: the report, the span's text and the line number.
    void frameClicked(int reportId, const QString &frameText, int line);
    void sendRequested(const QByteArray &bytes);
    void breakRequested();
    void searchFinished(int count);

private:
    void onScanned(int count, bool done);
    void goToMatch(int index);
    void onClicked(const QModelIndex &index, const QPoint &pos);
    bool eventFilter(QObject *watched, QEvent *event) override;
    int modelRow(int row) const;
    void setShownModel(ConsoleSourceModel *sourceModel); // m_allModel: all sources
    void watchShownModel(QAbstractItemModel *model);
    void onSourceSelected(int comboIndex);
    void onRowsAboutToBeRemoved(int last);
    void onLinesDropped();
    void updateMatchLabel();
    void keepTail();
    void restoreView();

    ConsoleModel *m_model;
    ConsoleSourceModel *m_allModel = nullptr; // every line once, all sources merged
    ConsoleSourceModel *m_sourceModel = nullptr; // shown: m_allModel or one source's
    QTableView *m_view;
    QLineEdit *m_searchEdit;
    QCheckBox *m_regex;
    QLabel *m_countLabel;
    QLabel *m_droppedLabel;
    QComboBox *m_sourceBox;
    ConsoleInput *m_input;
    QToolButton *m_followButton;
    ConsoleDelegate *m_delegate;
    bool m_follow = true;
    // A key press in the view is moving it: until it has, the tail must not pull the view back.
    bool m_userScrolling = false;
    QTimer m_tailTimer; // coalesces "put the view back where it belongs" to once per event-loop pass
    int m_keepTopLine = -1; // not following: the line at the top, kept there when older rows go
    bool m_keepTop = false;
    ConsoleSearch *m_search;
};

} // namespace kms::gui
