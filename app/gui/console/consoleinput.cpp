#include "consoleinput.h"

#include "consolemodel.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLineEdit>
#include <QSettings>
#include <QToolButton>

namespace kms::gui {

ConsoleInput::ConsoleInput(ConsoleModel *model, QWidget *parent)
    : QWidget(parent)
{
    auto *bar = new QHBoxLayout(this);
    bar->setContentsMargins(0, 0, 0, 0);
    m_edit = new QLineEdit(this);
    m_edit->setPlaceholderText(tr("Type to the serial console (Enter sends, Up/Down: history)"));
    m_edit->installEventFilter(this);
    auto *breakButton = new QToolButton(this);
    breakButton->setText(tr("Send break"));
    auto *echoButton = new QToolButton(this);
    echoButton->setObjectName(QStringLiteral("localEcho"));
    echoButton->setText(tr("Local echo"));
    echoButton->setCheckable(true);
    echoButton->setToolTip(tr("Show what you type as a line of its own (off: the node's echo shows it)"));
    echoButton->setChecked(QSettings().value(QStringLiteral("console/localEcho"), false).toBool());
    model->setLocalEcho(echoButton->isChecked());
    connect(echoButton, &QToolButton::toggled, this, [model](bool on) {
        model->setLocalEcho(on);
        QSettings().setValue(QStringLiteral("console/localEcho"), on);
    });
    bar->addWidget(m_edit, 1);
    bar->addWidget(echoButton);
    bar->addWidget(breakButton);

    connect(m_edit, &QLineEdit::returnPressed, this, [this] {
        const QString text = m_edit->text();
        if (!text.isEmpty() && (m_history.isEmpty() || m_history.last() != text))
            m_history.append(text);
        m_historyPos = int(m_history.size());
        Q_EMIT sendRequested(text.toUtf8() + '\n');
        m_edit->clear();
    });
    connect(breakButton, &QToolButton::clicked, this, &ConsoleInput::breakRequested);
}

void ConsoleInput::setTypingEnabled(bool on)
{
    m_edit->setEnabled(on);
}

bool ConsoleInput::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_edit && event->type() == QEvent::KeyPress) {
        auto *ke = static_cast<QKeyEvent *>(event);
        if (ke->key() == Qt::Key_Up && m_historyPos > 0) {
            m_edit->setText(m_history[--m_historyPos]);
            return true;
        }
        if (ke->key() == Qt::Key_Down && m_historyPos < m_history.size()) {
            ++m_historyPos;
            m_edit->setText(m_historyPos < m_history.size() ? m_history[m_historyPos] : QString());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace kms::gui
