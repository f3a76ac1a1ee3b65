#include "consoleview.h"

#include "consoleinput.h"
#include "consolemodel.h"
#include "consolesearch.h"
#include "log/logline.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
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
#include <QScrollBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace kms::gui {

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

    m_input = new ConsoleInput(model, this);
    connect(m_input, &ConsoleInput::sendRequested, this, &ConsoleView::sendRequested);
    connect(m_input, &ConsoleInput::breakRequested, this, &ConsoleView::breakRequested);
    layout->addWidget(m_input);
    setInputEnabled(false);

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

    m_search = new ConsoleSearch(
        m_model, [this] { return shownRowCount(); }, [this](int row) { return modelRow(row); }, this);
    connect(m_search, &ConsoleSearch::scanned, this, &ConsoleView::onScanned);
    connect(m_searchEdit, &QLineEdit::returnPressed, this, [this] {
        const bool shift = QApplication::keyboardModifiers() & Qt::ShiftModifier;
        if (m_search->pattern() != m_searchEdit->text() || m_search->regex() != m_regex->isChecked()) {
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
    m_search->rowsRemoved(last + 1);
}

void ConsoleView::onLinesDropped()
{
    if (m_search->forgetDropped() && !searching())
        updateMatchLabel();
    const qint64 dropped = m_model->droppedCount();
    m_droppedLabel->setText(tr("%1 older lines dropped").arg(QLocale().toString(dropped)));
    m_droppedLabel->setToolTip(tr("The console keeps the newest %1 lines; %2 older ones were dropped.")
                                   .arg(QLocale().toString(m_model->maxLines()), QLocale().toString(dropped)));
    m_droppedLabel->setVisible(dropped > 0);
}

void ConsoleView::updateMatchLabel()
{
    const int current = m_search->current();
    const int count = matchCount();
    if (m_search->pattern().isEmpty())
        m_countLabel->clear();
    else if (current >= 0 && current < count)
        m_countLabel->setText(tr("%1 of %2").arg(current + 1).arg(count));
    else
        m_countLabel->setText(tr("%n match(es)", nullptr, count));
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
    if (!m_search->pattern().isEmpty())
        startSearch(m_search->pattern(), m_search->regex(), m_search->caseSensitive());
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
    m_input->setTypingEnabled(on);
}

void ConsoleView::startSearch(const QString &pattern, bool regex, bool caseSensitive)
{
    m_model->flushPending();
    switch (m_search->start(pattern, regex, caseSensitive)) {
    case ConsoleSearch::Started::Nothing:
        m_countLabel->clear();
        Q_EMIT searchFinished(0);
        break;
    case ConsoleSearch::Started::BadRegex:
        m_countLabel->setText(tr("bad regex"));
        Q_EMIT searchFinished(0);
        break;
    case ConsoleSearch::Started::Scanning:
        m_countLabel->setText(tr("searching…"));
        break;
    }
}

void ConsoleView::onScanned(int count, bool done)
{
    m_countLabel->setText(tr("%n match(es)", nullptr, count) + (done ? QString() : QStringLiteral("…")));
    if (!done)
        return;
    Q_EMIT searchFinished(count);
    if (count > 0)
        goToMatch(count - 1);
}

int ConsoleView::matchCount() const
{
    return int(m_search->matches().size());
}

bool ConsoleView::searching() const
{
    return m_search->running();
}

int ConsoleView::currentMatchRow() const
{
    const int current = m_search->current();
    return current >= 0 && current < matchCount() ? rowForLine(m_search->matches()[current]) : -1;
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
    const int count = matchCount();
    if (count == 0)
        return;
    m_search->setCurrent((i + count) % count);
    setFollowTail(false);
    const QModelIndex idx = m_view->model()->index(rowForLine(m_search->matches()[m_search->current()]), 0);
    m_view->setCurrentIndex(idx);
    m_view->scrollTo(idx, QAbstractItemView::PositionAtCenter);
    updateMatchLabel();
}

void ConsoleView::findNext()
{
    goToMatch(m_search->current() + 1);
}

void ConsoleView::findPrevious()
{
    goToMatch(m_search->current() < 0 ? matchCount() - 1 : m_search->current() - 1);
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
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace kms::gui
