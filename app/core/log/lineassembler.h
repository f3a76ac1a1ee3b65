// Bytes of one live source -> LogLines stamped with the host time at which the line's first byte
// arrived. The stamp is taken by the reader when it read the bytes (passed in), not when the
// assembler runs, so a busy consumer does not shift the times.
#pragma once

#include "log/linesplitter.h"
#include "log/logline.h"

#include <optional>

namespace kms {

class LineAssembler
{
public:
    explicit LineAssembler(QString source = {});

    void setSource(const QString &source) { m_source = source; }
    const QString &source() const { return m_source; }

    // Appends every line completed by these bytes to out.
    void feed(QByteArrayView bytes, qint64 arrivalNs, QList<LogLine> &out);
    // Ends the stream (device lost, command ended): a pending line without terminator is
    // emitted, so nothing that arrived is lost from the log.
    void finish(QList<LogLine> &out);

    bool hasPartialLine() const { return m_lineStartNs.has_value(); }
    // The line not terminated yet, stamped with the arrival of its first byte (empty text when
    // there is none): what a console shows of a prompt that waits for input. It stays pending
    // here; feed() emits it whole once its terminator comes.
    LogLine partialLine() const;

private:
    LineSplitter m_splitter;
    QString m_source;
    // Arrival time of the first byte of the line not yet terminated.
    std::optional<qint64> m_lineStartNs;
};

} // namespace kms
