#include "report/reportdetector.h"

#include "log/consoleline.h"
#include "log/linesplitter.h"
#include "report/bytes.h"
#include "report/framelineparser.h"
#include "report/reportlines.h"
#include "report/reportmarkers.h"
#include "report/reportparser.h"

#include <optional>

namespace kms {

using namespace kms::bytes;
using namespace kms::reportlines;

namespace {

// Limits that keep a report from swallowing an unrelated log: a report's lines come in one
// burst, and its header (before the trace) is short even with a full stack dump.
constexpr int maxHeaderLines = 200;
constexpr int maxReportLines = 2000;
constexpr int maxUnknownAfterTrace = 20;
// Foreign lines (another driver, another CPU, a shell on the UART) a report without an end
// marker may have inside it before it counts as over.
constexpr int maxGapLines = 10;
constexpr int maxLinesAwaitingLastPart = 300;
constexpr int maxLinesWaitingForPanic = 8;
constexpr int maxRegisterRepeatLines = 24;
constexpr double maxSilenceSeconds = 10.0;
constexpr std::size_t maxCallerStreams = 64;

enum class Phase { Header, Trace, PostTrace, AfterEnd, AfterPanic };

} // namespace

struct ReportDetector::Stream {
    QByteArray caller;
    bool open = false;
    ReportStart start;
    // The report's lines, one buffer for all: a report may hold hundreds of lines, and one
    // allocation each was a good part of the detector's cost on reports.
    struct StoredLine {
        qsizetype offset;
        qsizetype size;
        int number;
    };
    QByteArray text;
    QList<StoredLine> lines;
    Phase phase = Phase::Header;
    bool panicked = false;
    bool interleaved = false;
    int gap = 0; // foreign lines skipped since the report's last line
    // The trace reached its bottom ("</TASK>", ret_from_fork, the syscall entry): nothing of it
    // can follow, so a foreign line ends the report at once.
    bool traceClosed = false;
    int headerLines = 0;
    int unknownAfterTrace = 0;
    int linesSinceEnd = 0;
    int registerRepeatLines = 0;
    bool sawStackBacktrace = false;
    std::optional<int> cpu;
    std::optional<double> lastTimestamp;
    std::optional<double> firstTimestamp; // of the line that started the report
    // The line before, when it may open the next report ("cut here", "=====").
    QByteArray preamble;
    int preambleLine = 0;

    void reset()
    {
        open = false;
        text.truncate(0);
        lines.clear();
        phase = Phase::Header;
        panicked = interleaved = sawStackBacktrace = false;
        gap = 0;
        traceClosed = false;
        headerLines = unknownAfterTrace = linesSinceEnd = registerRepeatLines = 0;
        cpu.reset();
        lastTimestamp.reset();
        firstTimestamp.reset();
    }

    bool looksFinal() const
    {
        switch (phase) {
        case Phase::AfterEnd:
        case Phase::AfterPanic:
            return true;
        case Phase::Trace:
        case Phase::PostTrace:
            return !start.expectsEndMarker;
        case Phase::Header:
            return start.kind == ReportKind::Mce || start.panic
                || (!start.expectsEndMarker
                    && (start.message || start.kind == ReportKind::Kmemleak || start.kind == ReportKind::Lockup));
        }
        return false;
    }

    void storeLine(QByteArrayView line, int number)
    {
        lines.append(StoredLine{text.size(), line.size(), number});
        text.append(line);
    }

