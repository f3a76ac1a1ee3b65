#include "telemetry/telemetryrecorder.h"

#include <QDateTime>
#include <QFileInfo>

#include <charconv>
#include <cmath>
#include <cstring>

namespace kms::telemetry {

namespace {

constexpr char magic[] = "KMSTLM1\n";
constexpr qsizetype magicSize = 8;

void putVarint(QByteArray &b, quint64 v)
{
    while (v >= 0x80) {
        b.append(char(v | 0x80));
        v >>= 7;
    }
    b.append(char(v));
}

void putSigned(QByteArray &b, qint64 v)
{
    putVarint(b, (quint64(v) << 1) ^ quint64(v >> 63));
}

void putString(QByteArray &b, const QString &s)
{
    const QByteArray u = s.toUtf8();
    putVarint(b, quint64(u.size()));
    b.append(u);
}

void putDouble(QByteArray &b, double v)
{
    quint64 bits;
    std::memcpy(&bits, &v, 8);
    for (int i = 0; i < 8; ++i)
        b.append(char(bits >> (8 * i)));
}

// A cursor over one file's bytes; every read checks bounds and fails the cursor instead.
struct Cursor {
    QByteArrayView d;
    qsizetype pos = 0;
    bool ok = true;

    bool atEnd() const { return pos >= d.size(); }
    quint8 byte()
    {
        if (pos >= d.size()) {
            ok = false;
            return 0;
        }
        return quint8(d[pos++]);
    }
    quint64 varint()
    {
        quint64 v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            const quint8 c = byte();
            if (!ok)
                return 0;
            v |= quint64(c & 0x7f) << shift;
            if (!(c & 0x80))
                return v;
        }
        ok = false;
        return 0;
    }
    qint64 svarint()
    {
        const quint64 z = varint();
        return qint64(z >> 1) ^ -qint64(z & 1);
    }
    double dbl()
    {
        if (d.size() - pos < 8) {
            ok = false;
            return 0;
        }
        quint64 bits = 0;
        for (int i = 0; i < 8; ++i)
            bits |= quint64(quint8(d[pos + i])) << (8 * i);
        pos += 8;
        double v;
        std::memcpy(&v, &bits, 8);
        return v;
    }
    QString string()
    {
        const quint64 n = varint();
        if (!ok || n > quint64(d.size() - pos)) {
            ok = false;
            return {};
        }
        const QString s = QString::fromUtf8(d.sliced(pos, qsizetype(n)));
        pos += qsizetype(n);
        return s;
    }
};

bool isIntegral(double v)
{
    return std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9.0e15;
}

QStringList recordingFiles(const QString &path)
{
    // Oldest first: <path>.N ... <path>.1, <path>.
    QStringList files;
    for (int i = 64; i >= 1; --i) {
        const QString f = path + u'.' + QString::number(i);
        if (QFileInfo::exists(f))
            files.append(f);
    }
    if (QFileInfo::exists(path))
        files.append(path);
    return files;
}

} // namespace

QString telemetryPathForSessionLog(const QString &sessionLogPath)
{
    if (sessionLogPath.endsWith(QLatin1String(".log")))
        return sessionLogPath.chopped(4) + QStringLiteral(".telemetry");
    return sessionLogPath + QStringLiteral(".telemetry");
}

QByteArray formatTelemetryNumber(double v)
{
    if (isIntegral(v))
        return QByteArray::number(qint64(v));
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    return ec == std::errc() ? QByteArray(buf, end - buf) : QByteArray::number(v, 'g', 17);
}

bool TelemetryRecorder::open(const QString &path, QString *error)
{
    close();
    m_path = path;
    m_file.setFileName(path);
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append)) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, m_file.errorString());
        return false;
    }
    m_fileSize = m_file.size();
    startFile();
    return true;
}

void TelemetryRecorder::startFile()
{
    m_keys.clear();
    m_sources.clear();
    m_prevT = 0;
    if (m_fileSize == 0)
        m_buf.append(magic, magicSize);
    else
        m_buf.append('H');
}

void TelemetryRecorder::close()
{
    if (!m_file.isOpen())
        return;
    flush();
    m_file.close();
}

quint32 TelemetryRecorder::idOf(QHash<QString, quint32> &ids, char tag, const QString &name)
{
    const auto it = ids.constFind(name);
    if (it != ids.cend())
        return *it;
    const quint32 id = quint32(ids.size());
    ids.insert(name, id);
    m_buf.append(tag);
    putVarint(m_buf, id);
    putString(m_buf, name);
    return id;
}

