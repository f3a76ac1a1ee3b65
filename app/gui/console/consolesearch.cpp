#include "consolesearch.h"

#include "consolemodel.h"

#include <QElapsedTimer>

namespace kms::gui {

ConsoleSearch::ConsoleSearch(const ConsoleModel *model, std::function<int()> shownRows,
                             std::function<int(int)> modelRow, QObject *parent)
    : QObject(parent)
    , m_model(model)
    , m_shownRows(std::move(shownRows))
    , m_modelRow(std::move(modelRow))
{
    m_timer.setInterval(0);
    connect(&m_timer, &QTimer::timeout, this, &ConsoleSearch::slice);
}

ConsoleSearch::Started ConsoleSearch::start(const QString &pattern, bool regex, bool caseSensitive)
{
    m_text = pattern;
    m_regex = regex;
    m_case = caseSensitive ? Qt::CaseSensitive : Qt::CaseInsensitive;
    m_matches.clear();
    m_current = -1;
    m_row = -1;
    m_timer.stop();
    if (pattern.isEmpty())
        return Started::Nothing;
    if (regex) {
        m_re = QRegularExpression(
            pattern, caseSensitive ? QRegularExpression::NoPatternOption : QRegularExpression::CaseInsensitiveOption);
        if (!m_re.isValid())
            return Started::BadRegex;
    }
    m_row = 0;
    m_timer.start();
    return Started::Scanning;
}

void ConsoleSearch::rowsRemoved(int count)
{
    if (m_row >= 0)
        m_row = std::max(0, m_row - count);
}

bool ConsoleSearch::forgetDropped()
{
    // Those of dropped lines are a prefix.
    qsizetype gone = 0;
    while (gone < m_matches.size() && m_model->rowForLine(m_matches[gone]) < 0)
        ++gone;
    if (gone == 0)
        return false;
    m_matches.remove(0, gone);
    m_current = m_current < gone ? -1 : int(m_current - gone); // a dropped current match: none is current
    return true;
}

void ConsoleSearch::slice()
{
    QElapsedTimer t;
    t.start();
    const int end = m_shownRows();
    const QByteArray needle = m_text.toUtf8();
    const bool ascii = !m_regex && m_case == Qt::CaseSensitive;
    while (m_row < end) {
        for (int stop = std::min(end, m_row + 2048); m_row < stop; ++m_row) {
            const int row = m_modelRow(m_row);
            bool hit;
            if (ascii) {
                hit = m_model->rawText(row).contains(needle);
            } else {
                const QString text = m_model->text(row);
                hit = m_regex ? m_re.match(text).hasMatch() : text.contains(m_text, m_case);
            }
            if (hit)
                m_matches.append(m_model->lineAt(row));
        }
        if (t.elapsed() >= 8)
            break;
    }
    const bool done = m_row >= end;
    if (done) {
        m_timer.stop();
        m_row = -1;
    }
    Q_EMIT scanned(int(m_matches.size()), done);
}

} // namespace kms::gui
