#include "logfilereader.h"

#include "log/sessionlogreader.h"

#include <QDateTime>
#include <QFile>

namespace kms::gui {

namespace {

constexpr qint64 chunkBytes = 1 << 20;
// A line longer than this is cut (a binary file opened by mistake must not grow one line forever).
constexpr qsizetype maxLine = 64 * 1024;

QByteArray field(const QHash<QByteArray, QByteArray> &entry, const char *key)
{
    return entry.value(QByteArray(key));
}

LogLine journalLine(const QHash<QByteArray, QByteArray> &entry, const QString &source)
{
    LogLine line;
    line.source = source;
    const qint64 realtimeUs = field(entry, "__REALTIME_TIMESTAMP").toLongLong();
    line.timeNs = realtimeUs > 0 ? realtimeUs * 1000 : hostTimeNowNs();
    const QByteArray message = field(entry, "MESSAGE");
    if (field(entry, "_TRANSPORT") == "kernel") {
        // As the console prints it: the detector reads the kernel timestamp from it.
        const QByteArray mono = field(entry, "_SOURCE_MONOTONIC_TIMESTAMP");
        if (!mono.isEmpty()) {
            const qint64 us = mono.toLongLong();
            line.text
                = QStringLiteral("[%1.%2] ").arg(us / 1000000, 5).arg(us % 1000000, 6, 10, QLatin1Char('0')).toLatin1()
                + message;
        } else {
            line.text = message;
        }
        return line;
    }
    // Another program's message, with the syslog prefix that marks it as not the kernel's.
    QByteArray ident = field(entry, "SYSLOG_IDENTIFIER");
    if (ident.isEmpty())
        ident = field(entry, "_COMM");
    if (ident.isEmpty())
        ident = "unknown";
    const QByteArray pid = field(entry, "_PID");
    QByteArray host = field(entry, "_HOSTNAME");
    if (host.isEmpty())
        host = "localhost";
    const QByteArray stamp
        = QDateTime::fromMSecsSinceEpoch(line.timeNs / 1000000).toString(QStringLiteral("MMM dd HH:mm:ss")).toLatin1();
    line.text = stamp + ' ' + host + ' ' + ident + (pid.isEmpty() ? QByteArray() : '[' + pid + ']') + ": " + message;
    return line;
}

} // namespace

LogFileReader::LogFileReader(QObject *parent)
    : QObject(parent)
{
}

LogFileReader::~LogFileReader()
{
    cancel();
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

LogFileReader::Format LogFileReader::sniff(QByteArrayView head)
{
    if (head.startsWith("# kmodscope session log"))
        return Format::SessionLog;
    // An export starts with its cursor; either way its first entry names the realtime stamp
    // within a few fields.
    const QByteArrayView first = head.first(std::min<qsizetype>(head.size(), 4096));
    if (first.startsWith("__CURSOR=") || first.startsWith("__REALTIME_TIMESTAMP=")
        || (first.contains("\n__REALTIME_TIMESTAMP=") && first.contains("\nMESSAGE")))
        return Format::JournalExport;
    return Format::Text;
}

void LogFileReader::start(const QString &path, const QString &label)
{
    Q_ASSERT(!m_thread);
    m_path = path;
    m_label = label;
    m_thread = QThread::create([this] { run(); });
    m_thread->start();
}

void LogFileReader::cancel()
{
    m_cancel = true;
    m_slots.release(maxBatchesInFlight); // a waiting deliver() wakes and sees the cancel
}

bool LogFileReader::deliver(QList<LogLine> &batch)
{
    if (batch.isEmpty())
        return !m_cancel;
    m_slots.acquire();
    if (m_cancel)
        return false;
    m_lines += batch.size();
    QMetaObject::invokeMethod(
        this,
        [this, lines = std::move(batch)] {
            m_slots.release();
            if (!m_cancel)
                Q_EMIT linesRead(lines);
        },
        Qt::QueuedConnection);
    batch = {};
    return true;
}

void LogFileReader::run()
{
    QString error;
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly)) {
        error = file.errorString();
    } else {
        const QByteArray head = file.peek(4096);
        m_format = sniff(head);
        switch (m_format) {
        case Format::SessionLog: {
            file.close();
            QList<LogLine> batch;
            SessionLogReader reader;
            bool stopped = false;
            reader.read(
                m_path,
                [&](LogLine &&line) {
                    if (stopped)
                        return;
                    line.source = m_label + QLatin1Char('/') + line.source;
                    batch.append(std::move(line));
                    if (batch.size() >= batchLines)
                        stopped = !deliver(batch);
                },
                &error);
            if (!stopped)
                deliver(batch);
            if (error.isEmpty() && reader.badRecords() > 0)
                error = tr("%n record(s) did not parse and were skipped", nullptr, reader.badRecords());
            break;
        }
        case Format::JournalExport:
            readJournal(file, &error);
            break;
        case Format::Text:
            readText(file, &error);
            break;
        }
    }
    const qint64 lines = m_lines;
    QMetaObject::invokeMethod(
        this,
        [this, lines, error] {
            if (!m_cancel)
                Q_EMIT finished(lines, error);
        },
        Qt::QueuedConnection);
}

