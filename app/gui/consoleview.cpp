#include "consoleview.h"

#include "consolemodel.h"
#include "log/logline.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QShortcut>
#include <QToolButton>
#include <QVBoxLayout>

namespace kms::gui {

QList<QPair<int, int>> frameSpans(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral(R"(([A-Za-z_.$][\w.$]*)\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+(?: \[[\w-]+(?: [0-9a-f]+)?\])?)"));
    QList<QPair<int, int>> spans;
    auto it = re.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        spans.append({int(m.capturedStart()), int(m.capturedLength())});
    }
    return spans;
}

QColor ConsoleDelegate::levelColor(int level)
{
    switch (level) {
    case 0: // emerg
    case 1: // alert
    case 2: // crit
        return QColor(170, 0, 0);
    case 3: // err
        return QColor(200, 30, 30);
    case 4: // warning
        return QColor(170, 100, 0);
    case 5: // notice
        return QColor(0, 90, 160);
    case 7: // debug
        return QColor(120, 120, 120);
    default:
        return QColor();
    }
}

QString ConsoleDelegate::timePrefix(const QModelIndex &index)
{
    const qint64 ns = index.data(ConsoleModel::HostTimeRole).toLongLong();
    return QDateTime::fromMSecsSinceEpoch(ns / 1000000).toString(QStringLiteral("HH:mm:ss.zzz "))
        + index.data(ConsoleModel::SourceRole).toString().leftJustified(10, QLatin1Char(' '), true) + QLatin1Char(' ');
}

int ConsoleDelegate::textLeft(const QFontMetrics &fm, const QModelIndex &index) const
{
    return gutterWidth + (m_showTime ? fm.horizontalAdvance(timePrefix(index)) : 0);
}

QSize ConsoleDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QFontMetrics fm(option.font);
    return {gutterWidth + fm.horizontalAdvance(QLatin1Char('x')) * 220, fm.height() + 1};
}

void ConsoleDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    painter->save();
    const QRect r = option.rect;
    const int reportId = index.data(ConsoleModel::ReportIdRole).toInt();
    const int flags = index.data(ConsoleModel::FlagsRole).toInt();
    const bool selected = option.state & QStyle::State_Selected;
    if (selected)
        painter->fillRect(r, option.palette.highlight());
    else if (reportId >= 0)
        painter->fillRect(r, QColor(255, 236, 236));
    // Gutter: a bar along the report block, a stronger mark on its first line.
    if (reportId >= 0) {
        const int edge = index.data(ConsoleModel::ReportEdgeRole).toInt();
        const QRect g(r.left() + 2, r.top(), 4, r.height());
        painter->fillRect(g, QColor(200, 40, 40));
        if (edge & 1)
            painter->fillRect(QRect(r.left(), r.top(), gutterWidth - 2, 3), QColor(200, 40, 40));
        if (edge & 2)
            painter->fillRect(QRect(r.left(), r.bottom() - 2, gutterWidth - 2, 3), QColor(200, 40, 40));
    }
    QColor color = selected ? option.palette.highlightedText().color() : option.palette.text().color();
    if (!selected) {
        if (flags & LogLine::Event)
            color = QColor(0, 120, 0);
        else if (flags & LogLine::Sent)
            color = QColor(0, 0, 170);
        else if (const QColor lc = levelColor(index.data(ConsoleModel::LevelRole).toInt()); lc.isValid())
            color = lc;
    }
    const QString text = index.data(Qt::DisplayRole).toString();
    const QFontMetrics fm(option.font);
    const QRect tr = r.adjusted(textLeft(fm, index), 0, 0, 0);
    painter->setFont(option.font);
    const int baseline = tr.top() + fm.ascent();
    if (m_showTime) {
        painter->setPen(selected ? option.palette.highlightedText().color() : QColor(110, 110, 110));
        painter->drawText(r.left() + gutterWidth, baseline, timePrefix(index));
    }
    painter->setPen(color);
    painter->drawText(tr.left(), baseline, text);
    if (reportId >= 0) {
        // Frames are links: underlined, in the link colour.
        QFont uf = option.font;
        uf.setUnderline(true);
        painter->setFont(uf);
        painter->setPen(selected ? option.palette.highlightedText().color() : option.palette.link().color());
        for (const auto &[start, length] : frameSpans(text)) {
            const int x = tr.left() + fm.horizontalAdvance(text.left(start));
            painter->fillRect(QRect(x, r.top(), fm.horizontalAdvance(text.mid(start, length)), r.height()),
                              selected ? option.palette.highlight() : QColor(255, 236, 236));
            painter->drawText(x, baseline, text.mid(start, length));
        }
    }
    painter->restore();
}

