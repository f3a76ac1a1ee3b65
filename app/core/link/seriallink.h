// The node's serial console. The port lives in a thread of its own and is drained continuously:
// a UART or pty held open but unread stalls the node's console, and the GUI must never wait.
// Lines leave in batches (one signal per read), stamped with the time the bytes were read.
//
// The link follows one device identity: a /dev/serial/by-id path, or the USB serial number of
// the port first opened, or else the path as given (ptys, on-board UARTs). When the device goes
// away it reports Lost, then reopens that same identity when it reappears (polled every
// pollIntervalMs, well inside the 1 s goal) and never "the next port in the list".
#pragma once

#include "log/logline.h"

#include <QObject>
#include <QSerialPort>
#include <QThread>

namespace kms {

class SerialWorker;

struct SerialSettings {
    QString path; // /dev/ttyUSB0, /dev/serial/by-id/..., a pty or a symlink to one
    qint32 baudRate = 115200;
    QSerialPort::DataBits dataBits = QSerialPort::Data8;
    QSerialPort::Parity parity = QSerialPort::NoParity;
    QSerialPort::StopBits stopBits = QSerialPort::OneStop;
    QSerialPort::FlowControl flowControl = QSerialPort::NoFlowControl;
    QString rawCapturePath; // empty: no raw capture
    QString source = QStringLiteral("serial"); // LogLine::source of its lines
    int pollIntervalMs = 200;
};

struct SerialPortDescription {
    QString path; // /dev/ttyUSB0
    QString byIdPath; // /dev/serial/by-id/usb-FTDI_..., empty if none
    QString description;
    QString manufacturer;
    QString serialNumber; // USB iSerial, empty for non-USB ports
    quint16 vendorId = 0;
    quint16 productId = 0;
    bool hasUsbIds = false;
};

class SerialLink : public QObject
{
    Q_OBJECT
public:
    enum class State {
        Closed,
        Waiting, // the device is not there (yet): polling for it
        Open,
        Lost, // was open and went away; polling for the same identity
        Error, // cannot be opened although present (permissions, busy): polling too
    };
    Q_ENUM(State)

    // Quiet time after which a line still without newline (the node's shell prompt, a
    // program's "Continue? [y/n] ") is reported by partialLineChanged.
    static constexpr int partialLineDelayMs = 200;

    explicit SerialLink(const SerialSettings &settings, QObject *parent = nullptr);
    ~SerialLink() override;

    static QList<SerialPortDescription> availablePorts();

    const SerialSettings &settings() const { return m_settings; }

    // All of these return at once; the work happens in the link's thread.
    void start();
    void stop();
    // Typed text (sent as is; the caller adds "\r" or "\n" as the node wants) and break. Both
    // are echoed into the line stream with LogLine::Sent.
    void send(const QByteArray &bytes);
    void sendBreak(int durationMs = 250);

Q_SIGNALS:
    void linesReceived(const QList<kms::LogLine> &lines);
    void stateChanged(kms::SerialLink::State state, const QString &detail);
    // Bytes read since start (all connections), for throughput figures and tests.
    void bytesReceived(qint64 total);
    // The line without newline that has waited partialLineDelayMs (the prompt), stamped with its
    // first byte's arrival; an empty text once it is gone. It is not a line of the stream: once
    // completed it comes, whole, in linesReceived.
    void partialLineChanged(const kms::LogLine &line);

private:
    SerialSettings m_settings;
    QThread m_thread;
    SerialWorker *m_worker = nullptr;
};

} // namespace kms
