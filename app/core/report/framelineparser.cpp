#include "report/framelineparser.h"

#include "report/bytes.h"

namespace kms {

using namespace kms::bytes;

namespace {

// "[<bf19b018>]" or "[<bf19b018>]" with spaces, or "[c000000010f930b0]": returns the length
// consumed (0 when s does not start with one).
qsizetype readBracketAddress(QByteArrayView s, std::uint64_t *address)
{
    if (s.size() < 3 || s[0] != '[')
        return 0;
    qsizetype i = 1;
    const bool angle = s[i] == '<';
    if (angle)
        ++i;
    while (i < s.size() && s[i] == ' ')
        ++i;
    qsizetype used = 0;
    const auto v = parseHex(s.sliced(i), &used);
    if (!v)
        return 0;
    i += used;
    if (angle) {
        if (i >= s.size() || s[i] != '>')
            return 0;
        ++i;
    }
    if (i >= s.size() || s[i] != ']')
        return 0;
    *address = *v;
    return i + 1;
}

// "[mod]" or "[mod buildid]" at the start of s (after spaces); returns the length consumed.
qsizetype readModule(QByteArrayView s, FrameLineParser::FrameView &f)
{
    qsizetype i = 0;
    while (i < s.size() && s[i] == ' ')
        ++i;
    if (i >= s.size() || s[i] != '[')
        return 0;
    const qsizetype close = s.indexOf(']', i);
    if (close < 0)
        return 0;
    const QByteArrayView inner = trimmed(s.sliced(i + 1, close - i - 1));
    if (inner.isEmpty() || inner == QByteArrayView("inline"))
        return 0;
    const qsizetype space = inner.indexOf(' ');
    const QByteArrayView name = space < 0 ? inner : inner.first(space);
    for (char c : name) {
        if (!isSymbolChar(c) && c != '-')
            return 0;
    }
    f.module = name;
    if (space >= 0) {
        const QByteArrayView id = trimmed(inner.sliced(space + 1));
        for (char c : id) {
            if (!isHex(c))
                return 0;
        }
        f.buildId = id;
    }
    return close + 1;
}

// The function name as kallsyms prints it. ppc64's ELFv1 dot symbols (".eeh_dev_check_failure")
// name the code entry of the function descriptor; the plain name is what users and
// satyr/abrt call the function.
QByteArrayView functionName(QByteArrayView name)
{
    if (name.size() > 1 && name[0] == '.')
        name = name.sliced(1);
    return name;
}

} // namespace

Frame FrameLineParser::FrameView::toFrame() const
{
    Frame f;
    if (!function.isEmpty())
        f.function = QString::fromLatin1(function);
    f.offset = offset;
    f.size = size;
    if (!module.isEmpty())
        f.module = QString::fromLatin1(module);
    if (!buildId.isEmpty())
        f.buildId = QString::fromLatin1(buildId).toLower();
    f.address = address;
    f.reliable = reliable;
    f.exactPc = exactPc;
    return f;
}

std::optional<Frame> FrameLineParser::parseSymbol(QByteArrayView text, bool requireOffset)
{
    if (const auto v = parseSymbolView(text, requireOffset))
        return v->toFrame();
    return std::nullopt;
}

std::optional<FrameLineParser::Result> FrameLineParser::parse(QByteArrayView line)
{
    const auto v = parseView(line);
    if (!v)
        return std::nullopt;
    Result r;
    if (v->where)
        r.where = v->where->toFrame();
    r.frame = v->frame.toFrame();
    return r;
}

std::optional<FrameLineParser::FrameView> FrameLineParser::parseSymbolView(QByteArrayView text, bool requireOffset)
{
    QByteArrayView s = trimmedLeft(text);
    FrameView f;
    // 2.6.2x printed module symbols as ":mod:func+0x90/0x302".
    if (s.size() > 2 && s[0] == ':') {
        const qsizetype colon = s.indexOf(':', 1);
        if (colon > 1) {
            f.module = s.sliced(1, colon - 1);
            s = s.sliced(colon + 1);
        }
    }
    qsizetype n = 0;
    while (n < s.size() && isSymbolChar(s[n]))
        ++n;
    if (n == 0 || isDigit(s[0]))
        return std::nullopt;
    const QByteArrayView name = s.first(n);
    // A lone dot or a run of them is no symbol (ppc64 prints one dot before a function name).
    if (name == QByteArrayView(".") || name.startsWith(".."))
        return std::nullopt;
    f.function = functionName(name);
    s = s.sliced(n);
    if (s.startsWith('+')) {
        qsizetype used = 0;
        const auto off = parseHex(s.sliced(1), &used);
        if (!off)
            return std::nullopt;
        f.offset = *off;
        s = s.sliced(1 + used);
        if (s.startsWith('/')) {
            const auto size = parseHex(s.sliced(1), &used);
            if (!size)
                return std::nullopt;
            f.size = *size;
            s = s.sliced(1 + used);
        }
    } else if (requireOffset) {
        return std::nullopt;
    }
    if (!s.isEmpty() && s[0] != ' ' && s[0] != ')' && s[0] != '\t')
        return std::nullopt;
    s = s.sliced(readModule(s, f));
    return f;
}

std::optional<FrameLineParser::ResultView> FrameLineParser::parseView(QByteArrayView line)
{
    QByteArrayView s = line;
    if (s.isEmpty())
        return std::nullopt;
    const char c0 = s[0];
    if (!(c0 == '[' || c0 == '(' || c0 == '?' || c0 == '_' || c0 == '.' || c0 == ':' || isAlpha(c0) || c0 == '0'))
        return std::nullopt;

    ResultView r;
    // s390x prints the first entry, taken from r14, in parentheses.
    if (startsWith(s, "([<")) {
        s = s.sliced(1);
        if (s.endsWith(')'))
            s.chop(1);
    }

    std::uint64_t addresses[2] = {};
    int addressCount = 0;
    while (addressCount < 2 && s.startsWith('[')) {
        std::uint64_t a = 0;
        const qsizetype used = readBracketAddress(s, &a);
        if (used == 0)
            break;
        addresses[addressCount++] = a;
        s = trimmedLeft(s.sliced(used));
    }

    // ARM32: "[<where>] (f [mod]) from [<from>] (g+0x9c/0x374 [mod])".
    if (addressCount == 1 && s.startsWith('(')) {
        const qsizetype close = s.indexOf(") from [");
        if (close < 0)
            return std::nullopt;
        auto where = parseSymbolView(s.sliced(1, close - 1), false);
        if (!where)
            return std::nullopt;
        where->address = addresses[0];
        s = s.sliced(close + 7);
        std::uint64_t from = 0;
        const qsizetype used = readBracketAddress(s, &from);
        if (used == 0)
            return std::nullopt;
        s = trimmedLeft(s.sliced(used));
        if (!s.startsWith('('))
            return std::nullopt;
        const qsizetype end = s.lastIndexOf(')');
        if (end < 1)
            return std::nullopt;
        auto frame = parseSymbolView(s.sliced(1, end - 1), false);
        if (!frame) {
            // A return address with no symbol: "(0xbf000000)" or nothing at all.
            frame = FrameView{};
        }
        frame->address = from;
        r.where = *where;
        r.frame = *frame;
        return r;
    }

    // ARM32 since 5.x (no addresses printed): "f [mod] from g+0x88/0x4c8 [mod]".
    if (addressCount == 0) {
        const qsizetype from = s.indexOf(QByteArrayView(" from "));
        if (from > 0) {
            auto where = parseSymbolView(s.first(from), false);
            auto frame = parseSymbolView(trimmedLeft(s.sliced(from + 6)), true);
            if (where && frame && !where->offset) {
                r.where = *where;
                r.frame = *frame;
                return r;
            }
        }
    }

    bool unreliable = false;
    if (s.startsWith('?')) {
        unreliable = true;
        s = trimmedLeft(s.sliced(1));
    }
    std::optional<FrameView> f;
    if (startsWith(s, "0x")) {
        qsizetype used = 0;
        const auto a = parseHex(s, &used);
        if (!a || (used < s.size() && s[used] != ' '))
            return std::nullopt;
        f = FrameView{};
        f->address = *a;
    } else {
        f = parseSymbolView(s, true);
        if (!f) {
            // "[<0000004e15e926dc>] 0x4e15e926dc" handled above; "[<addr>]" alone is a frame
            // whose symbol could not be printed.
            if (addressCount == 0 || !s.isEmpty())
                return std::nullopt;
            f = FrameView{};
        }
    }
    if (addressCount > 0)
        f->address = addresses[addressCount - 1];
    f->reliable = !unreliable;
    if (s.endsWith(QByteArrayView("(unreliable)")))
        f->reliable = false;
    else if (s.endsWith(QByteArrayView(" (P)")))
        f->exactPc = true;
    r.frame = *f;
    return r;
}

} // namespace kms
