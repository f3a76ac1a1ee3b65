// The console's search over what is shown: text or a regex, either case, scanned in slices of at
// most ~8 ms so the GUI thread keeps drawing while a million lines are scanned. Matches are kept
// as ConsoleModel line numbers, ascending: rows shift when the oldest lines are dropped, line
// numbers do not.
#pragma once

#include <QList>
#include <QObject>
#include <QRegularExpression>
#include <QTimer>

#include <functional>

namespace kms::gui {

class ConsoleModel;

class ConsoleSearch : public QObject
{
    Q_OBJECT
public:
    // What is shown: how many rows, and the ConsoleModel row of a shown row.
    ConsoleSearch(const ConsoleModel *model, std::function<int()> shownRows, std::function<int(int)> modelRow,
                  QObject *parent = nullptr);

    enum class Started { Nothing, BadRegex, Scanning };
    // An empty pattern or a bad regex searches nothing (no matches).
    Started start(const QString &pattern, bool regex, bool caseSensitive);
    bool running() const { return m_row >= 0; }
    QString pattern() const { return m_text; }
    bool regex() const { return m_regex; }
    bool caseSensitive() const { return m_case == Qt::CaseSensitive; }

    const QList<int> &matches() const { return m_matches; }
    int current() const { return m_current; } // an index into matches(), -1: none
    void setCurrent(int index) { m_current = index; }

    // The oldest `count` shown rows are about to go: the scan goes on where it was.
    void rowsRemoved(int count);
    // Forgets the matches on lines the console dropped; whether there were any.
    bool forgetDropped();

Q_SIGNALS:
    // After each slice: the matches so far, and whether the scan is done.
    void scanned(int count, bool done);

private:
    void slice();

    const ConsoleModel *m_model;
    std::function<int()> m_shownRows;
    std::function<int(int)> m_modelRow;
    QTimer m_timer;
    int m_row = -1; // the next shown row to scan; -1: not scanning
    QString m_text;
    QRegularExpression m_re;
    bool m_regex = false;
    Qt::CaseSensitivity m_case = Qt::CaseInsensitive;
    QList<int> m_matches;
    int m_current = -1;
};

} // namespace kms::gui
