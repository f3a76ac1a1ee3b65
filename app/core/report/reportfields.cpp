#include "report/reportfields.h"

#include "report/bytes.h"

namespace kms::reportfields {

using namespace kms::bytes;

namespace {

std::optional<std::uint64_t> hexAfter(QByteArrayView s, QByteArrayView key)
{
    bool found = false;
    const QByteArrayView rest = trimmedLeft(after(s, key, &found));
    if (!found)
        return std::nullopt;
    return parseHex(rest);
}

} // namespace

// Architecture evidence, strongest first: the release string, then formats only one
// architecture prints.
Arch archFromRelease(const QString &release)
{
    if (release.contains(QLatin1String("x86_64")) || release.endsWith(QLatin1String("amd64")))
        return Arch::X86_64;
    if (release.contains(QLatin1String("i686")) || release.contains(QLatin1String("i586"))
        || release.contains(QLatin1String("i386")) || release.endsWith(QLatin1String("686-pae")))
        return Arch::I386;
    if (release.contains(QLatin1String("ppc64")))
        return Arch::Ppc64;
    if (release.contains(QLatin1String("s390x")))
        return Arch::S390x;
    if (release.contains(QLatin1String("aarch64")) || release.endsWith(QLatin1String("arm64")))
        return Arch::Arm64;
    if (release.contains(QLatin1String("armv7")) || release.endsWith(QLatin1String("armmp"))
        || release.endsWith(QLatin1String("armmp-lpae")))
        return Arch::Arm;
    if (release.contains(QLatin1String("riscv64")))
        return Arch::Riscv64;
    return Arch::Unknown;
}

// One "NAME: value" pair list such as "RAX: 000000000000002b RBX: 00000000000000b0",
// "r10: bf19f45c  r9 : bf19f418", "pc : [<bf19b018>]    lr : [<bf19ca58>]    psr: 20000193",
// "RSP: 0018:ffffbd14406cbed8", "FS: 00007f37d424a740(0000) GS:ffff94b8bda00000(0000)",
// "GPR00: c000000008068df8 c000000010f930b0 ...". Returns false (and adds nothing) for any
// other line.
namespace {

// out == nullptr: only tells whether s is a register line, without building the names (the
// detector asks this of every line after a trace).
bool registersIn(QByteArrayView s, QList<Register> *out)
{
    QList<Register> regs;
    int count = 0;
    qsizetype i = 0;
    const qsizetype n = s.size();
    while (i < n) {
        while (i < n && isSpace(s[i]))
            ++i;
        if (i >= n)
            break;
        const qsizetype nameStart = i;
        if (!isAlpha(s[i]))
            return false;
        while (i < n && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '_'))
            ++i;
        const QByteArrayView name = s.sliced(nameStart, i - nameStart);
        if (name.size() > 9)
            return false;
        // "fb00: 00000006 d9535b58 ..." is an ARM stack dump line, not a register.
        if (name.size() == 4 && isHex(name[0]) && isHex(name[1]) && isHex(name[2]) && isHex(name[3]))
            return false;
        // ARM pads short names: "r9 :", "pc :".
        qsizetype j = i;
        while (j < n && s[j] == ' ' && j - i < 2)
            ++j;
        if (j >= n || s[j] != ':')
            return false;
        i = j + 1;
        while (i < n && isSpace(s[i]))
            ++i;
        int index = 0;
        bool any = false;
        while (i < n) {
            std::uint64_t value = 0;
            qsizetype used = 0;
            const qsizetype valueStart = i;
            if (startsWith(s.sliced(i), "[<")) {
                const qsizetype close = s.indexOf(">]", i);
                if (close < 0)
                    return false;
                const auto v = parseHex(s.sliced(i + 2, close - i - 2));
                if (!v)
                    return false;
                value = *v;
                i = close + 2;
            } else {
                const auto v = parseHex(s.sliced(i), &used);
                if (!v)
                    break;
                qsizetype k = i + used;
                // Followed by ':' and more hex: a segment:offset pair ("0018:ffffbd14406cbed8"),
                // or the next register name when the token was a name ("CR2:").
                if (k < n && s[k] == ':') {
                    const auto off = parseHex(s.sliced(k + 1), &used);
                    if (!off || used < 4)
                        break; // it was the next name, e.g. "CR0:" - handled by the outer loop
                    value = *off;
                    k = k + 1 + used;
                } else {
                    value = *v;
                }
                if (k < n && s[k] == '(') { // "(0000)" selector after FS/GS
                    const qsizetype close = s.indexOf(')', k);
                    if (close < 0)
                        return false;
                    k = close + 1;
                }
                if (k < n && !isSpace(s[k]))
                    return false;
                i = k;
            }
            ++count;
            if (out) {
                QString regName = QString::fromLatin1(name);
                if (index > 0) {
                    // ppc "GPR00: r0 r1 r2 r3" names its first register only.
                    qsizetype digits = 0;
                    while (digits < name.size() && isDigit(name[name.size() - 1 - digits]))
                        ++digits;
                    if (digits > 0) {
                        const int base = name.sliced(name.size() - digits).toInt();
                        regName = QString::fromLatin1(name.first(name.size() - digits))
                            + QStringLiteral("%1").arg(base + index, int(digits), 10, QLatin1Char('0'));
                    } else {
                        regName += QStringLiteral("[%1]").arg(index);
                    }
                }
                regs.append(Register{regName, value, QString::fromLatin1(s.sliced(valueStart, i - valueStart))});
            }
            ++index;
            any = true;
            while (i < n && isSpace(s[i]))
                ++i;
            // Another name follows when the next token is not pure hex.
            qsizetype k = i;
            while (k < n && isHex(s[k]))
                ++k;
            if (k < n && !isSpace(s[k]))
                break;
        }
        if (!any)
            return false;
    }
    if (count == 0)
        return false;
    if (out)
        out->append(regs);
    return true;
}

} // namespace

