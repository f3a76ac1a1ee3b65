#include "log/linesplitter.h"

#include <cstring>

namespace kms {

namespace {

// Position of the first CR or LF in [p, end), or end.
const char *findTerminator(const char *p, const char *end)
{
    const auto n = static_cast<size_t>(end - p);
    const void *lf = std::memchr(p, '\n', n);
    const char *limit = lf ? static_cast<const char *>(lf) : end;
    const void *cr = std::memchr(p, '\r', static_cast<size_t>(limit - p));
    return cr ? static_cast<const char *>(cr) : limit;
}

} // namespace

void LineSplitter::emitPending(const Sink &sink, bool overlong)
{
    sink(QByteArrayView(m_pending), overlong || m_overlongTail);
    m_pending.clear();
    m_overlongTail = overlong;
}

void LineSplitter::appendCapped(QByteArrayView piece, const Sink &sink)
{
    while (!piece.isEmpty()) {
        const qsizetype room = maxLineLength - m_pending.size();
        if (piece.size() <= room) {
            m_pending.append(piece);
            return;
        }
        m_pending.append(piece.first(room));
        piece = piece.sliced(room);
        emitPending(sink, true);
    }
}

void LineSplitter::feed(QByteArrayView bytes, const Sink &sink)
{
    const char *p = bytes.data();
    const char *const end = p + bytes.size();
    if (m_afterCr && p != end) {
        if (*p == '\n')
            ++p;
        m_afterCr = false;
    }
    while (p != end) {
        const char *t = findTerminator(p, end);
        const QByteArrayView piece(p, t - p);
        if (t == end) {
            appendCapped(piece, sink);
            return;
        }
        if (m_pending.isEmpty() && piece.size() <= maxLineLength && !m_overlongTail) {
            // The common case: a whole line inside this chunk, no copy.
            sink(piece, false);
        } else {
            appendCapped(piece, sink);
            emitPending(sink, false);
            m_overlongTail = false;
        }
        p = t + 1;
        if (*t == '\r') {
            if (p == end) {
                m_afterCr = true;
                return;
            }
            if (*p == '\n')
                ++p;
        }
    }
}

void LineSplitter::finish(const Sink &sink)
{
    if (!m_pending.isEmpty())
        emitPending(sink, false);
    m_pending.clear();
    m_overlongTail = false;
    m_afterCr = false;
}

} // namespace kms
