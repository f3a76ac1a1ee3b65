#include "log/linesplitter.h"

#include <cstring>

namespace kms {

namespace {

// Finds line terminators in one chunk. The next LF is remembered: a console that ends its lines
// with a lone CR would otherwise have every line search the rest of the chunk for an LF.
class TerminatorFinder
{
public:
    explicit TerminatorFinder(const char *end)
        : m_end(end)
    {
    }

    // Position of the first CR or LF in [p, end), or end.
    const char *find(const char *p)
    {
        if (m_end - p <= shortRun) {
            // A few bytes (a live console's read, often): memchr's setup costs more than a loop.
            while (p != m_end && *p != '\n' && *p != '\r')
                ++p;
            return p;
        }
        if (!m_lf || m_lf < p) {
            const void *lf = std::memchr(p, '\n', static_cast<size_t>(m_end - p));
            m_lf = lf ? static_cast<const char *>(lf) : m_end;
        }
        const void *cr = std::memchr(p, '\r', static_cast<size_t>(m_lf - p));
        return cr ? static_cast<const char *>(cr) : m_lf;
    }

private:
    static constexpr qsizetype shortRun = 32;
    const char *const m_end;
    const char *m_lf = nullptr;
};

} // namespace

void LineSplitter::emitPending(const Sink &sink, bool overlong)
{
    sink(QByteArrayView(m_pending), overlong || m_overlongTail);
    // truncate, not clear: the buffer is kept for the next partial line (a live console
    // delivers most lines in several reads).
    m_pending.truncate(0);
    m_overlongTail = overlong;
}

void LineSplitter::appendCapped(QByteArrayView piece, const Sink &sink)
{
    while (!piece.isEmpty()) {
        const qsizetype room = maxLineLength - m_pending.size();
        if (piece.size() <= room) {
            // resize + memcpy: append() goes through the general insert() path, and this runs
            // for every read of a live console.
            const qsizetype old = m_pending.size();
            m_pending.resize(old + piece.size());
            std::memcpy(m_pending.data() + old, piece.data(), static_cast<size_t>(piece.size()));
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
    TerminatorFinder finder(end);
    while (p != end) {
        const char *t = finder.find(p);
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
    m_pending.truncate(0);
    m_overlongTail = false;
    m_afterCr = false;
}

} // namespace kms