ConsoleView::ConsoleView(ConsoleModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);

    auto *searchBar = new QHBoxLayout;
    m_searchEdit = new QLineEdit(this);
    m_searchEdit->setPlaceholderText(tr("Search the console (Enter: next, Shift+Enter: previous)"));
    m_searchEdit->setClearButtonEnabled(true);
    m_regex = new QCheckBox(tr("Regex"), this);
    m_countLabel = new QLabel(this);
    auto *prev = new QToolButton(this);
    prev->setText(QStringLiteral("▲"));
    prev->setToolTip(tr("Previous match"));
    auto *next = new QToolButton(this);
    next->setText(QStringLiteral("▼"));
    next->setToolTip(tr("Next match"));
    m_followButton = new QToolButton(this);
    m_followButton->setText(tr("Follow"));
    m_followButton->setCheckable(true);
    m_followButton->setChecked(true);
    m_followButton->setToolTip(tr("Keep the newest line in view (stops when you scroll up)"));
    searchBar->addWidget(m_searchEdit, 1);
    searchBar->addWidget(m_regex);
    searchBar->addWidget(prev);
    searchBar->addWidget(next);
    searchBar->addWidget(m_countLabel);
    auto *timeButton = new QToolButton(this);
    timeButton->setText(tr("Time"));
    timeButton->setCheckable(true);
    timeButton->setToolTip(tr("Show the host time and the source of each line"));
    connect(timeButton, &QToolButton::toggled, this, &ConsoleView::setShowTime);
    searchBar->addWidget(timeButton);
    searchBar->addWidget(m_followButton);
    layout->addLayout(searchBar);

    m_view = new QTableView(this);
    m_view->setModel(model);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->horizontalHeader()->hide();
    m_view->verticalHeader()->hide();
    const QFontMetrics fm(m_view->font());
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setMinimumSectionSize(1);
    m_view->verticalHeader()->setDefaultSectionSize(fm.height() + 1);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->horizontalHeader()->setDefaultSectionSize(ConsoleDelegate::gutterWidth
                                                      + fm.horizontalAdvance(QLatin1Char('x')) * 220);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerItem);
    m_view->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_delegate = new ConsoleDelegate(m_view);
    m_view->setItemDelegate(m_delegate);
    m_view->viewport()->installEventFilter(this);
    m_view->viewport()->setMouseTracking(true);
    layout->addWidget(m_view, 1);

    auto *inputBar = new QHBoxLayout;
    m_input = new QLineEdit(this);
    m_input->setPlaceholderText(tr("Type to the serial console (Enter sends, Up/Down: history)"));
    m_input->installEventFilter(this);
    auto *breakButton = new QToolButton(this);
    breakButton->setText(tr("Send break"));
    inputBar->addWidget(m_input, 1);
    inputBar->addWidget(breakButton);
    layout->addLayout(inputBar);
    setInputEnabled(false);

    connect(m_input, &QLineEdit::returnPressed, this, [this] {
        const QString text = m_input->text();
        if (!text.isEmpty() && (m_history.isEmpty() || m_history.last() != text))
            m_history.append(text);
        m_historyPos = int(m_history.size());
        Q_EMIT sendRequested(text.toUtf8() + '\n');
        m_input->clear();
    });
    connect(breakButton, &QToolButton::clicked, this, &ConsoleView::breakRequested);

    // Follow-tail: new rows scroll to the end while following; scrolling up stops it.
    QScrollBar *sb = m_view->verticalScrollBar();
    connect(sb, &QScrollBar::rangeChanged, this, [this, sb](int, int max) {
        if (m_follow)
            sb->setValue(max);
    });
    connect(sb, &QScrollBar::actionTriggered, this, [this, sb](int) {
        // A user action (wheel, drag, keys): follow only when it ends at the bottom.
        QTimer::singleShot(0, this, [this, sb] { setFollowTail(sb->value() >= sb->maximum()); });
    });
    connect(m_followButton, &QToolButton::toggled, this, &ConsoleView::setFollowTail);

    m_searchTimer.setInterval(0);
    connect(&m_searchTimer, &QTimer::timeout, this, &ConsoleView::searchSlice);
    connect(m_searchEdit, &QLineEdit::returnPressed, this, [this] {
        const bool shift = QApplication::keyboardModifiers() & Qt::ShiftModifier;
        if (m_searchText != m_searchEdit->text() || m_searchRegex != m_regex->isChecked()) {
            startSearch(m_searchEdit->text(), m_regex->isChecked());
            return;
        }
        shift ? findPrevious() : findNext();
    });
    connect(next, &QToolButton::clicked, this, &ConsoleView::findNext);
    connect(prev, &QToolButton::clicked, this, &ConsoleView::findPrevious);
    connect(m_regex, &QCheckBox::toggled, this, [this] {
        if (!m_searchEdit->text().isEmpty())
            startSearch(m_searchEdit->text(), m_regex->isChecked());
    });

    auto *copy = new QShortcut(QKeySequence::Copy, m_view, nullptr, nullptr, Qt::WidgetShortcut);
    connect(copy, &QShortcut::activated, this, &ConsoleView::copySelection);
    auto *find = new QShortcut(QKeySequence::Find, this);
    connect(find, &QShortcut::activated, this, [this] {
        m_searchEdit->setFocus();
        m_searchEdit->selectAll();
    });
}

