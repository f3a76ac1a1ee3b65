// The session log: every line of every live source, appended as it arrives, so that a crash of
// kmodscope (or of the node) never costs the evidence.
//
// Durability policy: appended lines are buffered at most flushIntervalMs (50 ms) before they are
// written to the kernel with write(2), so a crash of kmodscope itself loses at most the last
// 100 ms even with the event loop late by one interval. fdatasync(2) runs once a second while
// lines keep arriving and at rotation and close, which bounds what a crash of the host (power,
// panic of the machine kmodscope runs on) can lose to about a second; syncing on every write
// would cost a disk round trip per console burst for a case that is far rarer.
//
// File format (text, one record per line, greppable):
//   # kmodscope session log 1
//   <seconds>.<nanoseconds>\t<source>\t<flags>\t<text>
// flags: '-' or letters o (overlong piece), s (sent by us), e (event of ours). In source and
// text, backslash, tab, CR, LF and other control bytes are escaped (\\ \t \r \n \xHH); bytes
// >= 0x80 are kept as they came, so invalid UTF-8 from a noisy UART survives byte for byte.
//
// Rotation by size: when the file passes maxBytes it becomes <path>.1 (older ones shift up to
// <path>.<keepFiles>, the oldest is dropped) and a new <path> is started. SessionLogReader reads
// the set back oldest first.
#pragma once

#include "log/logline.h"

#include <QObject>
#include <QTimer>

namespace kms {

class SessionLog : public QObject
{
    Q_OBJECT
public:
    static constexpr int flushIntervalMs = 50;
    static constexpr int syncIntervalMs = 1000;

    explicit SessionLog(QObject *parent = nullptr);
    ~SessionLog() override;

    void setMaxBytes(qint64 bytes) { m_maxBytes = bytes; }
    void setKeepFiles(int count) { m_keepFiles = count; }

    // Appends to an existing log (a restarted session continues the same file).
    bool open(const QString &path, QString *error = nullptr);
    void close();
    bool isOpen() const { return m_fd >= 0; }
    QString path() const { return m_path; }
    QString errorString() const { return m_error; }

    static QByteArray formatRecord(const LogLine &line);

public Q_SLOTS:
    void append(const kms::LogLine &line);
    void appendLines(const QList<kms::LogLine> &lines);
    // Writes everything buffered now (also done by the flush timer).
    void flush();
    // flush() + fdatasync().
    void sync();

private:
    void writeOut(const char *data, qsizetype size);
    void rotate();
    bool openFile(QString *error);

    QString m_path;
    QString m_error;
    int m_fd = -1;
    qint64 m_fileSize = 0;
    qint64 m_maxBytes = 256LL * 1024 * 1024;
    int m_keepFiles = 4;
    QByteArray m_buffer;
    bool m_unsynced = false;
    QTimer m_flushTimer;
    QTimer m_syncTimer;
};

} // namespace kms
