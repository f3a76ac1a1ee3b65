// The full-rate telemetry history on disk, beside the session log: a compact binary file,
// rotated by size like the log (<path>.1 ... <path>.<keep>), read back oldest first and
// exported to CSV.
//
// Format ("KMSTLM1\n", then records; integers are LEB128 varints, signed ones zigzag-coded):
//   'H'                                   dictionary restart (a reopened file appends one)
//   'K' id len bytes                      a key's name, given before its first use in a file
//   'S' id len bytes                      a source's name, likewise
//   'T' source dt count {tag value}...    a sample set: dt = t_ns - previous set's t_ns (signed);
//                                         tag = key id << 1 | 1 for an 8-byte little-endian
//                                         double, | 0 for an integral value as a signed varint
//   'G' source t_ns len reason            a gap
//   'A' t_ns key kind value(double) text  an alarm (strings as len + bytes)
// prudaq's 30 values per line take about 100 bytes (its text line is about 600). A torn last
// record (kmodscope killed mid-write) ends the read of that file; nothing before it is lost.
// Durability: buffered, written out every flushIntervalMs and at close; no fsync (the session
// log carries the evidence; this is the plot's history).
#pragma once

#include "telemetry/telemetrysample.h"

#include <QFile>
#include <QHash>
#include <QIODevice>

#include <functional>

namespace kms::telemetry {

// "<dir>/session.log" -> "<dir>/session.telemetry"; any other name gets ".telemetry" appended.
QString telemetryPathForSessionLog(const QString &sessionLogPath);

class TelemetryRecorder
{
public:
    static constexpr int flushIntervalMs = 200;

    TelemetryRecorder() = default;
    ~TelemetryRecorder() { close(); }
    TelemetryRecorder(const TelemetryRecorder &) = delete;
    TelemetryRecorder &operator=(const TelemetryRecorder &) = delete;

    void setMaxBytes(qint64 bytes) { m_maxBytes = bytes; }
    void setKeepFiles(int count) { m_keepFiles = count; }

    // Appends to an existing file (after a dictionary restart).
    bool open(const QString &path, QString *error = nullptr);
    void close();
    bool isOpen() const { return m_file.isOpen(); }
    QString path() const { return m_path; }
    qint64 bytesWritten() const { return m_total; }

    void write(const QList<TelemetrySet> &sets);
    void write(const TelemetryGap &gap);
    void write(const TelemetryAlarm &alarm);
    void flush();

private:
    quint32 idOf(QHash<QString, quint32> &ids, char tag, const QString &name);
    void startFile();
    void rotate();
    void maybeFlush();

    QString m_path;
    QFile m_file;
    QByteArray m_buf;
    QHash<QString, quint32> m_keys, m_sources;
    qint64 m_prevT = 0;
    qint64 m_fileSize = 0;
    qint64 m_total = 0;
    qint64 m_maxBytes = 256LL * 1024 * 1024;
    int m_keepFiles = 4;
    qint64 m_lastFlushMs = 0;
};

// Reads a recording (the rotated set, oldest first, or one file). Callbacks may be empty.
struct TelemetryReadResult {
    qint64 sets = 0, gaps = 0, alarms = 0;
    int files = 0;
    int tornFiles = 0; // files that ended in a partial or corrupt record
    QString error; // nothing readable at all
};

struct TelemetryReadCallbacks {
    std::function<void(const TelemetrySet &)> set;
    std::function<void(const TelemetryGap &)> gap;
    std::function<void(const TelemetryAlarm &)> alarm;
};

TelemetryReadResult readTelemetryRecording(const QString &path, const TelemetryReadCallbacks &callbacks);
// One file's bytes (for tests and the fuzzer).
TelemetryReadResult readTelemetryBytes(QByteArrayView data, const TelemetryReadCallbacks &callbacks);

// CSV per the `telemetry` CLI contract: a header of the keys (t_ns first, then every key in the
// order it first appears), one row per sample set, empty cells for keys a set does not carry.
// Two passes over the recording, so the header is complete and memory stays flat.
bool exportTelemetryCsv(const QString &recordingPath, QIODevice *out, QString *error = nullptr);
// A number as the CSV (and anything else textual) prints it: integers plainly, others in the
// shortest form that reads back to the same double.
QByteArray formatTelemetryNumber(double v);

} // namespace kms::telemetry
