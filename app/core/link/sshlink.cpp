#include "link/sshlink.h"

#include "link/shellquote.h"
#include "link/sshworker.h"

namespace kms {

SshLink::SshLink(const SshSettings &settings, QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<kms::LogLine>();
    qRegisterMetaType<QList<kms::LogLine>>();
    qRegisterMetaType<kms::SshLink::State>();
    qRegisterMetaType<kms::SshCommandResult>();
    qRegisterMetaType<kms::SshFileResult>();
    m_thread.setObjectName(QStringLiteral("ssh-link"));
    m_worker = new SshWorker(settings);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &SshWorker::stateChanged, this, [this](SshLink::State state, const QString &detail) {
        m_state = state;
        Q_EMIT stateChanged(state, detail);
    });
    connect(m_worker, &SshWorker::hostKeyUnknown, this, &SshLink::hostKeyUnknown);
    connect(m_worker, &SshWorker::commandFinished, this, &SshLink::commandFinished);
    connect(m_worker, &SshWorker::streamLines, this, &SshLink::streamLines);
    connect(m_worker, &SshWorker::fileFinished, this, &SshLink::fileFinished);
    connect(m_worker, &SshWorker::channelOutput, this, &SshLink::channelOutput);
    connect(m_worker, &SshWorker::channelFinished, this, &SshLink::channelFinished);
    m_thread.start();
}

SshLink::~SshLink()
{
    // The session is closed in its own thread, then the thread ends and deletes the worker.
    QMetaObject::invokeMethod(m_worker, &SshWorker::stop, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void SshLink::start()
{
    QMetaObject::invokeMethod(m_worker, &SshWorker::start, Qt::QueuedConnection);
}

void SshLink::stop()
{
    QMetaObject::invokeMethod(m_worker, &SshWorker::stop, Qt::QueuedConnection);
}

void SshLink::answerHostKey(bool accept)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, accept] { w->answerHostKey(accept); }, Qt::QueuedConnection);
}

quint64 SshLink::run(const QStringList &argv, const QByteArray &stdinData)
{
    return runShell(shellCommand(argv), stdinData);
}

quint64 SshLink::runShell(const QByteArray &commandLine, const QByteArray &stdinData)
{
    const quint64 id = nextId();
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id, commandLine, stdinData] { w->addCommand(id, commandLine, stdinData); },
        Qt::QueuedConnection);
    return id;
}

quint64 SshLink::startStream(const QStringList &argv, const QString &source)
{
    return startShellStream(shellCommand(argv), source);
}

quint64 SshLink::startShellStream(const QByteArray &commandLine, const QString &source)
{
    const quint64 id = nextId();
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id, commandLine, source] { w->addStream(id, commandLine, source); },
        Qt::QueuedConnection);
    return id;
}

void SshLink::stopStream(quint64 id)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id] { w->removeStream(id); }, Qt::QueuedConnection);
}

quint64 SshLink::openChannel(const QByteArray &commandLine, const QByteArray &stdinData)
{
    const quint64 id = nextId();
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id, commandLine, stdinData] { w->addChannel(id, commandLine, stdinData); },
        Qt::QueuedConnection);
    return id;
}

void SshLink::writeChannel(quint64 id, const QByteArray &data)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id, data] { w->writeChannel(id, data); }, Qt::QueuedConnection);
}

void SshLink::closeChannelInput(quint64 id)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id] { w->closeChannelInput(id); }, Qt::QueuedConnection);
}

void SshLink::closeChannel(quint64 id)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id] { w->closeChannel(id); }, Qt::QueuedConnection);
}

quint64 SshLink::readFile(const QString &remotePath)
{
    const quint64 id = nextId();
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, id, remotePath] { w->addFileOp(id, SshWorker::FileOp::Read, remotePath, {}, {}); },
        Qt::QueuedConnection);
    return id;
}

quint64 SshLink::writeFile(const QString &remotePath, const QByteArray &data)
{
    const quint64 id = nextId();
    QMetaObject::invokeMethod(
        m_worker,
        [w = m_worker, id, remotePath, data] { w->addFileOp(id, SshWorker::FileOp::Write, remotePath, data, {}); },
        Qt::QueuedConnection);
    return id;
}

quint64 SshLink::fetchFile(const QString &remotePath, const QString &localPath)
{
    const quint64 id = nextId();
    QMetaObject::invokeMethod(
        m_worker,
        [w = m_worker, id, remotePath, localPath] {
            w->addFileOp(id, SshWorker::FileOp::Fetch, remotePath, {}, localPath);
        },
        Qt::QueuedConnection);
    return id;
}

} // namespace kms
