#include "log/rawcapture.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace kms {

RawCapture::~RawCapture()
{
    close();
}

bool RawCapture::open(const QString &path, QString *error)
{
    close();
    m_fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (m_fd < 0 && error)
        *error = QStringLiteral("cannot open raw capture '%1': %2")
                     .arg(path, QString::fromLocal8Bit(std::strerror(errno)));
    return m_fd >= 0;
}

void RawCapture::close()
{
    if (m_fd >= 0) {
        ::fdatasync(m_fd);
        ::close(m_fd);
    }
    m_fd = -1;
}

bool RawCapture::write(QByteArrayView bytes)
{
    const char *p = bytes.data();
    qsizetype left = bytes.size();
    while (left > 0 && m_fd >= 0) {
        const ssize_t n = ::write(m_fd, p, size_t(left));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        left -= n;
        m_written += n;
    }
    return left == 0;
}

} // namespace kms
