#include "logopener.h"

#include "logfilereader.h"
#include "node/nodesession.h"

#include <QAction>
#include <QApplication>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMimeData>
#include <QSettings>
#include <QWidget>

namespace kms::gui {

LogOpener::LogOpener(NodeSession *session, QWidget *window)
    : QObject(window)
    , m_session(session)
    , m_window(window)
{
    m_action = new QAction(tr("&Open log…"), this);
    m_action->setShortcut(QKeySequence::Open);
    m_action->setToolTip(tr("Open a console capture, dmesg output, journal export or session log"));
    connect(m_action, &QAction::triggered, this, &LogOpener::askForFile);
    window->setAcceptDrops(true);
    // Files are dropped on whatever is under the pointer: the source editor and the text tabs
    // take drops of their own (text), so the window's children are watched too, before them.
    qApp->installEventFilter(this);
}

LogOpener::~LogOpener()
{
    qDeleteAll(m_readers);
}

int LogOpener::reading() const
{
    return int(m_readers.size());
}

void LogOpener::askForFile()
{
    QSettings settings;
    const QString dir = settings.value(QStringLiteral("logopen/dir")).toString();
    const QStringList files = QFileDialog::getOpenFileNames(
        m_window, tr("Open log"), dir, tr("Logs (*.log *.txt *.cap *.export *.journal);;All files (*)"));
    for (const QString &f : files) {
        settings.setValue(QStringLiteral("logopen/dir"), QFileInfo(f).path());
        open(f);
    }
}

bool LogOpener::open(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isFile() || !info.isReadable()) {
        Q_EMIT message(
            tr("Cannot open %1: %2").arg(path, info.exists() ? tr("not a readable file") : tr("no such file")), 15000);
        return false;
    }
    // The file's name as its source: what the console's selector and the reports list show.
    QString source = info.fileName();
    for (int n = 2; m_usedSources.contains(source); ++n)
        source = QStringLiteral("%1 (%2)").arg(info.fileName()).arg(n);
    m_usedSources.append(source);
    m_lastSource = source;

    auto *reader = new LogFileReader(this);
    m_readers.append(reader);
    connect(reader, &LogFileReader::linesRead, m_session, &NodeSession::feedLines);
    connect(reader, &LogFileReader::finished, this, [this, reader, path](qint64 lines, const QString &error) {
        // The last report of the file has no successor to end it.
        m_session->finishReports();
        m_readers.removeOne(reader);
        reader->deleteLater();
        Q_EMIT message(error.isEmpty() ? tr("Opened %1: %n line(s)", nullptr, int(lines)).arg(path)
                                       : tr("Opened %1: %2 line(s), then: %3").arg(path).arg(lines).arg(error),
                       10000);
        Q_EMIT finished(path, lines, error);
    });
    reader->start(info.absoluteFilePath(), source);
    Q_EMIT message(tr("Reading %1…").arg(path), 0);
    Q_EMIT opened(path, source);
    return true;
}

bool LogOpener::eventFilter(QObject *watched, QEvent *event)
{
    const QEvent::Type type = event->type();
    if (type != QEvent::DragEnter && type != QEvent::DragMove && type != QEvent::Drop)
        return QObject::eventFilter(watched, event);
    auto *widget = qobject_cast<QWidget *>(watched);
    if (widget && (widget == m_window || m_window->isAncestorOf(widget))) {
        auto *drop = static_cast<QDropEvent *>(event);
        const QMimeData *mime = drop->mimeData();
        QStringList files;
        if (mime && mime->hasUrls()) {
            for (const QUrl &url : mime->urls()) {
                if (url.isLocalFile())
                    files.append(url.toLocalFile());
            }
        }
        if (files.isEmpty())
            return false;
        drop->acceptProposedAction();
        if (event->type() == QEvent::Drop) {
            for (const QString &f : files)
                open(f);
        }
        return true;
    }
    return QObject::eventFilter(watched, event);
}

} // namespace kms::gui
