// Bytes -> lines for every log source (serial, ssh, files). Kept byte-oriented: decoding to text
// happens only for the few lines that end up inside a kernel report.
#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <functional>

namespace kms {

class LineSplitter
{
public:
    // A line longer than this is cut into pieces flagged overlong, so that a source that never
    // sends a newline (binary noise on a UART) cannot make us buffer without bound.
    static constexpr qsizetype maxLineLength = 64 * 1024;

    using Sink = std::function<void(QByteArrayView line, bool overlong)>;

    // Splits on LF, CRLF and lone CR. The result does not depend on how the bytes were chunked.
    void feed(QByteArrayView bytes, const Sink &sink);
    // Flushes a final line that has no terminator.
    void finish(const Sink &sink);
    // The bytes of the line not terminated yet (a shell prompt waits here for its input).
    QByteArrayView pending() const { return m_pending; }

private:
    void emitPending(const Sink &sink, bool overlong);
    void appendCapped(QByteArrayView piece, const Sink &sink);

    QByteArray m_pending;
    // A CR ended the previous line; an LF right after it belongs to the same terminator even
    // when it arrives in the next chunk.
    bool m_afterCr = false;
    // The pending line already had overlong pieces emitted: its tail is flagged too.
    bool m_overlongTail = false;
};

} // namespace kms
