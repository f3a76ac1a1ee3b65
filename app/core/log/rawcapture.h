// The exact bytes a device sent, for bug reports ("here is what the UART really said"): no line
// splitting, no escaping. Written straight to the kernel on every chunk (no user-space buffer),
// so a crash of kmodscope keeps everything read so far.
#pragma once

#include <QByteArrayView>
#include <QString>

namespace kms {

class RawCapture
{
public:
    RawCapture() = default;
    ~RawCapture();
    RawCapture(const RawCapture &) = delete;
    RawCapture &operator=(const RawCapture &) = delete;

    bool open(const QString &path, QString *error = nullptr); // appends
    void close();
    bool isOpen() const { return m_fd >= 0; }
    bool write(QByteArrayView bytes);
    qint64 bytesWritten() const { return m_written; }

private:
    int m_fd = -1;
    qint64 m_written = 0;
};

} // namespace kms
