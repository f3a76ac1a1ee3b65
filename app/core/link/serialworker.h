// SerialLink's half that lives in the link thread. Internal to the link area.
#pragma once

#include "link/seriallink.h"
#include "log/lineassembler.h"
#include "log/rawcapture.h"

#include <QTimer>

namespace kms {

class SerialWorker : public QObject
{
    Q_OBJECT
public:
    explicit SerialWorker(const SerialSettings &settings);
    ~SerialWorker() override;

public Q_SLOTS:
    void start();
    void stop();
    void send(const QByteArray &bytes);
    void sendBreak(int durationMs);

Q_SIGNALS:
    void linesReceived(const QList<kms::LogLine> &lines);
    void stateChanged(kms::SerialLink::State state, const QString &detail);
    void bytesReceived(qint64 total);
    // The line without newline that has been waiting (a prompt), or an empty text once it is
    // gone (completed: it then comes in linesReceived).
    void partialLineChanged(const kms::LogLine &line);

private:
    void tryOpen();
    void drain();
    void onError(QSerialPort::SerialPortError error);
    void lose(const QString &why);
    void setState(SerialLink::State state, const QString &detail);
    QString locateDevice() const;
    void emitEvent(const QByteArray &text);
    void updatePartialLine();
    void clearPartialLine();

    SerialSettings m_settings;
    QSerialPort *m_port = nullptr;
    QTimer m_pollTimer;
    QTimer m_breakTimer;
    QTimer m_partialTimer; // quiet time after which a line without newline is shown
    bool m_partialShown = false;
    LineAssembler m_assembler;
    RawCapture m_capture;
    QByteArray m_readBuffer;
    QString m_serialNumber; // USB identity learnt at the first open
    quint16 m_vendorId = 0;
    quint16 m_productId = 0;
    SerialLink::State m_state = SerialLink::State::Closed;
    QString m_lastDetail;
    qint64 m_total = 0;
    bool m_running = false;
};

} // namespace kms
