// A run's finished cycles on disk as they finish: one JSON line per version of a cycle (its
// `cycle --json` object, compact), appended and flushed at once, so that a long run's memory
// stays flat and what was done survives the process. A cycle that changes after it finished (a
// report attaching late) is appended again: the last line of a cycle wins. The offset of each
// cycle's latest line is kept (8 bytes a cycle) so that a cycle can be read back by number and
// the run streamed in order.
#pragma once

#include <QFile>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace kms {

class CycleSpool
{
public:
    CycleSpool() = default;
    ~CycleSpool();
    CycleSpool(const CycleSpool &) = delete;
    CycleSpool &operator=(const CycleSpool &) = delete;

    // Creates (truncates) the file at path, its directory too; false and *error when it cannot.
    // remove: the file goes when the spool is closed (the run's report has been written by then).
    bool open(const QString &path, bool remove, QString *error = nullptr);
    // Closes the file (removed as open() was told). Reads and appends fail from then on.
    void close();
    bool isOpen() const { return m_file.isOpen(); }
    QString path() const { return m_file.fileName(); }
    void setRemove(bool remove) { m_remove = remove; }

    // Appends cycle n's object; false and *error (the disk is full, the file was removed ...)
    // when the whole line could not be written: the file is cut back to where it was.
    bool append(int n, const QJsonObject &cycle, QString *error = nullptr);
    // The number of distinct cycles in the spool (1..count(), gaps possible after a failure).
    int count() const { return int(m_offsets.size()); }
    bool contains(int n) const { return n >= 1 && n <= m_offsets.size() && m_offsets[n - 1] >= 0; }
    // Cycle n's latest object, nullopt when it is not there or cannot be read back.
    std::optional<QJsonObject> read(int n) const;
    // Every cycle's latest object in cycle order; false and *error when a line cannot be read
    // back (fn has seen the cycles before it).
    bool forEach(const std::function<void(int n, const QJsonObject &)> &fn, QString *error = nullptr) const;

private:
    std::optional<QJsonObject> readAt(qint64 offset, QString *error) const;

    mutable QFile m_file;
    QList<qint64> m_offsets; // cycle n's latest line at m_offsets[n - 1]; -1: none
    qint64 m_size = 0; // what was written and flushed
    bool m_remove = true;
};

} // namespace kms
