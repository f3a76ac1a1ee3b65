#include "consoleview.h"

#include "consolemodel.h"
#include "log/logline.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
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
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QSettings>
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
        + sourceMark(index).leftJustified(10, QLatin1Char(' '), false) + QLatin1Char(' ');
}

QString ConsoleDelegate::sourceMark(const QModelIndex &index)
{
    // A kernel line that several sources delivered is one row with each source's mark.
    QStringList marks{index.data(ConsoleModel::SourceRole).toString()};
    marks += index.data(ConsoleModel::AlsoSourcesRole).toStringList();
    return marks.join(QLatin1Char('+'));
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
    m_droppedLabel = new QLabel(this);
    m_droppedLabel->setObjectName(QStringLiteral("droppedLabel"));
    m_droppedLabel->hide();
    searchBar->addWidget(m_droppedLabel);
    m_sourceBox = new QComboBox(this);
    m_sourceBox->setObjectName(QStringLiteral("sourceBox"));
    m_sourceBox->setToolTip(tr("Show the lines of every source in arrival order, or of one source"));
    m_sourceBox->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_sourceBox->addItem(tr("All sources"));
    for (const QString &source : model->sources())
        m_sourceBox->addItem(source, source);
    connect(model, &ConsoleModel::sourceAdded, this,
            [this](int, const QString &source) { m_sourceBox->addItem(source, source); });
    connect(m_sourceBox, &QComboBox::currentIndexChanged, this, &ConsoleView::onSourceSelected);
    searchBar->addWidget(m_sourceBox);
    auto *timeButton = new QToolButton(this);
    timeButton->setText(tr("Time"));
    timeButton->setCheckable(true);
    timeButton->setToolTip(tr("Show the host time and the source of each line"));
    connect(timeButton, &QToolButton::toggled, this, &ConsoleView::setShowTime);
    searchBar->addWidget(timeButton);
    searchBar->addWidget(m_followButton);
    layout->addLayout(searchBar);

    m_view = new QTableView(this);
    // Before setModel: our handlers must run before the selection model's, which would otherwise
    // move a dropped current index to the next row and scroll the view there.
    // "All sources": each kernel line once (ConsoleModel's merged index).
    m_allModel = new ConsoleSourceModel(model, ConsoleModel::allSources, this);
    m_sourceModel = m_allModel;
    watchShownModel(m_allModel);
    connect(model, &ConsoleModel::linesDropped, this, &ConsoleView::onLinesDropped);
    m_view->setModel(m_allModel);
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
    m_view->installEventFilter(this);
    m_view->viewport()->installEventFilter(this);
    m_view->viewport()->setMouseTracking(true);
    layout->addWidget(m_view, 1);
    // The node's prompt (a line without newline yet), right under the last line.
    auto *partial = new QLabel(this);
    partial->setObjectName(QStringLiteral("partialLine"));
    partial->setFont(m_view->font());
    partial->setTextFormat(Qt::PlainText);
    partial->setTextInteractionFlags(Qt::TextSelectableByMouse);
    partial->hide();
    layout->addWidget(partial);
    connect(model, &ConsoleModel::partialLineChanged, partial, [partial](const LogLine &line) {
        partial->setText(QString::fromUtf8(line.text));
        partial->setVisible(!line.text.isEmpty());
    });

    auto *inputBar = new QHBoxLayout;
    m_input = new QLineEdit(this);
    m_input->setPlaceholderText(tr("Type to the serial console (Enter sends, Up/Down: history)"));
    m_input->installEventFilter(this);
    auto *breakButton = new QToolButton(this);
    breakButton->setText(tr("Send break"));
    auto *echoButton = new QToolButton(this);
    echoButton->setObjectName(QStringLiteral("localEcho"));
    echoButton->setText(tr("Local echo"));
    echoButton->setCheckable(true);
    echoButton->setToolTip(tr("Show what you type as a line of its own (off: the node's echo shows it)"));
    echoButton->setChecked(QSettings().value(QStringLiteral("console/localEcho"), false).toBool());
    m_model->setLocalEcho(echoButton->isChecked());
    connect(echoButton, &QToolButton::toggled, this, [this](bool on) {
        m_model->setLocalEcho(on);
        QSettings().setValue(QStringLiteral("console/localEcho"), on);
    });
    inputBar->addWidget(m_input, 1);
    inputBar->addWidget(echoButton);
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

    // Follow-tail. Only the user turns it off or on (scroll bar actions, the wheel, navigation keys in the view, the
    // button); while it is on, whatever else moves the view or changes its rows (a batch of rows, a resize, older rows
    // dropped, Qt scrolling to the current index) is followed by a return to the tail.
    QScrollBar *sb = m_view->verticalScrollBar();
    connect(sb, &QScrollBar::rangeChanged, this, [this, sb](int, int max) {
        if (m_follow && !m_userScrolling)
            sb->setValue(max);
    });
    connect(sb, &QScrollBar::valueChanged, this, [this, sb](int value) {
        if (m_follow && !m_userScrolling && value < sb->maximum())
            m_tailTimer.start();
    });
    connect(sb, &QScrollBar::actionTriggered, this, [this, sb](int) {
        // The slider already holds where the action (wheel, drag, arrows, page) goes. Deciding now, not after an
        // event-loop pass, matters: a batch of rows published in between would pull a following view back to the
        // tail, and the scroll-up would be lost.
        setFollowTail(sb->sliderPosition() >= sb->maximum());
    });
    connect(m_followButton, &QToolButton::toggled, this, &ConsoleView::setFollowTail);
    m_tailTimer.setSingleShot(true);
    m_tailTimer.setInterval(0);
    connect(&m_tailTimer, &QTimer::timeout, this, &ConsoleView::restoreView);

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

    // Copy (Ctrl+C) and Find (Ctrl+F) are ConsoleActions, on the window's Edit menu.
    onLinesDropped();
}

