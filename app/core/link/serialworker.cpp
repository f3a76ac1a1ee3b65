#include "link/serialworker.h"

#include <QFileInfo>
#include <QSerialPortInfo>

#include <unistd.h>

namespace kms {

namespace {

constexpr qsizetype readChunk = 64 * 1024;

bool isByIdPath(const QString &path)
{
    return path.startsWith(QLatin1String("/dev/serial/by-id/"))
        || path.startsWith(QLatin1String("/dev/serial/by-path/"));
}

} // namespace

SerialWorker::SerialWorker(const SerialSettings &settings)
    : m_settings(settings)
    , m_pollTimer(this) // children, so that they move to the link thread with the worker
    , m_breakTimer(this)
    , m_partialTimer(this)
    , m_assembler(settings.source)
{
    m_partialTimer.setSingleShot(true);
    m_partialTimer.setInterval(SerialLink::partialLineDelayMs);
    connect(&m_partialTimer, &QTimer::timeout, this, [this] {
        if (!m_assembler.hasPartialLine())
            return;
        m_partialShown = true;
        Q_EMIT partialLineChanged(m_assembler.partialLine());
    });
    m_pollTimer.setInterval(settings.pollIntervalMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &SerialWorker::tryOpen);
    m_breakTimer.setSingleShot(true);
    connect(&m_breakTimer, &QTimer::timeout, this, [this] {
        if (m_port)
            m_port->setBreakEnabled(false);
    });
}

SerialWorker::~SerialWorker()
{
    stop();
}

void SerialWorker::setState(SerialLink::State state, const QString &detail)
{
    if (state == m_state && detail == m_lastDetail)
        return;
    m_state = state;
    m_lastDetail = detail;
    Q_EMIT stateChanged(state, detail);
}

void SerialWorker::emitEvent(const QByteArray &text)
{
    Q_EMIT linesReceived({LogLine{hostTimeNowNs(), m_settings.source, text, LogLine::Event}});
}

void SerialWorker::start()
{
    if (m_running)
        return;
    m_running = true;
    if (!m_settings.rawCapturePath.isEmpty()) {
        QString error;
        if (!m_capture.open(m_settings.rawCapturePath, &error))
            emitEvent(error.toUtf8());
    }
    tryOpen();
    m_pollTimer.start();
}

void SerialWorker::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_pollTimer.stop();
    if (m_port) {
        drain();
        QList<LogLine> rest;
        m_assembler.finish(rest);
        if (!rest.isEmpty())
            Q_EMIT linesReceived(rest);
        clearPartialLine();
        m_port->close();
        delete m_port;
        m_port = nullptr;
    }
    m_capture.close();
    setState(SerialLink::State::Closed, {});
}

QString SerialWorker::locateDevice() const
{
    const QString &path = m_settings.path;
    if (isByIdPath(path) || m_serialNumber.isEmpty())
        return QFileInfo::exists(path) ? path : QString();
    // A USB adapter re-enumerated under another ttyUSBn is still our device; whatever now
    // sits at the old name is not.
    const auto ports = QSerialPortInfo::availablePorts();
    for (const QSerialPortInfo &info : ports) {
        if (info.serialNumber() == m_serialNumber && info.vendorIdentifier() == m_vendorId
            && info.productIdentifier() == m_productId)
            return info.systemLocation();
    }
    return {};
}

void SerialWorker::tryOpen()
{
    if (!m_running || m_port)
        return;
    const QString location = locateDevice();
    if (location.isEmpty()) {
        if (m_state != SerialLink::State::Lost)
            setState(SerialLink::State::Waiting, QStringLiteral("%1 is not present").arg(m_settings.path));
        return;
    }
    auto *port = new QSerialPort(this);
    port->setPortName(location);
    if (!port->open(QIODevice::ReadWrite)) {
        setState(SerialLink::State::Error, QStringLiteral("cannot open %1: %2").arg(location, port->errorString()));
        delete port;
        return;
    }
    port->setBaudRate(m_settings.baudRate);
    port->setDataBits(m_settings.dataBits);
    port->setParity(m_settings.parity);
    port->setStopBits(m_settings.stopBits);
    port->setFlowControl(m_settings.flowControl);
    // Settings errors (a pty ignores some of them) must not count as losing the device.
    port->clearError();
    m_port = port;

    if (m_serialNumber.isEmpty() && !isByIdPath(m_settings.path)) {
        const QSerialPortInfo info(QFileInfo(location).canonicalFilePath());
        if (!info.isNull() && !info.serialNumber().isEmpty()) {
            m_serialNumber = info.serialNumber();
            m_vendorId = info.vendorIdentifier();
            m_productId = info.productIdentifier();
        }
    }

    connect(port, &QSerialPort::readyRead, this, &SerialWorker::drain);
    connect(port, &QSerialPort::errorOccurred, this, &SerialWorker::onError);
    emitEvent(QStringLiteral("opened %1 (%2 baud)").arg(location).arg(m_settings.baudRate).toUtf8());
    setState(SerialLink::State::Open, location);
    // Bytes that arrived between open and the first notification.
    drain();
}