void ConsoleView::setFollowTail(bool on)
{
    if (m_follow == on)
        return;
    m_follow = on;
    m_followButton->setChecked(on);
    if (on)
        m_view->scrollToBottom();
}

void ConsoleView::setShowTime(bool on)
{
    m_delegate->setShowTime(on);
    const QFontMetrics fm(m_view->font());
    m_view->horizontalHeader()->resizeSection(
        0, ConsoleDelegate::gutterWidth + fm.horizontalAdvance(QLatin1Char('x')) * (on ? 244 : 220));
    m_view->viewport()->update();
}

void ConsoleView::setInputEnabled(bool on)
{
    m_input->setEnabled(on);
}

void ConsoleView::startSearch(const QString &pattern, bool regex, bool caseSensitive)
{
    m_model->flushPending();
    m_searchText = pattern;
    m_searchRegex = regex;
    m_searchCase = caseSensitive ? Qt::CaseSensitive : Qt::CaseInsensitive;
    m_matches.clear();
    m_current = -1;
    if (pattern.isEmpty()) {
        m_searchRow = -1;
        m_searchTimer.stop();
        m_countLabel->clear();
        Q_EMIT searchFinished(0);
        return;
    }
    if (regex) {
        m_searchRe = QRegularExpression(
            pattern, caseSensitive ? QRegularExpression::NoPatternOption : QRegularExpression::CaseInsensitiveOption);
        if (!m_searchRe.isValid()) {
            m_countLabel->setText(tr("bad regex"));
            m_searchRow = -1;
            Q_EMIT searchFinished(0);
            return;
        }
    }
    m_searchRow = 0;
    m_countLabel->setText(tr("searching…"));
    m_searchTimer.start();
}

void ConsoleView::searchSlice()
{
    // At most ~8 ms per slice: the GUI thread keeps drawing while a million lines are scanned.
    QElapsedTimer t;
    t.start();
    const int end = m_model->rowCount();
    const QByteArray needle = m_searchText.toUtf8();
    const bool ascii = !m_searchRegex && m_searchCase == Qt::CaseSensitive;
    while (m_searchRow < end) {
        for (int stop = std::min(end, m_searchRow + 2048); m_searchRow < stop; ++m_searchRow) {
            bool hit;
            if (ascii) {
                hit = m_model->rawText(m_searchRow).contains(needle);
            } else {
                const QString text = m_model->text(m_searchRow);
                hit = m_searchRegex ? m_searchRe.match(text).hasMatch() : text.contains(m_searchText, m_searchCase);
            }
            if (hit)
                m_matches.append(m_searchRow);
        }
        if (t.elapsed() >= 8)
            break;
    }
    m_countLabel->setText(tr("%n match(es)", nullptr, int(m_matches.size()))
                          + (m_searchRow < end ? QStringLiteral("…") : QString()));
    if (m_searchRow >= end) {
        m_searchTimer.stop();
        m_searchRow = -1;
        Q_EMIT searchFinished(int(m_matches.size()));
        if (!m_matches.isEmpty())
            goToMatch(int(m_matches.size()) - 1);
    }
}