void ConsoleView::focusSearch()
{
    m_searchEdit->setFocus();
    m_searchEdit->selectAll();
}

void ConsoleView::searchFor(const QString &text)
{
    m_searchEdit->setText(text);
    m_regex->setChecked(false); // the text as it is, brackets and all
    startSearch(text, false);
}

void ConsoleView::setFollowTail(bool on)
{
    if (m_follow == on)
        return;
    m_follow = on;
    m_keepTop = false;
    m_followButton->setChecked(on);
    if (on)
        keepTail();
}

void ConsoleView::keepTail()
{
    // scrollToBottom lays out pending rows first, so the maximum it goes to is the real one.
    m_view->scrollToBottom();
    m_tailTimer.start(); // and again once Qt has handled whatever is queued (a resize, a show)
}

void ConsoleView::restoreView()
{
    if (m_userScrolling)
        return;
    if (m_follow) {
        m_view->scrollToBottom();
    } else if (m_keepTop) {
        m_keepTop = false;
        const int row = rowForLine(m_keepTopLine);
        m_view->verticalScrollBar()->setValue(row < 0 ? 0 : row);
    }
}

void ConsoleView::watchShownModel(QAbstractItemModel *model)
{
    connect(model, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this, model](const QModelIndex &, int, int last) {
        if (m_view->model() == model)
            onRowsAboutToBeRemoved(last);
    });
    const auto changed = [this, model] {
        if (m_view->model() == model)
            m_tailTimer.start();
    };
    connect(model, &QAbstractItemModel::rowsInserted, this, changed);
    connect(model, &QAbstractItemModel::rowsRemoved, this, changed);
    connect(model, &QAbstractItemModel::modelReset, this, changed);
}

void ConsoleView::onRowsAboutToBeRemoved(int last)
{
    // Older rows go (the store's cap). A current index among them would be moved by the selection model to the next
    // row, and the view would scroll there: let it go instead. Not following, keep the same line at the top.
    const QModelIndex current = m_view->currentIndex();
    if (current.isValid() && current.row() <= last)
        m_view->selectionModel()->setCurrentIndex({}, QItemSelectionModel::NoUpdate);
    if (!m_follow) {
        if (!m_keepTop) {
            const int top = m_view->rowAt(0);
            m_keepTopLine = lineAtRow(top >= 0 ? top : m_view->verticalScrollBar()->value());
        }
        m_keepTop = true;
        m_tailTimer.start();
    }
    if (m_searchRow >= 0)
        m_searchRow = std::max(0, m_searchRow - (last + 1));
}

