// libFuzzer entry: any bytes through LineSplitter + ReportDetector, in chunks whose size the
// first byte picks, then an idle flush and the end of input as the live console does. Checks
// the invariants callers rely on.
//
// Detection runs once per input. "Chunking never changes what is found" is checked where it
// can break, and more strictly than by detecting twice: the lines the chunked splitter hands
// out must be those of a single pass over the whole input (the detector sees nothing else),
// and the detector gets each line in a heap copy freed as soon as feedLine() returns, so a
// view it kept into a line (which chunked input would have overwritten in the splitter's
// buffer) is a use-after-free ASan reports at once.
#include "log/linesplitter.h"
#include "report/reportdetector.h"

#include <QList>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

using namespace kms;

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort();
}

void checkReport(const KernelReport &r, int lines)
{
    check(r.firstLine >= 1 && r.firstLine <= r.lastLine && r.lastLine <= lines);
    check(!r.lines.isEmpty());
    check(r.lines.size() <= r.lastLine - r.firstLine + 1);
    for (const Frame &f : r.frames)
        check(f.inputLine >= r.firstLine && f.inputLine <= r.lastLine);
    for (const Frame &f : r.registerFrames)
        check(f.inputLine >= r.firstLine && f.inputLine <= r.lastLine && !f.registerName.isEmpty());
    check(!r.interleaved || r.corrupted);
    check(!r.title.isEmpty());
    // The guilty function is a name, never a clone suffix or a syscall wrapper.
    check(!r.guiltyFunction.contains(QLatin1Char('.')) && !r.guiltyFunction.startsWith(QLatin1String("__x64_sys_")));
    if (r.code) {
        check(!r.code->bytes.isEmpty());
        check(r.code->trapIndex < r.code->bytes.size());
    }
}

// The lines of one pass over the whole input: the reference the chunked pass must match.
struct SplitLines {
    QByteArray text;
    struct Line {
        qsizetype offset;
        qsizetype size;
        bool overlong;
    };
    QList<Line> lines;

    explicit SplitLines(QByteArrayView input)
    {
        LineSplitter splitter;
        const LineSplitter::Sink keep = [this](QByteArrayView line, bool overlong) {
            lines.append(Line{text.size(), line.size(), overlong});
            text.append(line);
        };
        splitter.feed(input, keep);
        splitter.finish(keep);
    }

    bool matches(qsizetype i, QByteArrayView line, bool overlong) const
    {
        return i < lines.size() && lines[i].overlong == overlong
            && QByteArrayView(text).sliced(lines[i].offset, lines[i].size) == line;
    }
};

// Chunk size from the first byte: 1 to 64 bytes (the splitter's byte loop, its memchr path,
// lines joined across chunks, a CR in one chunk and its LF in the next), or the whole input.
qsizetype chunkSize(const std::uint8_t *data, std::size_t size)
{
    if (size == 0 || data[0] >= 0xC0)
        return qMax<qsizetype>(1, qsizetype(size));
    return qsizetype(data[0] % 64) + 1;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    const SplitLines whole(input);

    QList<KernelReport> reports;
    ReportDetector detector([&](KernelReport &&r) { reports.append(std::move(r)); });
    LineSplitter splitter;
    qsizetype lines = 0;
    // One std::function for all chunks: building it per feed() call (a few bytes each) cost
    // more than the detection itself.
    const LineSplitter::Sink sink = [&](QByteArrayView line, bool overlong) {
        check(whole.matches(lines, line, overlong));
        ++lines;
        // Heap copy, freed on return (see the top of the file). Not for an empty line: new
        // char[0] is a valid pointer, but a view of size 0 cannot be read anyway.
        const std::unique_ptr<char[]> copy(new char[std::size_t(qMax<qsizetype>(1, line.size()))]);
        if (!line.isEmpty())
            std::memcpy(copy.get(), line.data(), std::size_t(line.size()));
        detector.feedLine(QByteArrayView(copy.get(), line.size()));
    };
    const qsizetype step = chunkSize(data, size);
    for (qsizetype pos = 0; pos < input.size(); pos += step)
        splitter.feed(input.sliced(pos, qMin(step, input.size() - pos)), sink);
    splitter.finish(sink);
    check(lines == whole.lines.size());
    check(detector.linesSeen() == lines);

    // flushIdle only hands out earlier: what it emitted, finish() would have emitted too.
    const qsizetype beforeFlush = reports.size();
    detector.flushIdle();
    const qsizetype flushed = reports.size();
    detector.finish();
    check(beforeFlush <= flushed && flushed <= reports.size());
    for (const KernelReport &r : std::as_const(reports))
        checkReport(r, int(lines));
    return 0;
}