bool parseRegisterLine(QByteArrayView s, QList<Register> &out)
{
    return registersIn(s, &out);
}

bool isRegisterLine(QByteArrayView s)
{
    return registersIn(s, nullptr);
}

std::optional<CodeBytes> parseCode(QByteArrayView s)
{
    CodeBytes code;
    const QList<QByteArrayView> tokens = [&] {
        QList<QByteArrayView> t;
        qsizetype i = 0;
        while (i < s.size()) {
            while (i < s.size() && isSpace(s[i]))
                ++i;
            const qsizetype b = i;
            while (i < s.size() && !isSpace(s[i]))
                ++i;
            if (i > b)
                t.append(s.sliced(b, i - b));
        }
        return t;
    }();
    int unit = 0;
    for (QByteArrayView tok : tokens) {
        bool trap = false;
        if (tok.size() >= 2
            && ((tok.front() == '<' && tok.back() == '>') || (tok.front() == '(' && tok.back() == ')'))) {
            trap = true;
            tok = tok.sliced(1, tok.size() - 2);
        }
        if (tok.size() != 2 && tok.size() != 4 && tok.size() != 8)
            return std::nullopt;
        for (char c : tok) {
            if (!isHex(c))
                return std::nullopt;
        }
        if (unit == 0)
            unit = int(tok.size());
        if (tok.size() != unit)
            return std::nullopt;
        if (trap && code.trapIndex < 0)
            code.trapIndex = int(code.bytes.size());
        const std::uint64_t v = *parseHex(tok);
        // Words and halfwords are printed as numbers; a little-endian CPU holds them low byte first.
        for (int b = 0; b < unit / 2; ++b)
            code.bytes.append(char((v >> (8 * b)) & 0xff));
    }
    if (code.bytes.isEmpty())
        return std::nullopt;
    code.thumb = unit == 4;
    return code;
}

std::optional<std::uint64_t> faultAddressIn(QByteArrayView t)
{
    static constexpr const char *keys[] = {
        "at virtual address ",
        "dereference, address: ",
        "for address: ",
        "dereference at ",
        "paging request at ",
        "for data at address ",
        "Read of size",
        "Write of size",
        "Failing address: ",
        "non-canonical address ",
        "kernel paging request at ",
    };
    if (t.startsWith(QByteArrayView("Unhandled fault: ")))
        return hexAfter(t, ") at ");
    // Every key but the KASAN ones names an "address" or ends in " at ": two scans settle most
    // header lines instead of one per key.
    if (!t.startsWith(QByteArrayView("Read of size")) && !t.startsWith(QByteArrayView("Write of size"))
        && !contains(t, "address") && !contains(t, " at "))
        return std::nullopt;
    for (const char *k : keys) {
        const QByteArrayView key(k);
        if (key.startsWith("Read") || key.startsWith("Write")) {
            if (t.startsWith(key)) {
                if (auto v = hexAfter(t, " at addr "))
                    return v;
            }
            continue;
        }
        if (auto v = hexAfter(t, key))
            return v;
    }
    return std::nullopt;
}

bool isReleaseToken(QByteArrayView tok)
{
    return !tok.isEmpty() && isDigit(tok[0]) && tok.indexOf('.') > 0;
}

} // namespace kms::reportfields
