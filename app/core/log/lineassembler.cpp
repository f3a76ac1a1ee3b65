#include "log/lineassembler.h"

#include <ctime>

namespace kms {

qint64 hostTimeNowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

LineAssembler::LineAssembler(QString source)
    : m_source(std::move(source))
{
}

void LineAssembler::feed(QByteArrayView bytes, qint64 arrivalNs, QList<LogLine> &out)
{
    if (bytes.isEmpty())
        return;
    qint64 lineStart = m_lineStartNs.value_or(arrivalNs);
    m_splitter.feed(bytes, [&](QByteArrayView line, bool overlong) {
        out.append(LogLine{lineStart, m_source, line.toByteArray(), quint8(overlong ? LogLine::Overlong : 0)});
        // Every later line of this chunk started in this chunk.
        lineStart = arrivalNs;
    });
    const char last = bytes.back();
    if (last == '\n' || last == '\r')
        m_lineStartNs.reset();
    else
        m_lineStartNs = lineStart;
}

LogLine LineAssembler::partialLine() const
{
    if (!m_lineStartNs)
        return LogLine{0, m_source, {}, 0};
    return LogLine{*m_lineStartNs, m_source, m_splitter.pending().toByteArray(), 0};
}

void LineAssembler::finish(QList<LogLine> &out)
{
    const qint64 lineStart = m_lineStartNs.value_or(hostTimeNowNs());
    m_splitter.finish([&](QByteArrayView line, bool overlong) {
        out.append(LogLine{lineStart, m_source, line.toByteArray(), quint8(overlong ? LogLine::Overlong : 0)});
    });
    m_lineStartNs.reset();
}

} // namespace kms
