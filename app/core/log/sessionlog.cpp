#include "log/sessionlog.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace kms {

namespace {

constexpr QByteArrayView header = "# kmodscope session log 1\n";
// Past this much buffered data we write at once rather than wait for the timer (10 MB bursts).
constexpr qsizetype writeThreshold = 256 * 1024;

void appendEscaped(QByteArray &out, QByteArrayView bytes)
{
    static const char hex[] = "0123456789abcdef";
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u != 0x7f && c != '\\') {
            out.append(c);
            continue;
        }
        out.append('\\');
        switch (c) {
        case '\\':
            out.append('\\');
            break;
        case '\t':
            out.append('t');
            break;
        case '\n':
            out.append('n');
            break;
        case '\r':
            out.append('r');
            break;
        default:
            out.append('x');
            out.append(hex[u >> 4]);
            out.append(hex[u & 0xf]);
        }
    }
}

QString errnoString(const QString &what, const QString &path)
{
    return QStringLiteral("%1 '%2': %3").arg(what, path, QString::fromLocal8Bit(std::strerror(errno)));
}

} // namespace

SessionLog::SessionLog(QObject *parent)
    : QObject(parent)
    , m_flushTimer(this) // children: they follow the log into a writer thread (moveToThread)
    , m_syncTimer(this)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(flushIntervalMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &SessionLog::flush);
    m_syncTimer.setInterval(syncIntervalMs);
    connect(&m_syncTimer, &QTimer::timeout, this, [this] {
        if (m_unsynced)
            sync();
    });
}

SessionLog::~SessionLog()
{
    close();
}

QByteArray SessionLog::formatRecord(const LogLine &line)
{
    QByteArray out;
    out.reserve(line.text.size() + 48);
    const qint64 s = line.timeNs / 1000000000;
    const qint64 ns = line.timeNs % 1000000000;
    out.append(QByteArray::number(s));
    out.append('.');
    const QByteArray frac = QByteArray::number(ns);
    out.append(9 - frac.size(), '0');
    out.append(frac);
    out.append('\t');
    appendEscaped(out, line.source.toUtf8());
    out.append('\t');
    if (line.flags == 0)
        out.append('-');
    if (line.flags & LogLine::Overlong)
        out.append('o');
    if (line.flags & LogLine::Sent)
        out.append('s');
    if (line.flags & LogLine::Event)
        out.append('e');
    out.append('\t');
    appendEscaped(out, line.text);
    out.append('\n');
    return out;
}

bool SessionLog::openFile(QString *error)
{
    m_fd = ::open(QFile::encodeName(m_path).constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (m_fd < 0) {
        m_error = errnoString(QStringLiteral("cannot open session log"), m_path);
        if (error)
            *error = m_error;
        return false;
    }
    const off_t size = ::lseek(m_fd, 0, SEEK_END);
    m_fileSize = size > 0 ? size : 0;
    if (m_fileSize == 0) {
        writeOut(header.data(), header.size());
    }
    return true;
}

bool SessionLog::open(const QString &path, QString *error)
{
    close();
    m_path = path;
    m_error.clear();
    if (!openFile(error))
        return false;
    m_syncTimer.start();
    return true;
}

void SessionLog::close()
{
    if (m_fd < 0)
        return;
    sync();
    ::close(m_fd);
    m_fd = -1;
    m_flushTimer.stop();
    m_syncTimer.stop();
}

void SessionLog::append(const LogLine &line)
{
    if (m_fd < 0)
        return;
    m_buffer.append(formatRecord(line));
    if (m_buffer.size() >= writeThreshold)
        flush();
    else if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void SessionLog::appendLines(const QList<LogLine> &lines)
{
    for (const LogLine &line : lines)
        append(line);
}

void SessionLog::writeOut(const char *data, qsizetype size)
{
    while (size > 0) {
        const ssize_t n = ::write(m_fd, data, size_t(size));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            // A full disk must not take the links down with it: the lines stay visible in
            // the session, the log says why it stopped.
            m_error = errnoString(QStringLiteral("cannot write session log"), m_path);
            return;
        }
        data += n;
        size -= n;
        m_fileSize += n;
        m_unsynced = true;
    }
}

void SessionLog::flush()
{
    m_flushTimer.stop();
    if (m_fd < 0 || m_buffer.isEmpty())
        return;
    // Rotate on record boundaries only, so a reader never sees a record cut in two files.
    qsizetype start = 0;
    while (start < m_buffer.size() && m_fd >= 0) {
        qsizetype end = m_buffer.size();
        if (m_fileSize + (end - start) > m_maxBytes) {
            const qsizetype room = qMax<qsizetype>(0, m_maxBytes - m_fileSize);
            const qsizetype nl = room > 0 ? m_buffer.lastIndexOf('\n', start + room - 1) : -1;
            end = nl >= start ? nl + 1 : start;
            if (end == start) {
                if (m_fileSize > qsizetype(header.size())) {
                    rotate();
                    continue;
                }
                // A single record larger than the whole limit: write it anyway.
                end = m_buffer.indexOf('\n', start) + 1;
            }
        }
        writeOut(m_buffer.constData() + start, end - start);
        start = end;
        if (start < m_buffer.size())
            rotate();
    }
    m_buffer.clear();
}

void SessionLog::sync()
{
    flush();
    if (m_fd >= 0 && m_unsynced) {
        ::fdatasync(m_fd);
        m_unsynced = false;
    }
}

void SessionLog::rotate()
{
    ::fdatasync(m_fd);
    ::close(m_fd);
    m_fd = -1;
    m_unsynced = false;
    const QString oldest = m_path + QLatin1Char('.') + QString::number(m_keepFiles);
    QFile::remove(oldest);
    for (int i = m_keepFiles - 1; i >= 1; --i)
        QFile::rename(m_path + QLatin1Char('.') + QString::number(i),
                      m_path + QLatin1Char('.') + QString::number(i + 1));
    if (m_keepFiles >= 1)
        QFile::rename(m_path, m_path + QStringLiteral(".1"));
    else
        QFile::remove(m_path);
    openFile(nullptr);
}

} // namespace kms