void TelemetryRecorder::write(const QList<TelemetrySet> &sets)
{
    if (!m_file.isOpen())
        return;
    for (const TelemetrySet &s : sets) {
        const quint32 src = idOf(m_sources, 'S', s.source);
        QVarLengthArray<quint32, 64> keyIds;
        for (const TelemetryValue &v : s.values)
            keyIds.append(idOf(m_keys, 'K', v.key));
        m_buf.append('T');
        putVarint(m_buf, src);
        putSigned(m_buf, s.tNs - m_prevT);
        m_prevT = s.tNs;
        putVarint(m_buf, quint64(s.values.size()));
        for (qsizetype i = 0; i < s.values.size(); ++i) {
            const double v = s.values[i].value;
            if (isIntegral(v)) {
                putVarint(m_buf, quint64(keyIds[i]) << 1);
                putSigned(m_buf, qint64(v));
            } else {
                putVarint(m_buf, (quint64(keyIds[i]) << 1) | 1);
                putDouble(m_buf, v);
            }
        }
    }
    maybeFlush();
}

void TelemetryRecorder::write(const TelemetryGap &gap)
{
    if (!m_file.isOpen())
        return;
    const quint32 src = idOf(m_sources, 'S', gap.source);
    m_buf.append('G');
    putVarint(m_buf, src);
    putSigned(m_buf, gap.tNs);
    putString(m_buf, gap.reason);
    maybeFlush();
}

void TelemetryRecorder::write(const TelemetryAlarm &alarm)
{
    if (!m_file.isOpen())
        return;
    m_buf.append('A');
    putSigned(m_buf, alarm.tNs);
    putString(m_buf, alarm.key);
    putString(m_buf, alarm.kind);
    putDouble(m_buf, alarm.value);
    putString(m_buf, alarm.text);
    maybeFlush();
}

void TelemetryRecorder::maybeFlush()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (m_buf.size() >= 256 * 1024 || now - m_lastFlushMs >= flushIntervalMs)
        flush();
}

void TelemetryRecorder::flush()
{
    m_lastFlushMs = QDateTime::currentMSecsSinceEpoch();
    if (m_buf.isEmpty() || !m_file.isOpen())
        return;
    const qint64 n = m_file.write(m_buf);
    m_file.flush();
    if (n > 0) {
        m_fileSize += n;
        m_total += n;
    }
    m_buf.clear();
    if (m_fileSize >= m_maxBytes)
        rotate();
}

void TelemetryRecorder::rotate()
{
    m_file.close();
    QFile::remove(m_path + u'.' + QString::number(m_keepFiles));
    for (int i = m_keepFiles - 1; i >= 1; --i)
        QFile::rename(m_path + u'.' + QString::number(i), m_path + u'.' + QString::number(i + 1));
    if (m_keepFiles >= 1)
        QFile::rename(m_path, m_path + QStringLiteral(".1"));
    else
        QFile::remove(m_path);
    m_file.setFileName(m_path);
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return;
    m_fileSize = 0;
    startFile();
}