void ConsoleView::onLinesDropped()
{
    // Matches are line numbers: those of dropped lines are a prefix.
    qsizetype gone = 0;
    while (gone < m_matches.size() && m_model->rowForLine(m_matches[gone]) < 0)
        ++gone;
    if (gone > 0) {
        m_matches.remove(0, gone);
        m_current = m_current < gone ? -1 : int(m_current - gone); // a dropped current match: none is current
        if (!searching())
            updateMatchLabel();
    }
    const qint64 dropped = m_model->droppedCount();
    m_droppedLabel->setText(tr("%1 older lines dropped").arg(QLocale().toString(dropped)));
    m_droppedLabel->setToolTip(tr("The console keeps the newest %1 lines; %2 older ones were dropped.")
                                   .arg(QLocale().toString(m_model->maxLines()), QLocale().toString(dropped)));
    m_droppedLabel->setVisible(dropped > 0);
}

void ConsoleView::updateMatchLabel()
{
    if (m_searchText.isEmpty())
        m_countLabel->clear();
    else if (m_current >= 0 && m_current < m_matches.size())
        m_countLabel->setText(tr("%1 of %2").arg(m_current + 1).arg(m_matches.size()));
    else
        m_countLabel->setText(tr("%n match(es)", nullptr, int(m_matches.size())));
}

void ConsoleView::showSource(const QString &source)
{
    const int i = source.isEmpty() ? 0 : m_sourceBox->findData(source);
    if (i >= 0)
        m_sourceBox->setCurrentIndex(i);
}

QString ConsoleView::shownSource() const
{
    return m_sourceModel != m_allModel ? m_model->sources().value(m_sourceModel->source()) : QString();
}

void ConsoleView::onSourceSelected(int comboIndex)
{
    const int source = int(m_model->sources().indexOf(m_sourceBox->itemData(comboIndex).toString()));
    if (comboIndex <= 0 || source < 0) {
        if (m_sourceModel != m_allModel)
            setShownModel(m_allModel);
    } else if (m_sourceModel->source() != source) {
        auto *sourceModel = new ConsoleSourceModel(m_model, source, this);
        watchShownModel(sourceModel);
        setShownModel(sourceModel);
    }
}