int ConsoleView::currentMatchRow() const
{
    return m_current >= 0 && m_current < m_matches.size() ? m_matches[m_current] : -1;
}

void ConsoleView::goToMatch(int i)
{
    if (m_matches.isEmpty())
        return;
    m_current = (i + int(m_matches.size())) % int(m_matches.size());
    setFollowTail(false);
    const QModelIndex idx = m_model->index(m_matches[m_current]);
    m_view->setCurrentIndex(idx);
    m_view->scrollTo(idx, QAbstractItemView::PositionAtCenter);
    m_countLabel->setText(tr("%1 of %2").arg(m_current + 1).arg(m_matches.size()));
}

void ConsoleView::findNext()
{
    goToMatch(m_current + 1);
}

void ConsoleView::findPrevious()
{
    goToMatch(m_current < 0 ? int(m_matches.size()) - 1 : m_current - 1);
}

QString ConsoleView::selectedText() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedIndexes();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList lines;
    for (const QModelIndex &i : rows)
        lines.append(m_model->text(i.row()));
    return lines.join(QLatin1Char('\n'));
}

void ConsoleView::copySelection()
{
    QApplication::clipboard()->setText(selectedText());
}

bool ConsoleView::saveTo(const QString &path) const
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    for (int r = 0; r < m_model->storedCount(); ++r) {
        f.write(m_model->rawText(r));
        f.write("\n", 1);
    }
    return f.error() == QFile::NoError;
}

void ConsoleView::saveAs()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Save console as"), QStringLiteral("console.log"));
    if (!path.isEmpty())
        saveTo(path);
}

void ConsoleView::onClicked(const QModelIndex &index, const QPoint &pos)
{
    const int reportId = index.data(ConsoleModel::ReportIdRole).toInt();
    if (reportId < 0)
        return;
    const QString text = index.data().toString();
    const QFontMetrics fm(m_view->font());
    const int x = pos.x() - m_view->visualRect(index).left() - m_delegate->textLeft(fm, index);
    for (const auto &[start, length] : frameSpans(text)) {
        const int x0 = fm.horizontalAdvance(text.left(start));
        const int x1 = x0 + fm.horizontalAdvance(text.mid(start, length));
        if (x >= x0 && x < x1) {
            Q_EMIT frameClicked(reportId, text.mid(start, length), index.row());
            return;
        }
    }
}

bool ConsoleView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport()) {
        if (event->type() == QEvent::MouseButtonRelease) {
            auto *me = static_cast<QMouseEvent *>(event);
            if (me->button() == Qt::LeftButton) {
                const QModelIndex idx = m_view->indexAt(me->position().toPoint());
                if (idx.isValid())
                    onClicked(idx, me->position().toPoint());
            }
        } else if (event->type() == QEvent::Wheel) {
            QTimer::singleShot(0, this, [this] {
                QScrollBar *sb = m_view->verticalScrollBar();
                setFollowTail(sb->value() >= sb->maximum());
            });
        }
    } else if (watched == m_input && event->type() == QEvent::KeyPress) {
        auto *ke = static_cast<QKeyEvent *>(event);
        if (ke->key() == Qt::Key_Up && m_historyPos > 0) {
            m_input->setText(m_history[--m_historyPos]);
            return true;
        }
        if (ke->key() == Qt::Key_Down && m_historyPos < m_history.size()) {
            ++m_historyPos;
            m_input->setText(m_historyPos < m_history.size() ? m_history[m_historyPos] : QString());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace kms::gui