void LogFileReader::readText(QFile &file, QString *error)
{
    QList<LogLine> batch;
    QByteArray pending;
    const qint64 now = hostTimeNowNs();
    auto add = [&](QByteArrayView text) {
        if (text.endsWith('\r'))
            text.chop(1);
        batch.append({now, m_label, text.first(std::min(text.size(), maxLine)).toByteArray(), 0});
        return batch.size() < batchLines || deliver(batch);
    };
    while (!m_cancel) {
        const QByteArray chunk = file.read(chunkBytes);
        if (chunk.isEmpty()) {
            if (file.error() != QFileDevice::NoError)
                *error = file.errorString();
            break;
        }
        pending += chunk;
        qsizetype start = 0;
        for (;;) {
            const qsizetype nl = pending.indexOf('\n', start);
            if (nl < 0)
                break;
            if (!add(QByteArrayView(pending).sliced(start, nl - start)))
                return;
            start = nl + 1;
        }
        pending.remove(0, start);
        if (pending.size() > maxLine) {
            if (!add(pending))
                return;
            pending.clear();
        }
    }
    if (!pending.isEmpty() && !m_cancel)
        add(pending);
    deliver(batch);
}

QList<LogLine> LogFileReader::parseJournalExport(QByteArrayView data, const QString &source, qsizetype *consumed)
{
    // Entries are "KEY=value\n" fields (or "KEY\n" + little-endian u64 size + bytes + "\n" for
    // binary values) ended by an empty line.
    QList<LogLine> lines;
    QHash<QByteArray, QByteArray> entry;
    qsizetype pos = 0;
    qsizetype entryStart = 0;
    *consumed = 0;
    while (pos < data.size()) {
        const qsizetype nl = data.sliced(pos).indexOf('\n');
        if (nl < 0)
            break;
        const QByteArrayView f = data.sliced(pos, nl);
        if (f.isEmpty()) {
            if (!entry.isEmpty())
                lines.append(journalLine(entry, source));
            entry.clear();
            pos += 1;
            entryStart = pos;
            *consumed = pos;
            continue;
        }
        const qsizetype eq = f.indexOf('=');
        if (eq >= 0) {
            entry.insert(f.first(eq).toByteArray(), f.sliced(eq + 1).toByteArray());
            pos += nl + 1;
            continue;
        }
        // Binary field: the size follows the name's newline.
        const qsizetype sizeAt = pos + nl + 1;
        if (data.size() < sizeAt + 8)
            break;
        quint64 size = 0;
        for (int i = 7; i >= 0; --i)
            size = (size << 8) | quint8(data[sizeAt + i]);
        if (size > quint64(data.size() - sizeAt - 8 - 1))
            break; // not all here yet
        QByteArray value = data.sliced(sizeAt + 8, qsizetype(size)).toByteArray();
        // A multi-line message is several console lines; the first carries the prefix.
        value.replace('\n', ' ');
        entry.insert(f.toByteArray(), value);
        pos = sizeAt + 8 + qsizetype(size) + 1;
    }
    Q_UNUSED(entryStart);
    return lines;
}

void LogFileReader::readJournal(QFile &file, QString *error)
{
    QByteArray pending;
    QList<LogLine> batch;
    while (!m_cancel) {
        const QByteArray chunk = file.read(chunkBytes);
        const bool atEnd = chunk.isEmpty();
        if (atEnd && file.error() != QFileDevice::NoError)
            *error = file.errorString();
        pending += chunk;
        if (atEnd && !pending.endsWith("\n\n"))
            pending += pending.endsWith('\n') ? "\n" : "\n\n"; // the last entry may lack its blank line
        qsizetype consumed = 0;
        batch += parseJournalExport(pending, m_label, &consumed);
        pending.remove(0, consumed);
        if (batch.size() >= batchLines && !deliver(batch))
            return;
        if (atEnd)
            break;
        if (pending.size() > 64 * chunkBytes) {
            *error = tr("not a journal export past byte %1").arg(file.pos() - pending.size());
            break;
        }
    }
    deliver(batch);
}

} // namespace kms::gui
