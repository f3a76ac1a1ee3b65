// File > Open log…, drag and drop onto the window and `kmodscope FILE`: a captured console, a
// `dmesg` output, a journal export or a session log joins the live session (NodeSession::
// feedLines) under its file name as source, so its reports are detected, listed and decoded with
// the profile's modules exactly as live ones, and its lines are searched and filtered like any
// other source. One session rather than a second one: one report list, one id space, one console
// and one symbol configuration, and the console's source selector shows the file alone.
#pragma once

#include <QObject>
#include <QStringList>

class QAction;
class QWidget;

namespace kms {
class NodeSession;
}

namespace kms::gui {

class LogFileReader;

class LogOpener : public QObject
{
    Q_OBJECT
public:
    // Accepts drops of files on `window`.
    LogOpener(NodeSession *session, QWidget *window);
    ~LogOpener() override;

    QAction *openAction() const { return m_action; }
    // Starts reading path (in a worker thread); false when it cannot be read (message says why).
    bool open(const QString &path);
    // Files still being read.
    int reading() const;
    // The source name lines of path get (unique per opened file).
    QString lastSource() const { return m_lastSource; }

Q_SIGNALS:
    void message(const QString &text, int timeoutMs);
    void opened(const QString &path, const QString &source);
    // All of the file is in the session and its reports are emitted.
    void finished(const QString &path, qint64 lines, const QString &error);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void askForFile();

    NodeSession *m_session;
    QWidget *m_window;
    QAction *m_action;
    QList<LogFileReader *> m_readers;
    QStringList m_usedSources;
    QString m_lastSource;
};

} // namespace kms::gui