void SerialWorker::drain()
{
    if (!m_port)
        return;
    QList<LogLine> lines;
    qint64 got = 0;
    const auto take = [&](QByteArrayView bytes) {
        // The receive time of these bytes: taken before any processing.
        const qint64 now = hostTimeNowNs();
        got += bytes.size();
        if (m_capture.isOpen())
            m_capture.write(bytes);
        m_assembler.feed(bytes, now, lines);
    };
    const QByteArray buffered = m_port->readAll();
    if (!buffered.isEmpty())
        take(buffered);
    // QSerialPort reads a small chunk per notification; at a burst (a 10 MB dump, a 4 Mbaud
    // adapter) that is one event-loop round per chunk. Empty the kernel buffer here in large
    // reads instead. The descriptor is non-blocking; errors and hangups are left to
    // QSerialPort's next notification, which reports them.
    const int fd = int(m_port->handle());
    if (fd >= 0) {
        if (m_readBuffer.size() < readChunk)
            m_readBuffer.resize(readChunk);
        for (int round = 0; round < 64; ++round) {
            const ssize_t n = ::read(fd, m_readBuffer.data(), size_t(m_readBuffer.size()));
            if (n <= 0)
                break;
            take(QByteArrayView(m_readBuffer.constData(), n));
        }
    }
    if (got == 0)
        return;
    m_total += got;
    if (!lines.isEmpty())
        Q_EMIT linesReceived(lines);
    updatePartialLine();
    Q_EMIT bytesReceived(m_total);
}

// A prompt ("root@node:~# ") has no newline until the user's command is sent: shown once the
// line has stopped growing for a moment, withdrawn when it is completed.
void SerialWorker::updatePartialLine()
{
    if (m_assembler.hasPartialLine())
        m_partialTimer.start();
    else
        clearPartialLine();
}

void SerialWorker::clearPartialLine()
{
    m_partialTimer.stop();
    if (!m_partialShown)
        return;
    m_partialShown = false;
    Q_EMIT partialLineChanged(LogLine{hostTimeNowNs(), m_settings.source, {}, 0});
}

void SerialWorker::onError(QSerialPort::SerialPortError error)
{
    if (!m_port || error == QSerialPort::NoError || error == QSerialPort::TimeoutError)
        return;
    if (error == QSerialPort::WriteError || error == QSerialPort::UnsupportedOperationError) {
        emitEvent(QStringLiteral("serial error: %1").arg(m_port->errorString()).toUtf8());
        m_port->clearError();
        return;
    }
    lose(m_port->errorString());
}

void SerialWorker::lose(const QString &why)
{
    const QString location = m_port->portName();
    m_port->disconnect(this);
    // What the device sent up to the end stays in the log, even a line without terminator.
    QList<LogLine> rest;
    const QByteArray tail = m_port->readAll();
    if (!tail.isEmpty()) {
        m_total += tail.size();
        if (m_capture.isOpen())
            m_capture.write(tail);
        m_assembler.feed(tail, hostTimeNowNs(), rest);
    }
    m_assembler.finish(rest);
    clearPartialLine();
    m_port->close();
    m_port->deleteLater();
    m_port = nullptr;
    rest.append(LogLine{hostTimeNowNs(), m_settings.source,
                        QStringLiteral("lost %1: %2").arg(m_settings.path, why).toUtf8(), LogLine::Event});
    Q_EMIT linesReceived(rest);
    setState(SerialLink::State::Lost, why);
}

void SerialWorker::send(const QByteArray &bytes)
{
    QList<LogLine> echo;
    const qint64 now = hostTimeNowNs();
    QByteArray text = bytes;
    while (text.endsWith('\n') || text.endsWith('\r'))
        text.chop(1);
    const quint8 flags = LogLine::Sent;
    if (!m_port) {
        echo.append(
            LogLine{now, m_settings.source, "not sent (port not open): " + text, quint8(flags | LogLine::Event)});
        Q_EMIT linesReceived(echo);
        return;
    }
    m_port->write(bytes);
    for (const QByteArray &piece : text.split('\n'))
        echo.append(LogLine{now, m_settings.source, piece.endsWith('\r') ? piece.chopped(1) : piece, flags});
    Q_EMIT linesReceived(echo);
}

void SerialWorker::sendBreak(int durationMs)
{
    if (!m_port)
        return;
    m_port->setBreakEnabled(true);
    m_breakTimer.start(durationMs);
    Q_EMIT linesReceived({LogLine{hostTimeNowNs(), m_settings.source,
                                  QByteArrayLiteral("<break ") + QByteArray::number(durationMs) + " ms>",
                                  quint8(LogLine::Sent | LogLine::Event)}});
}

} // namespace kms
