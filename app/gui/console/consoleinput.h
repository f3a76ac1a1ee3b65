// The line under the console that types into the serial console: Enter sends the line with a
// newline, Up/Down walk what was sent, "Send break", and "Local echo" (kept in the settings).
#pragma once

#include <QStringList>
#include <QWidget>

class QLineEdit;

namespace kms::gui {

class ConsoleModel;

class ConsoleInput : public QWidget
{
    Q_OBJECT
public:
    // model: where local echo is switched.
    explicit ConsoleInput(ConsoleModel *model, QWidget *parent = nullptr);

    // Typing needs a serial link; echo and break stay as they are.
    void setTypingEnabled(bool on);

Q_SIGNALS:
    void sendRequested(const QByteArray &bytes);
    void breakRequested();

private:
    bool eventFilter(QObject *watched, QEvent *event) override;

    QLineEdit *m_edit;
    QStringList m_history;
    int m_historyPos = 0;
};

} // namespace kms::gui
