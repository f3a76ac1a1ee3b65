#include "log/sessionlogreader.h"

#include <QFile>

namespace kms {

namespace {

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool unescape(QByteArrayView in, QByteArray &out)
{
    out.clear();
    out.reserve(in.size());
    for (qsizetype i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c != '\\') {
            out.append(c);
            continue;
        }
        if (++i >= in.size())
            return false;
        switch (in[i]) {
        case '\\':
            out.append('\\');
            break;
        case 't':
            out.append('\t');
            break;
        case 'n':
            out.append('\n');
            break;
        case 'r':
            out.append('\r');
            break;
        case 'x': {
            if (i + 2 >= in.size())
                return false;
            const int hi = hexValue(in[i + 1]);
            const int lo = hexValue(in[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            out.append(char(hi << 4 | lo));
            i += 2;
            break;
        }
        default:
            return false;
        }
    }
    return true;
}

} // namespace

bool SessionLogReader::parseRecord(QByteArrayView record, LogLine *line)
{
    const qsizetype t1 = record.indexOf('\t');
    if (t1 < 0)
        return false;
    const qsizetype t2 = record.sliced(t1 + 1).indexOf('\t');
    if (t2 < 0)
        return false;
    const qsizetype t3start = t1 + 1 + t2 + 1;
    const qsizetype t3 = record.sliced(t3start).indexOf('\t');
    if (t3 < 0)
        return false;

    const QByteArrayView time = record.first(t1);
    const qsizetype dot = time.indexOf('.');
    if (dot < 0 || time.size() - dot - 1 != 9)
        return false;
    bool okS = false;
    bool okNs = false;
    const qint64 s = time.first(dot).toLongLong(&okS);
    const qint64 ns = time.sliced(dot + 1).toLongLong(&okNs);
    if (!okS || !okNs)
        return false;

    QByteArray source;
    if (!unescape(record.sliced(t1 + 1, t2), source))
        return false;
    quint8 flags = 0;
    for (const char f : record.sliced(t3start, t3)) {
        switch (f) {
        case 'o':
            flags |= LogLine::Overlong;
            break;
        case 's':
            flags |= LogLine::Sent;
            break;
        case 'e':
            flags |= LogLine::Event;
            break;
        case '-':
            break;
        default:
            return false;
        }
    }
    QByteArray text;
    if (!unescape(record.sliced(t3start + t3 + 1), text))
        return false;
    line->timeNs = s * 1000000000 + ns;
    line->source = QString::fromUtf8(source);
    line->text = std::move(text);
    line->flags = flags;
    return true;
}

bool SessionLogReader::readFile(const QString &file, const Sink &sink, QString *error)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot read session log '%1': %2").arg(file, in.errorString());
        return false;
    }
    m_files.append(file);
    // Records never contain a raw LF (escaped). An escaped 64 KiB line can take four times that,
    // so records are split here rather than by LineSplitter and its 64 KiB cap; a damaged file
    // without newlines is still bounded by maxRecord.
    constexpr qsizetype maxRecord = 1 << 20;
    const auto onRecord = [&](QByteArrayView record, bool overlong) {
        if (record.isEmpty() || record.startsWith('#'))
            return;
        LogLine line;
        if (overlong || !parseRecord(record, &line)) {
            ++m_badRecords;
            return;
        }
        sink(std::move(line));
    };
    QByteArray pending;
    bool pendingOverlong = false;
    QByteArray chunk(1 << 20, Qt::Uninitialized);
    for (;;) {
        const qint64 n = in.read(chunk.data(), chunk.size());
        if (n <= 0)
            break;
        QByteArrayView rest(chunk.constData(), n);
        for (;;) {
            const qsizetype nl = rest.indexOf('\n');
            if (nl < 0) {
                if (pending.size() + rest.size() > maxRecord)
                    pendingOverlong = true;
                else
                    pending.append(rest);
                break;
            }
            if (pending.isEmpty() && !pendingOverlong) {
                onRecord(rest.first(nl), false);
            } else {
                if (pending.size() + nl > maxRecord)
                    pendingOverlong = true;
                else
                    pending.append(rest.first(nl));
                onRecord(pending, pendingOverlong);
                pending.clear();
                pendingOverlong = false;
            }
            rest = rest.sliced(nl + 1);
        }
    }
    // A last record without newline is the torn end of a crash: counted as bad unless whole.
    if (!pending.isEmpty() || pendingOverlong)
        onRecord(pending, pendingOverlong);
    return true;
}

bool SessionLogReader::read(const QString &path, const Sink &sink, QString *error)
{
    m_badRecords = 0;
    m_files.clear();
    int oldest = 0;
    while (QFile::exists(path + QLatin1Char('.') + QString::number(oldest + 1)))
        ++oldest;
    for (int i = oldest; i >= 1; --i) {
        if (!readFile(path + QLatin1Char('.') + QString::number(i), sink, error))
            return false;
    }
    if (!QFile::exists(path) && oldest > 0)
        return true;
    return readFile(path, sink, error);
}

QList<LogLine> SessionLogReader::readAll(const QString &path, QString *error)
{
    QList<LogLine> lines;
    if (!read(
            path, [&lines](LogLine &&line) { lines.append(std::move(line)); }, error))
        return {};
    return lines;
}

} // namespace kms
