#include "cycle/cyclespool.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

namespace kms {

CycleSpool::~CycleSpool()
{
    close();
}

bool CycleSpool::open(const QString &path, bool remove, QString *error)
{
    close();
    m_offsets.clear();
    m_size = 0;
    m_remove = remove;
    const QString dir = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(dir)) {
        if (error)
            *error = QStringLiteral("cannot create the directory %1 for the cycles' spool").arg(dir);
        return false;
    }
    m_file.setFileName(path);
    if (!m_file.open(QIODevice::ReadWrite | QIODevice::Truncate | QIODevice::Unbuffered)) {
        if (error)
            *error = QStringLiteral("cannot write the cycles' spool %1: %2").arg(path, m_file.errorString());
        return false;
    }
    return true;
}

void CycleSpool::close()
{
    if (!m_file.isOpen())
        return;
    m_file.close();
    if (m_remove && QFileInfo(m_file.fileName()).isFile()) // never a device someone named
        QFile::remove(m_file.fileName());
}

bool CycleSpool::append(int n, const QJsonObject &cycle, QString *error)
{
    if (n < 1 || !m_file.isOpen()) {
        if (error)
            *error = QStringLiteral("the cycles' spool is not open");
        return false;
    }
    QByteArray line = QJsonDocument(cycle).toJson(QJsonDocument::Compact);
    line += '\n';
    // Unbuffered: a short write or an error (ENOSPC, EFBIG, EIO) shows here, not at a later flush.
    if (!m_file.seek(m_size) || m_file.write(line) != line.size()) {
        const QString why = m_file.errorString();
        m_file.resize(m_size); // no half line for a reader to trip on
        if (error)
            *error = QStringLiteral("cannot write cycle %1 to the spool %2: %3").arg(n).arg(m_file.fileName(), why);
        return false;
    }
    if (m_offsets.size() < n)
        m_offsets.resize(n, -1);
    m_offsets[n - 1] = m_size;
    m_size += line.size();
    return true;
}

std::optional<QJsonObject> CycleSpool::readAt(qint64 offset, QString *error) const
{
    QJsonParseError parse{};
    QJsonDocument doc;
    if (m_file.seek(offset))
        doc = QJsonDocument::fromJson(m_file.readLine(), &parse);
    if (!doc.isObject()) {
        if (error)
            *error = QStringLiteral("cannot read the cycles' spool %1 back at byte %2: %3")
                         .arg(m_file.fileName())
                         .arg(offset)
                         .arg(parse.error != QJsonParseError::NoError ? parse.errorString() : m_file.errorString());
        return std::nullopt;
    }
    return doc.object();
}

std::optional<QJsonObject> CycleSpool::read(int n) const
{
    if (!contains(n) || !m_file.isOpen())
        return std::nullopt;
    return readAt(m_offsets[n - 1], nullptr);
}

bool CycleSpool::forEach(const std::function<void(int n, const QJsonObject &)> &fn, QString *error) const
{
    for (int n = 1; n <= m_offsets.size(); ++n) {
        if (m_offsets[n - 1] < 0)
            continue;
        const std::optional<QJsonObject> cycle = readAt(m_offsets[n - 1], error);
        if (!cycle)
            return false;
        fn(n, *cycle);
    }
    return true;
}

} // namespace kms