TelemetryReadResult readTelemetryBytes(QByteArrayView data, const TelemetryReadCallbacks &cb)
{
    TelemetryReadResult r;
    r.files = 1;
    if (data.size() < magicSize || std::memcmp(data.data(), magic, magicSize) != 0) {
        r.error = QStringLiteral("not a kmodscope telemetry recording");
        r.tornFiles = 1;
        return r;
    }
    Cursor c{data, magicSize};
    QList<QString> keys, sources;
    qint64 prevT = 0;
    TelemetrySet set;
    while (!c.atEnd()) {
        const char tag = char(c.byte());
        switch (tag) {
        case 'H':
            keys.clear();
            sources.clear();
            prevT = 0;
            break;
        case 'K':
        case 'S': {
            const quint64 id = c.varint();
            const QString name = c.string();
            QList<QString> &table = tag == 'K' ? keys : sources;
            if (!c.ok || id != quint64(table.size()))
                c.ok = false;
            else
                table.append(name);
            break;
        }
        case 'T': {
            const quint64 src = c.varint();
            const qint64 dt = c.svarint();
            const quint64 count = c.varint();
            if (!c.ok || src >= quint64(sources.size()) || count > quint64(data.size())) {
                c.ok = false;
                break;
            }
            set.source = sources[qsizetype(src)];
            set.tNs = prevT + dt;
            prevT = set.tNs;
            set.values.clear();
            for (quint64 i = 0; i < count && c.ok; ++i) {
                const quint64 tagged = c.varint();
                const quint64 key = tagged >> 1;
                const double v = (tagged & 1) ? c.dbl() : double(c.svarint());
                if (!c.ok || key >= quint64(keys.size())) {
                    c.ok = false;
                    break;
                }
                set.values.append({keys[qsizetype(key)], v});
            }
            if (c.ok) {
                ++r.sets;
                if (cb.set)
                    cb.set(set);
            }
            break;
        }
        case 'G': {
            TelemetryGap g;
            const quint64 src = c.varint();
            g.tNs = c.svarint();
            g.reason = c.string();
            if (!c.ok || src >= quint64(sources.size())) {
                c.ok = false;
                break;
            }
            g.source = sources[qsizetype(src)];
            ++r.gaps;
            if (cb.gap)
                cb.gap(g);
            break;
        }
        case 'A': {
            TelemetryAlarm a;
            a.tNs = c.svarint();
            a.key = c.string();
            a.kind = c.string();
            a.value = c.dbl();
            a.text = c.string();
            if (c.ok) {
                ++r.alarms;
                if (cb.alarm)
                    cb.alarm(a);
            }
            break;
        }
        default:
            c.ok = false;
        }
        if (!c.ok) {
            r.tornFiles = 1;
            break;
        }
    }
    return r;
}

TelemetryReadResult readTelemetryRecording(const QString &path, const TelemetryReadCallbacks &cb)
{
    TelemetryReadResult total;
    const QStringList files = recordingFiles(path);
    if (files.isEmpty()) {
        total.error = QStringLiteral("no telemetry recording at %1").arg(path);
        return total;
    }
    for (const QString &f : files) {
        QFile file(f);
        if (!file.open(QIODevice::ReadOnly)) {
            ++total.tornFiles;
            continue;
        }
        // Mapped rather than read: a rotated set is up to a GB and is read in two passes.
        uchar *mapped = file.size() > 0 ? file.map(0, file.size()) : nullptr;
        const QByteArray copy = mapped ? QByteArray() : file.readAll();
        const QByteArrayView data
            = mapped ? QByteArrayView(reinterpret_cast<const char *>(mapped), file.size()) : QByteArrayView(copy);
        const TelemetryReadResult r = readTelemetryBytes(data, cb);
        total.sets += r.sets;
        total.gaps += r.gaps;
        total.alarms += r.alarms;
        total.files += 1;
        total.tornFiles += r.tornFiles;
    }
    if (total.sets == 0 && total.gaps == 0 && total.alarms == 0 && total.tornFiles == total.files)
        total.error = QStringLiteral("%1 is not a kmodscope telemetry recording").arg(path);
    return total;
}

bool exportTelemetryCsv(const QString &recordingPath, QIODevice *out, QString *error)
{
    QStringList order;
    QHash<QString, int> column;
    TelemetryReadCallbacks first;
    first.set = [&](const TelemetrySet &s) {
        for (const TelemetryValue &v : s.values) {
            if (!column.contains(v.key)) {
                column.insert(v.key, int(order.size()));
                order.append(v.key);
            }
        }
    };
    const TelemetryReadResult r = readTelemetryRecording(recordingPath, first);
    if (!r.error.isEmpty()) {
        if (error)
            *error = r.error;
        return false;
    }
    QByteArray line = "t_ns";
    for (const QString &k : order)
        line += ',' + k.toUtf8(); // keys are [A-Za-z0-9_.-]: nothing to quote
    line += '\n';
    out->write(line);
    QList<QByteArray> cells(order.size());
    TelemetryReadCallbacks second;
    bool writeOk = true;
    second.set = [&](const TelemetrySet &s) {
        for (QByteArray &c : cells)
            c.clear();
        for (const TelemetryValue &v : s.values)
            cells[column.value(v.key)] = formatTelemetryNumber(v.value);
        line = QByteArray::number(s.tNs);
        for (const QByteArray &c : std::as_const(cells)) {
            line += ',';
            line += c;
        }
        line += '\n';
        writeOk = out->write(line) == line.size() && writeOk;
    };
    readTelemetryRecording(recordingPath, second);
    if (!writeOk && error)
        *error = QStringLiteral("write error: %1").arg(out->errorString());
    return writeOk;
}

} // namespace kms::telemetry