void ConsoleView::setShownModel(ConsoleSourceModel *sourceModel)
{
    // Not following, the line the user was at (the current one, else the top one) stays in view when it is shown in
    // both, else the nearest one after it.
    const QModelIndex current = m_view->currentIndex();
    // A current line scrolled out of sight is not what the user looks at: the top line is.
    const bool currentSeen = current.isValid() && m_view->viewport()->rect().intersects(m_view->visualRect(current));
    const int atRow = currentSeen ? current.row() : m_view->rowAt(0);
    const int atModelRow = atRow >= 0 ? modelRow(atRow) : -1;

    ConsoleSourceModel *old = m_sourceModel;
    m_sourceModel = sourceModel;
    QAbstractItemModel *model = sourceModel;
    // The view makes a new selection model and leaves the old one connected to its model: delete it.
    QItemSelectionModel *oldSelection = m_view->selectionModel();
    m_view->setModel(model);
    delete oldSelection;
    if (old != m_allModel)
        delete old;
    m_keepTop = false;
    if (m_follow) {
        keepTail();
    } else if (atModelRow >= 0 && model->rowCount() > 0) {
        // The same kernel line as the other source delivered it, else the nearest line after it.
        int row = sourceModel->rowForModelRow(atModelRow);
        if (row < 0)
            row = sourceModel->rowForModelRow(m_model->twinRow(atModelRow));
        if (row < 0)
            row = sourceModel->firstRowAtOrAfter(atModelRow);
        const QModelIndex idx = model->index(std::min(row, model->rowCount() - 1), 0);
        // The new model's rows are not laid out yet: scrolling now would be clamped to the top.
        m_view->doItemsLayout();
        if (currentSeen)
            m_view->selectionModel()->setCurrentIndex(idx,
                                                      QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_view->scrollTo(idx, currentSeen ? QAbstractItemView::PositionAtCenter : QAbstractItemView::PositionAtTop);
    }
    // What is searched is what is shown.
    if (!m_searchText.isEmpty())
        startSearch(m_searchText, m_searchRegex, m_searchCase == Qt::CaseSensitive);
}

int ConsoleView::shownRowCount() const
{
    return m_view->model()->rowCount();
}

int ConsoleView::modelRow(int row) const
{
    return m_sourceModel ? m_sourceModel->modelRow(row) : row;
}

int ConsoleView::lineAtRow(int row) const
{
    return m_sourceModel ? m_sourceModel->lineAt(row) : m_model->lineAt(row);
}

int ConsoleView::rowForLine(int line) const
{
    const int row = m_model->rowForLine(line);
    if (row < 0 || row >= m_model->rowCount())
        return -1;
    return m_sourceModel ? m_sourceModel->rowForModelRow(row) : row;
}

QString ConsoleView::textAtRow(int row) const
{
    return m_model->text(modelRow(row));
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
    const int end = shownRowCount();
    const QByteArray needle = m_searchText.toUtf8();
    const bool ascii = !m_searchRegex && m_searchCase == Qt::CaseSensitive;
    while (m_searchRow < end) {
        for (int stop = std::min(end, m_searchRow + 2048); m_searchRow < stop; ++m_searchRow) {
            const int row = modelRow(m_searchRow);
            bool hit;
            if (ascii) {
                hit = m_model->rawText(row).contains(needle);
            } else {
                const QString text = m_model->text(row);
                hit = m_searchRegex ? m_searchRe.match(text).hasMatch() : text.contains(m_searchText, m_searchCase);
            }
            if (hit)
                m_matches.append(m_model->lineAt(row));
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
    return m_current >= 0 && m_current < m_matches.size() ? rowForLine(m_matches[m_current]) : -1;
}

bool ConsoleView::revealLine(int line)
{
    const int row = rowForLine(line);
    if (row < 0)
        return false;
    setFollowTail(false);
    constexpr int context = 3;
    m_view->scrollTo(m_view->model()->index(std::max(0, row - context), 0), QAbstractItemView::PositionAtTop);
    m_view->setCurrentIndex(m_view->model()->index(row, 0));
    return true;
}

void ConsoleView::goToMatch(int i)
{
    if (m_matches.isEmpty())
        return;
    m_current = (i + int(m_matches.size())) % int(m_matches.size());
    setFollowTail(false);
    const QModelIndex idx = m_view->model()->index(rowForLine(m_matches[m_current]), 0);
    m_view->setCurrentIndex(idx);
    m_view->scrollTo(idx, QAbstractItemView::PositionAtCenter);
    updateMatchLabel();
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
    // Each row once: a row has an index per column, and selections made twice overlap.
    QList<int> rows;
    for (const QModelIndex &i : m_view->selectionModel()->selectedIndexes())
        rows.append(i.row());
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    QStringList lines;
    for (int row : rows)
        lines.append(textAtRow(row));
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
    // What is shown, with what has arrived but is not drawn yet.
    m_model->flushPending();
    for (int r = 0, n = shownRowCount(); r < n; ++r) {
        f.write(m_model->rawText(modelRow(r)));
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
            Q_EMIT frameClicked(reportId, text.mid(start, length), lineAtRow(index.row()));
            return;
        }
    }
}

bool ConsoleView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view) {
        if (event->type() == QEvent::KeyPress) {
            // Navigation keys move the current index and Qt scrolls to it, without a scroll bar action: the key is
            // the user's, so whether to follow is decided where the view ends up once the key is handled.
            switch (static_cast<QKeyEvent *>(event)->key()) {
            case Qt::Key_Up:
            case Qt::Key_Down:
            case Qt::Key_PageUp:
            case Qt::Key_PageDown:
            case Qt::Key_Home:
            case Qt::Key_End:
                m_userScrolling = true;
                QTimer::singleShot(0, this, [this] {
                    m_userScrolling = false;
                    QScrollBar *sb = m_view->verticalScrollBar();
                    setFollowTail(sb->value() >= sb->maximum());
                });
                break;
            default:
                break;
            }
        } else if (event->type() == QEvent::Show || event->type() == QEvent::Resize) {
            m_tailTimer.start();
        }
    } else if (watched == m_view->viewport()) {
        if (event->type() == QEvent::MouseButtonRelease) {
            auto *me = static_cast<QMouseEvent *>(event);
            if (me->button() == Qt::LeftButton) {
                const QModelIndex idx = m_view->indexAt(me->position().toPoint());
                if (idx.isValid())
                    onClicked(idx, me->position().toPoint());
            }
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
