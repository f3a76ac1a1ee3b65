// Reads a session log written by SessionLog back into LogLines (reopening a session restores its
// view), including the rotated parts, oldest first.
#pragma once

#include "log/logline.h"

#include <functional>

namespace kms {

class SessionLogReader
{
public:
    using Sink = std::function<void(LogLine &&line)>;

    // Reads <path>.N ... <path>.1, <path>. Records that do not parse (a torn last record after a
    // crash) are counted, not fatal.
    bool read(const QString &path, const Sink &sink, QString *error = nullptr);
    QList<LogLine> readAll(const QString &path, QString *error = nullptr);

    static bool parseRecord(QByteArrayView record, LogLine *line);

    int badRecords() const { return m_badRecords; }
    QStringList files() const { return m_files; }

private:
    bool readFile(const QString &file, const Sink &sink, QString *error);

    int m_badRecords = 0;
    QStringList m_files;
};

} // namespace kms
