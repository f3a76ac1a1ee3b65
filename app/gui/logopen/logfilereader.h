// Reads a log file into LogLines in a thread of its own, in batches, so that a 1 GB capture never
// stalls the GUI: a captured console (UART capture, `dmesg` output, `journalctl` text: one line
// per line, prefixes left for the detector to take apart), a journal export (`journalctl -o
// export`: the kernel's messages as the console prints them, "[ sec.usec] text"; other programs'
// messages with a syslog prefix so they are never taken for the kernel's), or a kmodscope session
// log (each source's lines as recorded, under "<file>/<source>").
//
// At most maxBatchesInFlight batches wait for the receiver (a bounded queue): reading runs ahead
// of the session by a few thousand lines, not by the whole file.
#pragma once

#include "log/logline.h"

#include <QFile>
#include <QObject>
#include <QSemaphore>
#include <QThread>

#include <atomic>

namespace kms::gui {

class LogFileReader : public QObject
{
    Q_OBJECT
public:
    enum class Format { Text, SessionLog, JournalExport };
    static constexpr int batchLines = 4096;
    static constexpr int maxBatchesInFlight = 8;

    explicit LogFileReader(QObject *parent = nullptr);
    ~LogFileReader() override; // cancels and joins the thread

    // From the first bytes of a file.
    static Format sniff(QByteArrayView head);
    // Reads path; `label` names the lines' source (a session log's sources are "<label>/<source>").
    void start(const QString &path, const QString &label);
    void cancel();
    bool running() const { return m_thread && m_thread->isRunning(); }
    QString path() const { return m_path; }
    Format format() const { return m_format; }

    // The journal export's entries as console lines (exposed for tests).
    static QList<LogLine> parseJournalExport(QByteArrayView data, const QString &source, qsizetype *consumed);

Q_SIGNALS:
    // In the receiver's thread, in file order.
    void linesRead(const QList<kms::LogLine> &lines);
    // After the last linesRead: how many lines, and an error ("" when the file was read whole).
    void finished(qint64 lines, const QString &error);

private:
    void run(); // in m_thread
    bool deliver(QList<LogLine> &batch); // false when cancelled
    void readText(QFile &file, QString *error);
    void readJournal(QFile &file, QString *error);

    QThread *m_thread = nullptr;
    QString m_path;
    QString m_label;
    Format m_format = Format::Text;
    std::atomic<bool> m_cancel{false};
    QSemaphore m_slots{maxBatchesInFlight};
    qint64 m_lines = 0;
};

} // namespace kms::gui
