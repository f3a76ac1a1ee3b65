// The "device" side of a serial link in tests: a pty master whose slave is reachable through a
// stable symlink, re-creatable behind the same symlink (a USB adapter unplugged and plugged
// back in, a QEMU restarted).
#pragma once

#include <QByteArray>
#include <QFile>
#include <QString>

#include <cerrno>
#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

class PtyPeer
{
public:
    explicit PtyPeer(QString linkPath)
        : m_linkPath(std::move(linkPath))
    {
    }
    ~PtyPeer() { close(); }

    // Opens a new pty pair and (re)points the symlink at its slave atomically.
    bool create()
    {
        close();
        int slave = -1;
        char name[128] = {};
        if (::openpty(&m_master, &slave, name, nullptr, nullptr) != 0)
            return false;
        // Not inherited by processes the test starts (kmodscope-cli, sshd): a copy of the
        // master there would keep the "device" plugged in after close().
        ::fcntl(m_master, F_SETFD, FD_CLOEXEC);
        termios tio{};
        ::tcgetattr(slave, &tio);
        ::cfmakeraw(&tio);
        ::tcsetattr(slave, TCSANOW, &tio);
        ::close(slave);
        m_slaveName = QString::fromLocal8Bit(name);
        const QByteArray tmp = QFile::encodeName(m_linkPath + QStringLiteral(".new"));
        ::unlink(tmp.constData());
        if (::symlink(name, tmp.constData()) != 0)
            return false;
        return ::rename(tmp.constData(), QFile::encodeName(m_linkPath).constData()) == 0;
    }

    // Unplugged: like udev removing a by-id link, the symlink goes with the device, so that it
    // never points at a pts number another process's pty has taken over meanwhile.
    void close()
    {
        if (m_master >= 0) {
            ::unlink(QFile::encodeName(m_linkPath).constData());
            ::close(m_master);
        }
        m_master = -1;
    }

    bool writeAll(const char *data, qsizetype size)
    {
        while (size > 0) {
            const ssize_t n = ::write(m_master, data, size_t(size));
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                return false;
            }
            data += n;
            size -= n;
        }
        return true;
    }
    bool writeAll(const QByteArray &bytes) { return writeAll(bytes.constData(), bytes.size()); }

    // Reads what the link sent to the "node", waiting up to timeoutMs for the first byte.
    QByteArray readSome(int timeoutMs)
    {
        fd_set set;
        FD_ZERO(&set);
        FD_SET(m_master, &set);
        timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
        if (::select(m_master + 1, &set, nullptr, nullptr, &tv) <= 0)
            return {};
        char buffer[4096];
        const ssize_t n = ::read(m_master, buffer, sizeof buffer);
        return n > 0 ? QByteArray(buffer, n) : QByteArray();
    }

    int masterFd() const { return m_master; }
    QString slaveName() const { return m_slaveName; }
    QString linkPath() const { return m_linkPath; }

private:
    QString m_linkPath;
    QString m_slaveName;
    int m_master = -1;
};