    void append(QByteArrayView line, int number, std::optional<double> timestamp)
    {
        // Lines were skipped as foreign since the last one of ours: the report was interleaved.
        if (gap > 0)
            interleaved = true;
        gap = 0;
        storeLine(line, number);
        if (timestamp)
            lastTimestamp = timestamp;
    }
};

ReportDetector::ReportDetector(Sink sink)
    : m_sink(std::move(sink))
{
    m_streams.push_back(std::make_unique<Stream>());
}

ReportDetector::~ReportDetector() = default;

void ReportDetector::setSource(const QString &name)
{
    m_source = name;
}

void ReportDetector::setSyslogHost(const QByteArray &host)
{
    m_host = host;
}

bool ReportDetector::sameHost(QByteArrayView host) const
{
    auto shortName = [](QByteArrayView h) {
        const qsizetype dot = h.indexOf('.');
        return dot < 0 ? h : h.first(dot);
    };
    return shortName(host) == shortName(QByteArrayView(m_host));
}

ReportDetector::Stream &ReportDetector::streamFor(QByteArrayView caller)
{
    if (caller.isEmpty())
        return *m_streams.front();
    for (std::size_t i = 1; i < m_streams.size(); ++i) {
        if (QByteArrayView(m_streams[i]->caller) == caller)
            return *m_streams[i];
    }
    if (m_streams.size() > maxCallerStreams) {
        // Task ids are endless; forget streams that hold nothing.
        for (std::size_t i = 1; i < m_streams.size();) {
            if (!m_streams[i]->open)
                m_streams.erase(m_streams.begin() + std::ptrdiff_t(i));
            else
                ++i;
        }
    }
    auto s = std::make_unique<Stream>();
    s->caller = caller.toByteArray();
    m_streams.push_back(std::move(s));
    return *m_streams.back();
}

void ReportDetector::feedLine(QByteArrayView rawLine)
{
    ++m_lineNumber;
    const ConsoleLine cl = parseConsoleLine(rawLine, m_scratch);
    if (!cl.fromKernel)
        return;
    if (!m_host.isEmpty() && !cl.host.isEmpty() && !sameHost(cl.host))
        return;
    Stream &s = streamFor(cl.caller);
    QByteArrayView text = cl.text;
    // mm/kmemleak.c prints its reports through pr_warn() with its pr_fmt prefix: the report
    // reads the same as in /sys/kernel/debug/kmemleak once that is gone.
    if (text.size() > 10 && text[0] == 'k' && startsWith(text, "kmemleak: "))
        text = text.sliced(10);

    if (s.open) {
        const Step step = continueReport(s, text, cl.timestamp);
        if (step == Step::Consumed)
            return;
    }

    auto start = matchReportStart(text);
    if (!start) {
        // Cheap: only separator lines are remembered.
        const QByteArrayView t = trimmed(text);
        if (!t.isEmpty() && (t[0] == '-' || t[0] == '=') && isReportPreamble(t)) {
            s.preamble = text.toByteArray();
            s.preambleLine = m_lineNumber;
        } else if (!s.preamble.isEmpty()) {
            s.preamble.clear();
        }
        return;
    }
    startReport(s, text, cl.timestamp, std::move(*start));
}

void ReportDetector::startReport(Stream &s, QByteArrayView text, std::optional<double> timestamp, ReportStart &&start)
{
    if (s.open)
        emitReport(s, !s.looksFinal());
    s.reset();
    s.open = true;
    s.start = std::move(start);
    if (!s.preamble.isEmpty() && s.preambleLine == m_lineNumber - 1)
        s.storeLine(s.preamble, s.preambleLine);
    s.preamble.clear();
    s.append(text, m_lineNumber, timestamp);
    s.firstTimestamp = timestamp;
    // A panic without an oops before it prints its own backtrace (dump_stack() in panic()):
    // it goes through the phases of any report.
    s.panicked = s.start.panic;
}

ReportDetector::Step ReportDetector::continueReport(Stream &s, QByteArrayView text, std::optional<double> timestamp)
{
    const QByteArrayView t = trimmed(text);
    const int number = m_lineNumber;

    // A report is printed in one burst: a long silence, or time going back (a reboot), means
    // the lines that follow are something else.
    if (timestamp && s.lastTimestamp
        && (*timestamp - *s.lastTimestamp > maxSilenceSeconds || *timestamp + 1.0 < *s.lastTimestamp)) {
        emitReport(s, !s.looksFinal());
        return Step::EndedBefore;
    }
    if (s.lines.size() >= maxReportLines) {
        emitReport(s, true);
        return Step::EndedBefore;
    }

    if (auto start = matchReportStart(t)) {
        if (start->panic && !s.start.panic) {
            // die() then panic(): "Fatal exception", "Fatal exception in interrupt".
            s.panicked = true;
            s.phase = Phase::AfterPanic;
            s.linesSinceEnd = 0;
            s.append(text, number, timestamp);
            return Step::Consumed;
        }
        if (s.phase == Phase::Header) {
            // An old WARN_ON's message can itself look like a headline ("Watchdog detected
            // hard LOCKUP on cpu 0"): it comes within the first lines after "WARNING: at".
            const bool warnMessage = s.start.kind == ReportKind::Warning && s.headerLines < 4
                && start->kind != ReportKind::Warning && !start->expectsEndMarker;
            // A WARN() message printed before its "WARNING: CPU:" line (4.15+) or a
            // CHECK_DATA_CORRUPTION() one before "kernel BUG at": one report.
            const bool messageThenWarning = s.start.message && s.headerLines < 4 && start->expectsEndMarker
                && (start->kind == ReportKind::Warning || start->kind == ReportKind::Bug || start->secondary);
            const bool continuation = start->secondary || warnMessage || messageThenWarning
                || (s.start.prelude && start->kind == ReportKind::Oops)
                || (s.start.kind == ReportKind::Kasan && start->kind == ReportKind::Gpf);
            if (continuation) {
                if (s.start.prelude) {
                    s.start.what = start->what;
                    s.start.prelude = false;
                }
                if (messageThenWarning) {
                    s.start.expectsEndMarker = true;
                    s.start.message = false;
                    if (s.start.headlineSymbol.isEmpty())
                        s.start.headlineSymbol = start->headlineSymbol;
                } else if (warnMessage && start->message) {
                    // Before 4.15 the message came after "WARNING: CPU:": it names the kind.
                    s.start.kind = start->kind;
                    s.start.what = start->what;
                    if (!start->headlineSymbol.isEmpty())
                        s.start.headlineSymbol = start->headlineSymbol;
                }
                s.append(text, number, timestamp);
                ++s.headerLines;
                return Step::Consumed;
            }
        }
        emitReport(s, !s.looksFinal());
        return Step::EndedBefore;
    }

    switch (s.phase) {
    case Phase::AfterEnd:
        // x86 (since 4.x) prints RIP, Code and the registers again after the end marker, then
        // "Kernel panic": those lines do not count against the wait for the panic.
        if (isRegisterRepeatLine(t) && ++s.registerRepeatLines <= maxRegisterRepeatLines)
            return Step::Skipped;
        // Only a panic (handled above) joins a report after its end marker.
        if (++s.linesSinceEnd > maxLinesWaitingForPanic) {
            emitReport(s, false);
            return Step::EndedBefore;
        }
        return Step::Skipped;
    case Phase::AfterPanic:
        if (startsWith(t, "---[ end Kernel panic")) {
            s.append(text, number, timestamp);
            emitReport(s, false);
            return Step::Consumed;
        }
        // panic()'s epilogue: "Kernel Offset: disabled", "CPU1: stopping", "Rebooting in 5 seconds..".
        if (startsWith(t, "Kernel Offset") || startsWith(t, "Rebooting in") || startsWith(t, "CPU")
            || startsWith(t, "SMP:") || startsWith(t, "Shutting down cpus")) {
            if (++s.linesSinceEnd <= maxLinesWaitingForPanic) {
                s.append(text, number, timestamp);
                return Step::Consumed;
            }
        }
        emitReport(s, false);
        return Step::EndedBefore;
    case Phase::Header:
    case Phase::Trace:
    case Phase::PostTrace:
        break;
    }

    if (isReportPreamble(t)) {
        // "cut here" always opens the next report, and so does a "=====" rule, except in a
        // header (lockdep frames its headline with rules) or where it closes a KASAN/UBSAN
        // report. Skipped lines stay available as the next report's preamble.
        const bool cutHere = t[0] == '-';
        const bool closesSanitizer = endsAtRule(s.start.kind) && s.phase != Phase::Header;
        if (cutHere || (!closesSanitizer && s.phase != Phase::Header))
            return Step::Skipped;
    }

    if (startsWith(t, "---[ end Kernel panic")) {
        s.append(text, number, timestamp);
        emitReport(s, false);
        return Step::Consumed;
    }
    if (isEndTraceMarker(t)) {
        s.append(text, number, timestamp);
        s.phase = Phase::AfterEnd;
        s.linesSinceEnd = 0;
        return Step::Consumed;
    }

    const bool sanitizer = endsAtRule(s.start.kind);
    if (sanitizer && s.phase != Phase::Header && startsWith(t, "==========")) {
        // KASAN, UBSAN and KCSAN close their reports with the rule they opened them with; with
        // panic_on_warn (or kasan.fault=panic) the panic follows it: mm/kasan/report.c
        // end_report(), lib/ubsan.c ubsan_epilogue(), kernel/kcsan/report.c print_report() call
        // panic("panic_on_warn set ...") (6.2+: check_panic_on_warn("KASAN")) right after it.
        s.append(text, number, timestamp);
        s.phase = Phase::AfterEnd;
        s.linesSinceEnd = 0;
        return Step::Consumed;
    }

    const bool header = isTraceHeader(t);
    const bool marker = !header && isContextMarker(t);
    // Views only: this runs on every line of an open report, the parser makes the Frames.
    const auto frame = header || marker ? std::nullopt : FrameLineParser::parseView(t);
    if (header || marker || frame) {
        s.traceClosed = startsWith(t, "</TASK>") || (frame && isBottomFrame(frame->frame.function));
        // Lockdep's last stack: after "stack backtrace:", or dump_stack()'s own header where
        // lockdep prints no such line (register_lock_class()'s "trying to register non-static key").
        if (startsWith(t, "stack backtrace:") || startsWith(t, "Call Trace") || startsWith(t, "Call trace:"))
            s.sawStackBacktrace = true;
        s.phase = Phase::Trace;
        s.append(text, number, timestamp);
        return Step::Consumed;
    }

    if (s.phase == Phase::Header && !belongsInHeader(s.start, text, t)) {
        // A report that has printed only its headline so far: a foreign line is skipped, a
        // run of them ends it.
        if (++s.gap <= maxGapLines)
            return Step::Skipped;
        emitReport(s, false);
        return Step::EndedBefore;
    }

    if (s.phase == Phase::Header) {
        if (s.start.kind == ReportKind::Mce && !isMceLine(t) && !isPanicLine(t)) {
            emitReport(s, false);
            return Step::EndedBefore;
        }
        if (++s.headerLines > maxHeaderLines) {
            emitReport(s, !s.looksFinal());
            return Step::EndedBefore;
        }
        if (startsWith(t, "CPU: ")) {
            const auto cpu = parseDecimal(t.sliced(5));
            if (cpu && s.cpu && *cpu != *s.cpu)
                s.interleaved = true; // two CPUs printing at once without caller ids
            if (cpu && !s.cpu)
                s.cpu = int(*cpu);
        }
        s.append(text, number, timestamp);
        return Step::Consumed;
    }

    const bool trailer = isReportTrailer(text, t);
    if (s.phase == Phase::Trace) {
        if (trailer) {
            s.append(text, number, timestamp);
            return Step::Consumed;
        }
        s.phase = Phase::PostTrace;
    }

    // PostTrace: the trace is over; what else belongs to this report?
    // KASAN/UBSAN describe the object and its shadow memory up to their closing rule; lockdep
    // prints lock lists and scenarios between its stacks, the last being "stack backtrace:".
    if (sanitizer || (s.start.kind == ReportKind::Lockdep && !s.sawStackBacktrace)) {
        if (++s.unknownAfterTrace > maxLinesAwaitingLastPart) {
            emitReport(s, true);
            return Step::EndedBefore;
        }
        s.append(text, number, timestamp);
        return Step::Consumed;
    }
    if (trailer) {
        s.append(text, number, timestamp);
        return Step::Consumed;
    }
    if (s.start.expectsEndMarker) {
        // Another source's lines interleaved before the end marker: not ours, keep waiting.
        ++s.gap;
        if (++s.unknownAfterTrace <= maxUnknownAfterTrace)
            return Step::Skipped;
        emitReport(s, true);
        return Step::EndedBefore;
    }
    // No end marker: the report is over once foreign lines go on for longer than a burst
    // of another CPU's or driver's messages; until then the trace may still continue.
    // A hung task's report goes on after its trace's bottom: kernel/hung_task.c prints the held
    // locks and other CPUs' backtraces, then may panic (hung_task_panic).
    const bool moreAfterBottom = s.start.kind == ReportKind::HungTask;
    if ((!s.traceClosed || moreAfterBottom) && ++s.gap <= maxGapLines)
        return Step::Skipped;
    emitReport(s, false);
    return Step::EndedBefore;
}

void ReportDetector::emitReport(Stream &s, bool corrupted)
{
    if (!s.open)
        return;
    KernelReport r;
    r.kind = s.start.kind;
    r.panicked = s.panicked;
    r.corrupted = corrupted || s.interleaved;
    r.interleaved = s.interleaved;
    r.firstLine = s.lines.isEmpty() ? 0 : s.lines.front().number;
    r.timestamp = s.firstTimestamp;
    r.lastLine = s.lines.isEmpty() ? 0 : s.lines.back().number;
    r.source = m_source;
    QList<ReportParser::Line> lines;
    lines.reserve(s.lines.size());
    r.lines.reserve(s.lines.size());
    for (const Stream::StoredLine &l : std::as_const(s.lines)) {
        const QByteArrayView text = QByteArrayView(s.text).sliced(l.offset, l.size);
        lines.append(ReportParser::Line{text, l.number});
        r.lines.append(QString::fromUtf8(text));
    }
    ReportParser::parse(s.start, lines, r);
    s.reset();
    m_sink(std::move(r));
}

void ReportDetector::flushIdle()
{
    for (auto &s : m_streams) {
        if (s->open && s->looksFinal())
            emitReport(*s, false);
    }
}

void ReportDetector::finish()
{
    for (auto &s : m_streams) {
        if (s->open)
            emitReport(*s, !s->looksFinal());
    }
}

QList<KernelReport> detectReports(QByteArrayView log)
{
    QList<KernelReport> reports;
    detectReports(log, [&](KernelReport &&r) { reports.append(std::move(r)); });
    return reports;
}

void detectReports(QByteArrayView log, ReportDetector::Sink sink)
{
    ReportDetector detector(std::move(sink));
    LineSplitter splitter;
    const auto feedLine = [&](QByteArrayView line, bool) {
        detector.feedLine(line);
    };
    splitter.feed(log, feedLine);
    splitter.finish(feedLine);
    detector.finish();
}

} // namespace kms
