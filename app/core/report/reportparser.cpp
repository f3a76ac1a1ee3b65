#include "report/reportparser.h"

#include "report/bytes.h"
#include "report/framelineparser.h"
#include "report/guiltyframe.h"
#include "report/reportfields.h"
#include "report/reportheader.h"
#include "report/reportlines.h"

namespace kms {

using namespace kms::bytes;
using namespace kms::reportfields;

namespace {

enum class SectionKind { Primary, Auxiliary, Ignored };

} // namespace

namespace {

class Parser
{
public:
    Parser(const ReportStart &start, KernelReport &r)
        : m_start(start)
        , m_r(r)
        , m_header(r)
    {
        // Lockdep prints the dependency chain's stacks ("-> #1 (&lock){+.+.}:") before the
        // current task's ("stack backtrace:"): that last one is the report's trace.
        if (start.kind == ReportKind::Lockdep)
            m_section = SectionKind::Auxiliary;
    }

    void line(QByteArrayView raw, int number);
    void finish();

private:
    bool pcLine(QByteArrayView t, int number);
    void addFrame(Frame f);
    void beginSection(SectionKind kind);
    void markIrqEntry();
    void noteArch(Arch a, int strength);

    const ReportStart &m_start;
    KernelReport &m_r;

    QList<Frame> m_primary;
    QList<Frame> m_auxiliary;
    bool m_auxiliaryDone = false; // only the first auxiliary stack is kept
    SectionKind m_section = SectionKind::Primary;
    bool m_sawTraceHeader = false;
    bool m_sawFrame = false;
    FrameContext m_context = FrameContext::None;
    std::optional<Frame> m_pcFrame; // from RIP:/PC is at/pc :/NIP/PSW before the trace
    bool m_pcPlaced = false;
    std::optional<Frame> m_interrupted; // an in-trace kernel RIP: (interrupt/exception regs)
    bool m_nextExact = false; // after an ARM exception entry
    bool m_userRegs = false; // inside the RIP: 0033 block: user-space state, not ours
    bool m_inRegsAfterTrace = false;
    ReportHeaderReader m_header;
    QString m_workFunction; // workqueue lockup: the first "in-flight: 123:func"
    bool m_inRegisterInfo = false; // inside 6.x "Register rN information:" output
    int m_accessSections = 0; // KCSAN: "read to 0x... of 8 bytes by task 1 on cpu 0:"
    bool registerFrameLine(QByteArrayView t, int number);
    // Evidence: 0 for address widths in old x86 traces, 1 for register names and trace
    // styles, 2 and more for lines only one architecture prints.
    Arch m_arch = Arch::Unknown;
    int m_archStrength = -1;
    int m_lineIndex = 0;
    int m_currentLine = 0;
};

void Parser::noteArch(Arch a, int strength)
{
    if (strength > m_archStrength) {
        m_arch = a;
        m_archStrength = strength;
    }
}

void Parser::beginSection(SectionKind kind)
{
    m_section = kind;
    if (kind == SectionKind::Auxiliary && !m_auxiliary.isEmpty())
        m_auxiliaryDone = true;
    m_context = FrameContext::None;
    m_nextExact = false;
}

// ARM32 marks no contexts: an interrupt entry (__irq_svc) separates the handler's frames, above
// it, from the interrupted code below. Frames above __do_softirq ran in softirq context.
void Parser::markIrqEntry()
{
    FrameContext ctx = FrameContext::Irq;
    for (qsizetype i = m_primary.size() - 1; i >= 0; --i) {
        Frame &f = m_primary[i];
        if (f.context != FrameContext::None)
            break;
        f.context = ctx;
        if (f.function == QLatin1String("__do_softirq") || f.function == QLatin1String("handle_softirqs"))
            ctx = FrameContext::SoftIrq;
    }
}

void Parser::addFrame(Frame f)
{
    f.inputLine = m_currentLine;
    if (m_section == SectionKind::Ignored)
        return;
    if (m_section == SectionKind::Auxiliary) {
        if (!m_auxiliaryDone)
            m_auxiliary.append(f);
        return;
    }
    m_sawFrame = true;
    auto mergeExact = [&](std::optional<Frame> &pc) {
        if (!pc)
            return;
        const bool same = !f.function.isEmpty() && f.function == pc->function
            && (!f.offset || !pc->offset || *f.offset == *pc->offset);
        if (same) {
            f.exactPc = true;
            if (!f.offset) {
                f.offset = pc->offset;
                f.size = pc->size;
            }
            if (f.module.isEmpty())
                f.module = pc->module;
            if (!f.address)
                f.address = pc->address;
            f.reliable = true;
        } else {
            Frame p = *pc;
            // The oops' own PC ran in the context the trace starts with ("<IRQ>" first: the
            // fault was in the IRQ); an interrupted PC inside the trace belongs to the context
            // being printed. Either way: the current one.
            p.context = m_context;
            if (p.inputLine == 0)
                p.inputLine = m_currentLine;
            m_primary.append(p);
        }
        pc.reset();
    };
    if (!m_pcPlaced) {
        m_pcPlaced = true;
        mergeExact(m_pcFrame);
    }
    mergeExact(m_interrupted);
    if (m_nextExact) {
        f.exactPc = true;
        m_nextExact = false;
    }
    if (f.context == FrameContext::None)
        f.context = m_context;
    m_primary.append(f);
    if (m_arch == Arch::Arm || m_archStrength < 0) {
        if (f.function == QLatin1String("__irq_svc")) {
            markIrqEntry();
            m_context = FrameContext::Task;
        } else if (f.function == QLatin1String("__irq_usr")) {
            markIrqEntry();
        }
    }
}

// "RIP: 0010:hello_exit+0xc/0x1000 [hello]", "PC is at f+0x28/0x94 [mod]", "pc : f+0x28/0x94",
// "NIP [c000000008068dfc] .f+0x27c/0x390", "Krnl PSW : 0404c00180000000 0000000000431f8e (f+0x62/0x7c)",
// "EIP: 0060:[<c10d2c33>] ...", "EIP is at f+0x13/0x20", "IP: [<f88dec25>] f+0x90/0x302", "epc : f+0x..".
bool Parser::pcLine(QByteArrayView t, int number)
{
    QByteArrayView rest;
    bool x86 = false;
    if (startsWith(t, "RIP  [<") || startsWith(t, "RIP [<") || startsWith(t, "EIP: [<")) {
        // The summary after an old x86 trace ("EIP: [<f88dec25>] f+0x90/0x302 SS:ESP ...")
        // repeats the first PC.
        return true;
    }
    if (startsWith(t, "RIP: ") || startsWith(t, "EIP: ") || startsWith(t, "RIP:")) {
        x86 = true;
        noteArch(t[0] == 'R' ? Arch::X86_64 : Arch::I386, 2);
        rest = trimmedLeft(t.sliced(4));
        // "0010:" code segment: the low two bits are the privilege level; 3 is user space.
        if (rest.size() > 5 && rest[4] == ':' && isHex(rest[0]) && isHex(rest[3])) {
            const auto cs = parseHex(rest.first(4));
            if (cs && (*cs & 3) == 3) {
                m_userRegs = true;
                return true;
            }
            rest = rest.sliced(5);
        }
    } else if (startsWith(t, "EIP is at ") || startsWith(t, "PC is at ")) {
        rest = t.sliced(t[0] == 'E' ? 10 : 9);
        noteArch(t[0] == 'E' ? Arch::I386 : Arch::Arm, 2);
    } else if (startsWith(t, "IP: [<")) {
        x86 = true;
        rest = t.sliced(4);
    } else if (startsWith(t, "pc : ") && !startsWith(t, "pc : [<")) {
        rest = t.sliced(5);
        noteArch(Arch::Arm64, 2);
    } else if (startsWith(t, "epc : ") && !startsWith(t, "epc : [<")) {
        rest = t.sliced(6);
        noteArch(Arch::Riscv64, 2);
    } else if (startsWith(t, "NIP [")) {
        rest = t.sliced(4);
        noteArch(Arch::Ppc64, 2);
    } else if (startsWith(t, "Krnl PSW : ")) {
        noteArch(Arch::S390x, 3);
        rest = t.sliced(11);
        const qsizetype paren = rest.indexOf('(');
        std::uint64_t address = 0;
        {
            // The second word is the address.
            const QByteArrayView words = trimmed(paren >= 0 ? rest.first(paren) : rest);
            const qsizetype sp = words.lastIndexOf(' ');
            if (auto a = parseHex(trimmed(words.sliced(sp + 1))))
                address = *a;
        }
        if (paren < 0)
            return true;
        rest = rest.sliced(paren + 1);
        if (rest.endsWith(')'))
            rest.chop(1);
        if (auto f = FrameLineParser::parseSymbol(rest, false)) {
            f->address = address;
            f->exactPc = true;
            f->inputLine = number;
            if (!m_sawFrame && !m_pcFrame)
                m_pcFrame = f;
        }
        return true;
    } else {
        return false;
    }

    rest = trimmedLeft(rest);
    std::optional<std::uint64_t> address;
    // "[<ffffffff8137c4f2>]" once or twice before the symbol (and a ppc "[c0000...]").
    for (int k = 0; k < 2 && rest.startsWith('['); ++k) {
        const qsizetype close = rest.indexOf(']');
        if (close < 0)
            break;
        QByteArrayView inner = rest.sliced(1, close - 1);
        if (inner.startsWith('<') && inner.endsWith('>'))
            inner = inner.sliced(1, inner.size() - 2);
        if (auto a = parseHex(trimmed(inner)))
            address = a;
        rest = trimmedLeft(rest.sliced(close + 1));
    }
    // Symbols here always carry an offset; "EIP: 0060:[<c022a7b5>] Not tainted VLI" names none.
    std::optional<Frame> f = FrameLineParser::parseSymbol(rest, true);
    if (!f) {
        if (!address)
            return x86; // "RIP: 0010:0x0" and friends: a PC line, but nothing to place
        f = Frame{};
    }
    if (f->function.isEmpty() && !address)
        return true;
    if (address)
        f->address = address;
    f->exactPc = true;
    f->inputLine = number;
    if (!m_sawFrame && !m_sawTraceHeader) {
        if (!m_pcFrame) {
            m_pcFrame = f;
        } else if (m_pcFrame->function.isEmpty() && !f->function.isEmpty()) {
            // "EIP: 0060:[<addr>]" then "EIP is at f+0x13/0x20".
            const auto a = m_pcFrame->address;
            m_pcFrame = f;
            if (!m_pcFrame->address)
                m_pcFrame->address = a;
        }
    } else if (m_sawFrame || m_sawTraceHeader) {
        m_interrupted = f;
    }
    return true;
}

// ARM "LR is at f+0x1c/0x60 [mod]", arm64 "lr : f+0x1c/0x60 [mod]": the link register printed
// as a function. A return address (looked up at address-1), kept apart from the call trace.
bool Parser::registerFrameLine(QByteArrayView t, int number)
{
    QByteArrayView rest;
    QString name = QStringLiteral("lr");
    std::optional<std::uint64_t> address;
    if (startsWith(t, "LR is at ")) {
        rest = t.sliced(9);
    } else if (startsWith(t, "lr : ") && !startsWith(t, "lr : [<")) {
        rest = t.sliced(5);
    } else if (startsWith(t, "ra : ") && !startsWith(t, "ra : [<")) {
        // arch/riscv/kernel/process.c show_regs(): "epc : %pS" then " ra : %pS".
        rest = t.sliced(5);
        name = QStringLiteral("ra");
    } else if (startsWith(t, "LR [")) {
        // arch/powerpc/kernel/process.c show_regs(): "LR [c000000000123456] .f+0x1c/0x60".
        const qsizetype close = t.indexOf(']');
        if (close < 0)
            return false;
        address = parseHex(t.sliced(4, close - 4));
        rest = t.sliced(close + 1);
    } else {
        return false;
    }
    std::optional<Frame> f = FrameLineParser::parseSymbol(rest, true);
    if (!f)
        return true;
    if (address)
        f->address = address;
    f->registerName = name;
    f->exactPc = false;
    f->inputLine = number;
    for (const Frame &old : std::as_const(m_r.registerFrames)) {
        if (old.registerName == f->registerName)
            return true; // a second CPU's or the user-space dump: the first is the fault's
    }
    m_r.registerFrames.append(*f);
    return true;
}

void Parser::line(QByteArrayView raw, int number)
{
    m_currentLine = number;
    ++m_lineIndex;
    QByteArrayView t = trimmed(raw);
    if (t.isEmpty()) {
        m_header.endModules();
        return;
    }
    if (m_header.continuesModules(raw, t))
        return;

    // x86 context markers, alone or in front of an old-style frame.
    while (t.startsWith('<')) {
        const qsizetype close = t.indexOf('>');
        if (close < 0)
            break;
        QByteArrayView tag = t.first(close + 1);
        if (startsWith(t, "<<EOE>>")) {
            tag = t.first(7);
            m_context = FrameContext::None;
        } else if (tag == QByteArrayView("<IRQ>")) {
            m_context = FrameContext::Irq;
        } else if (tag == QByteArrayView("<NMI>")) {
            m_context = FrameContext::Nmi;
        } else if (tag == QByteArrayView("<SOFTIRQ>")) {
            m_context = FrameContext::SoftIrq;
        } else if (tag == QByteArrayView("<TASK>")) {
            m_context = FrameContext::Task;
        } else if (tag.startsWith("</") || tag == QByteArrayView("<EOI>")) {
            m_context = FrameContext::None;
        } else if (tag.size() <= 8 && !contains(tag, " ")) {
            m_context = FrameContext::None; // <#DF>, <MCE>, <DB>: exception stacks
        } else {
            break;
        }
        if (!m_sawTraceHeader && !m_sawFrame)
            m_sawTraceHeader = true;
        t = trimmedLeft(t.sliced(tag.size()));
    }
    if (t.isEmpty())
        return;

    if (startsWith(t, "Call Trace") || startsWith(t, "Call trace:") || startsWith(t, "Backtrace:")
        || startsWith(t, "stack backtrace:") || startsWith(t, "Call Trace:")) {
        if (t[5] == 't' && t[0] == 'C')
            noteArch(Arch::Arm64, 1);
        beginSection(SectionKind::Primary);
        m_sawTraceHeader = true;
        m_userRegs = false;
        return;
    }
    if (startsWith(t, "backtrace:") || startsWith(t, "backtrace (crc ")) {
        // kmemleak: where the leaked object was allocated.
        beginSection(SectionKind::Primary);
        m_sawTraceHeader = true;
        return;
    }
    if (startsWith(t, "Allocated by task") || startsWith(t, "Freed by task")
        || startsWith(t, "Last potentially related") || startsWith(t, "Second to last potentially")
        || contains(t, "state was registered at:") || startsWith(t, "Uninit was ")) {
        beginSection(SectionKind::Auxiliary);
        return;
    }
    if (startsWith(t, "INFO: Allocated in ") || startsWith(t, "INFO: Freed in ") || reportlines::isSlubTrack(t)) {
        // mm/slub.c print_track(): "INFO: Allocated in f+0x2b/0x80 age=12 cpu=0 pid=1" (to 5.13,
        // "Allocated in ..." since), the caller itself on the line, its stack (if any) below.
        beginSection(SectionKind::Auxiliary);
        const QByteArrayView rest = t.sliced(t.indexOf(" in ") + 4);
        if (auto f = FrameLineParser::parseSymbol(rest, true))
            addFrame(*f);
        return;
    }
    if (m_r.kind == ReportKind::Kcsan && t.endsWith(':') && contains(t, " to 0x") && contains(t, " by ")) {
        // kernel/kcsan/report.c: "write to 0xffff... of 8 bytes by task 12 on cpu 0:", then
        // "read to ... by interrupt on cpu 1:": the second access's stack is the other side.
        beginSection(m_accessSections++ == 0 ? SectionKind::Primary : SectionKind::Auxiliary);
        m_sawTraceHeader = true;
        return;
    }
    if (startsWith(t, "Register r") && contains(t.first(qMin<qsizetype>(t.size(), 24)), " information:")) {
        // arch/arm/kernel/process.c __show_regs() (6.x): mem_dump_obj() of each register; the
        // stack it may print under it is the object's, not the fault's.
        m_r.registerInfo.append(QString::fromUtf8(t));
        m_inRegisterInfo = true;
        return;
    }
    if (m_inRegisterInfo) {
        if (raw.startsWith(' ') || raw.startsWith('\t')) {
            m_r.registerInfo.append(QString::fromUtf8(t));
            return;
        }
        m_inRegisterInfo = false;
    }
    if (registerFrameLine(t, number))
        return;
    if (m_workFunction.isEmpty() && startsWith(t, "in-flight: ")) {
        // show_pwq(): "in-flight: 5:prudaq_work_fn, 77:other_fn BAR(12)".
        const QByteArrayView rest = t.sliced(11);
        const qsizetype colon = rest.indexOf(':');
        qsizetype e = colon + 1;
        while (colon >= 0 && e < rest.size() && isSymbolChar(rest[e]))
            ++e;
        if (colon >= 0 && e > colon + 1)
            m_workFunction = QString::fromLatin1(rest.sliced(colon + 1, e - colon - 1));
        return;
    }
    if (startsWith(t, "Last Breaking-Event-Address:")) {
        beginSection(SectionKind::Ignored);
        return;
    }
    if (startsWith(t, "Exception stack(")) {
        m_nextExact = true;
        return;
    }
    if (isEndTraceMarker(t) || isPanicLine(t)) {
        m_section = SectionKind::Ignored;
        m_header.line(t, m_lineIndex);
        return;
    }

    if (pcLine(t, number)) {
        m_inRegsAfterTrace = m_sawFrame || m_sawTraceHeader;
        return;
    }
    if (startsWith(t, "Code: ")) {
        if (!m_userRegs && !m_r.code && !m_inRegsAfterTrace)
            m_r.code = parseCode(t.sliced(6));
        return;
    }

    {
        QList<Register> regs;
        if (parseRegisterLine(t, regs)) {
            const bool inTrace = m_sawFrame || m_sawTraceHeader;
            if (regs.size() == 1 && regs[0].name == QLatin1String("CR2") && !m_header.cr2Alone && inTrace)
                m_header.cr2Alone = regs[0].value;
            if (!m_userRegs && !inTrace) {
                for (const Register &reg : regs) {
                    bool have = false;
                    for (const Register &old : m_r.registers)
                        have = have || old.name == reg.name;
                    if (!have)
                        m_r.registers.append(reg);
                    if (reg.name == QLatin1String("x29") || reg.name == QLatin1String("pstate"))
                        noteArch(Arch::Arm64, 1);
                    else if (reg.name == QLatin1String("psr"))
                        noteArch(Arch::Arm, 1);
                    else if (reg.name == QLatin1String("RAX") || reg.name == QLatin1String("R8"))
                        noteArch(Arch::X86_64, 1);
                    else if (reg.name == QLatin1String("EAX"))
                        noteArch(Arch::I386, 1);
                    else if (reg.name == QLatin1String("GPR00") || reg.name == QLatin1String("NIP"))
                        noteArch(Arch::Ppc64, 1);
                }
                // ARM: "pc : [<bf19b018>]" is the address of the "PC is at" frame.
                if (m_pcFrame && !m_pcFrame->address) {
                    for (const Register &reg : regs) {
                        if (reg.name == QLatin1String("pc"))
                            m_pcFrame->address = reg.value;
                    }
                }
                // ... and "lr : [<bf19ca58>]" that of the "LR is at" row.
                for (Frame &rf : m_r.registerFrames) {
                    for (const Register &reg : regs) {
                        if (!rf.address && reg.name == rf.registerName)
                            rf.address = reg.value;
                    }
                }
            }
            return;
        }
    }
    m_userRegs = false;
    m_inRegsAfterTrace = false;

    if (auto parsed = FrameLineParser::parse(t)) {
        // A frame line outside any trace header: the headerless ARM backtrace, or a list of
        // addresses in a lockdep report; both count as the main trace.
        if (parsed->where) {
            noteArch(Arch::Arm, 1);
            Frame where = *parsed->where;
            const bool isEntry = where.function.startsWith(QLatin1String("__irq_"))
                || where.function.startsWith(QLatin1String("__dabt_"))
                || where.function.startsWith(QLatin1String("__pabt_"))
                || where.function.startsWith(QLatin1String("__und_"));
            // The line's own frame is the previous line's "from" part: same address with the
            // unwinder, or the same function (its start address) with frame-pointer backtraces.
            const bool continues = m_section == SectionKind::Primary && !m_primary.isEmpty()
                && (m_primary.back().address == where.address
                    || (!where.function.isEmpty() && m_primary.back().function == where.function));
            if (!continues) {
                // The first line of a trace (or a line after lost ones): its own symbol is the frame.
                // Old kernels print "where" as the function start (+0x0): that is no PC.
                addFrame(where);
            } else if (m_section != SectionKind::Primary) {
                addFrame(where);
            }
            if (isEntry)
                m_nextExact = true;
            addFrame(parsed->frame);
        } else {
            const Frame &f = parsed->frame;
            if (f.function.isEmpty() && m_section == SectionKind::Primary && !m_sawTraceHeader)
                return; // a bare address outside a trace is not worth a frame
            if (f.address && m_archStrength < 0) {
                const bool wide = *f.address > 0xffffffffULL;
                noteArch(wide ? Arch::X86_64 : Arch::I386, 0);
            }
            addFrame(f);
        }
        return;
    }
    m_header.line(t, m_lineIndex);
}

void Parser::finish()
{
    KernelReport &r = m_r;
    if (m_pcFrame && !m_pcPlaced) {
        m_pcPlaced = true;
        m_primary.prepend(*m_pcFrame);
    }
    if (m_interrupted)
        m_primary.append(*m_interrupted);
    r.frames = m_primary.isEmpty() ? m_auxiliary : m_primary;
    if (!r.faultAddress && m_header.cr2Alone)
        r.faultAddress = m_header.cr2Alone;

    const Arch fromRelease = archFromRelease(r.kernelRelease);
    r.arch = fromRelease != Arch::Unknown ? fromRelease : m_arch;

    // The headline's own function ("KASAN: ... in f+0x1/0x2", "WARNING: ... at f.c:1 f+0x1/0x2"):
    // first for the kinds where it is the culprit, else when the trace has none (a report cut
    // short keeps its guilty function).
    std::optional<Frame> headline;
    if (!m_start.headlineSymbol.isEmpty()) {
        headline = FrameLineParser::parseSymbol(m_start.headlineSymbol, false);
        if (headline && GuiltyFrame::isInfrastructure(headline->function))
            headline.reset();
    }
    const int g = GuiltyFrame::find(r.frames, m_start.headlineFirst ? QStringList() : m_header.taintingModules());
    if (headline && (m_start.headlineFirst || g < 0)) {
        r.guiltyFunction = headline->function;
        r.guiltyModule = headline->module;
    } else if (g >= 0) {
        r.guiltyFunction = r.frames[g].function;
        r.guiltyModule = r.frames[g].module;
    } else if (!m_workFunction.isEmpty()) {
        r.guiltyFunction = m_workFunction;
    }
    r.guiltyFunction = GuiltyFrame::displayName(r.guiltyFunction);
    r.title = QString::fromUtf8(m_start.what);
    if (r.title.isEmpty())
        r.title = toString(r.kind); // a headline cut right after its marker names no "what"
    if (!r.guiltyFunction.isEmpty()) {
        r.title += QLatin1String(" in ") + r.guiltyFunction;
        // KCSAN names both sides of the race.
        if (!m_start.secondSymbol.isEmpty()) {
            if (auto other = FrameLineParser::parseSymbol(m_start.secondSymbol, false))
                r.title += QLatin1String(" / ") + GuiltyFrame::displayName(other->function);
        }
    }
}

} // namespace

bool ReportParser::isRegisterLine(QByteArrayView trimmedText)
{
    return reportfields::isRegisterLine(trimmedText);
}

void ReportParser::parse(const ReportStart &start, const QList<Line> &lines, KernelReport &report)
{
    Parser p(start, report);
    for (const Line &l : lines)
        p.line(l.text, l.number);
    p.finish();
}

} // namespace kms
