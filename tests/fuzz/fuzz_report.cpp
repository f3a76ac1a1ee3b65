// libFuzzer entry: any bytes through LineSplitter + ReportDetector, whole and in chunks, with
// idle flushes in between as the live console does. Checks the invariants callers rely on.
#include "log/linesplitter.h"
#include "report/reportdetector.h"

#include <cstdint>
#include <cstdlib>

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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));

    const QList<KernelReport> whole = detectReports(input);

    // The same bytes in small chunks, flushing idle reports now and then.
    QList<KernelReport> chunked;
    ReportDetector detector([&](KernelReport &&r) { chunked.append(std::move(r)); });
    LineSplitter splitter;
    int lines = 0;
    // One std::function for all chunks: building it per feed() call (a few bytes each) cost
    // more than the detection itself.
    const LineSplitter::Sink sink = [&](QByteArrayView line, bool) {
        detector.feedLine(line);
        ++lines;
    };
    const qsizetype step = size > 0 ? qsizetype(data[0] % 13) + 1 : 1;
    for (qsizetype pos = 0; pos < input.size(); pos += step)
        splitter.feed(input.sliced(pos, qMin(step, input.size() - pos)), sink);
    splitter.finish(sink);
    const int beforeFlush = int(chunked.size());
    detector.flushIdle();
    detector.finish();
    check(detector.linesSeen() == lines);

    // Chunking never changes what is found; flushIdle only hands out earlier.
    check(beforeFlush <= whole.size());
    check(chunked.size() == whole.size());
    for (qsizetype i = 0; i < whole.size(); ++i) {
        checkReport(whole[i], lines);
        check(whole[i].firstLine == chunked[i].firstLine);
    }
    return 0;
}
