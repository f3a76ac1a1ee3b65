#include "link/seriallink.h"

#include "link/serialworker.h"

#include <QDir>
#include <QFileInfo>
#include <QSerialPortInfo>

namespace kms {

SerialLink::SerialLink(const SerialSettings &settings, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
{
    qRegisterMetaType<kms::LogLine>();
    qRegisterMetaType<QList<kms::LogLine>>();
    qRegisterMetaType<kms::SerialLink::State>();
    m_thread.setObjectName(QStringLiteral("serial-link"));
    m_worker = new SerialWorker(settings);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &SerialWorker::linesReceived, this, &SerialLink::linesReceived);
    connect(m_worker, &SerialWorker::stateChanged, this, &SerialLink::stateChanged);
    connect(m_worker, &SerialWorker::bytesReceived, this, &SerialLink::bytesReceived);
    connect(m_worker, &SerialWorker::partialLineChanged, this, &SerialLink::partialLineChanged);
    m_thread.start();
}

SerialLink::~SerialLink()
{
    // The port is closed in its own thread (its notifiers belong there), then the thread ends
    // and deletes the worker.
    QMetaObject::invokeMethod(m_worker, &SerialWorker::stop, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void SerialLink::start()
{
    QMetaObject::invokeMethod(m_worker, &SerialWorker::start, Qt::QueuedConnection);
}

void SerialLink::stop()
{
    QMetaObject::invokeMethod(m_worker, &SerialWorker::stop, Qt::QueuedConnection);
}

void SerialLink::send(const QByteArray &bytes)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, bytes] { w->send(bytes); }, Qt::QueuedConnection);
}

void SerialLink::sendBreak(int durationMs)
{
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, durationMs] { w->sendBreak(durationMs); }, Qt::QueuedConnection);
}

QList<SerialPortDescription> SerialLink::availablePorts()
{
    // by-id links are how udev names a USB adapter stably; map them back to their ports.
    QHash<QString, QString> byId;
    const QDir byIdDir(QStringLiteral("/dev/serial/by-id"));
    for (const QFileInfo &link : byIdDir.entryInfoList(QDir::System | QDir::Files | QDir::NoDotAndDotDot))
        byId.insert(link.canonicalFilePath(), link.absoluteFilePath());

    QList<SerialPortDescription> ports;
    for (const QSerialPortInfo &info : QSerialPortInfo::availablePorts()) {
        SerialPortDescription d;
        d.path = info.systemLocation();
        d.byIdPath = byId.value(QFileInfo(d.path).canonicalFilePath());
        d.description = info.description();
        d.manufacturer = info.manufacturer();
        d.serialNumber = info.serialNumber();
        d.hasUsbIds = info.hasVendorIdentifier() && info.hasProductIdentifier();
        d.vendorId = info.vendorIdentifier();
        d.productId = info.productIdentifier();
        ports.append(d);
    }
    return ports;
}

} // namespace kms
