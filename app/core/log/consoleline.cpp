#include "log/consoleline.h"

#include <cstring>

namespace kms {

namespace {

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// Removes ANSI/VT100 escape sequences (colours from journalctl, terminal captures). CSI and OSC
// sequences are dropped whole; any other ESC drops itself and the next byte.
QByteArrayView stripEscapes(QByteArrayView in, QByteArray &scratch)
{
    scratch.resize(in.size());
    char *out = scratch.data();
    const char *p = in.data();
    const char *const end = p + in.size();
    while (p != end) {
        if (*p != '\x1b') {
            *out++ = *p++;
            continue;
        }
        ++p;
        if (p == end)
            break;
        if (*p == '[') {
            ++p;
            while (p != end && !(static_cast<unsigned char>(*p) >= 0x40 && static_cast<unsigned char>(*p) <= 0x7e))
                ++p;
            if (p != end)
                ++p;
        } else if (*p == ']') {
            ++p;
            while (p != end && *p != '\a' && *p != '\x1b')
                ++p;
            if (p != end) {
                if (*p == '\x1b' && p + 1 != end)
                    ++p;
                ++p;
            }
        } else {
            ++p;
        }
    }
    return QByteArrayView(scratch.constData(), out - scratch.constData());
}

// Reads digits at s[i..]; returns the count read.
qsizetype readNumber(QByteArrayView s, qsizetype i, qint64 *value)
{
    qsizetype n = 0;
    qint64 v = 0;
    while (i + n < s.size() && isDigit(s[i + n]) && n < 18) {
        v = v * 10 + (s[i + n] - '0');
        ++n;
    }
    if (value)
        *value = v;
    return n;
}

// "[T123]", "[ C1]" at s[i], with or without padding: returns the length consumed or 0.
qsizetype readCallerBracket(QByteArrayView s, qsizetype i, QByteArrayView *caller)
{
    if (i >= s.size() || s[i] != '[')
        return 0;
    qsizetype j = i + 1;
    while (j < s.size() && s[j] == ' ')
        ++j;
    if (j >= s.size() || (s[j] != 'T' && s[j] != 'C'))
        return 0;
    const qsizetype start = j;
    const qsizetype digits = readNumber(s, j + 1, nullptr);
    if (digits == 0 || j + 1 + digits >= s.size() || s[j + 1 + digits] != ']')
        return 0;
    *caller = s.sliced(start, 1 + digits);
    return j + 1 + digits + 1 - i;
}

// "[  942.541300]" or "[942.541300 T12]" at s[i]: returns the length consumed or 0.
qsizetype readTimestamp(QByteArrayView s, qsizetype i, ConsoleLine &line)
{
    qsizetype j = i + 1;
    while (j < s.size() && s[j] == ' ')
        ++j;
    qint64 secs = 0;
    const qsizetype intDigits = readNumber(s, j, &secs);
    if (intDigits == 0)
        return 0;
    j += intDigits;
    if (j >= s.size() || s[j] != '.')
        return 0;
    ++j;
    qint64 frac = 0;
    const qsizetype fracDigits = readNumber(s, j, &frac);
    if (fracDigits == 0)
        return 0;
    j += fracDigits;
    if (j < s.size() && s[j] == ' ') {
        // A caller id printed inside the timestamp bracket.
        qsizetype k = j;
        while (k < s.size() && s[k] == ' ')
            ++k;
        if (k < s.size() && (s[k] == 'T' || s[k] == 'C')) {
            const qsizetype d = readNumber(s, k + 1, nullptr);
            if (d > 0) {
                line.caller = s.sliced(k, 1 + d);
                j = k + 1 + d;
            }
        }
    }
    if (j >= s.size() || s[j] != ']')
        return 0;
    double scale = 1.0;
    for (qsizetype d = 0; d < fracDigits; ++d)
        scale *= 10.0;
    line.timestamp = static_cast<double>(secs) + static_cast<double>(frac) / scale;
    return j + 1 - i;
}

// "6,1234,5678901,-;text" and "6,1234,5678901,-,caller=T12;text" (/dev/kmsg records).
qsizetype readKmsgRecord(QByteArrayView s, ConsoleLine &line)
{
    qint64 prefix = 0;
    qsizetype j = readNumber(s, 0, &prefix);
    if (j == 0 || j >= s.size() || s[j] != ',')
        return 0;
    ++j;
    const qsizetype seq = readNumber(s, j, nullptr);
    if (seq == 0 || j + seq >= s.size() || s[j + seq] != ',')
        return 0;
    j += seq + 1;
    qint64 usec = 0;
    const qsizetype ts = readNumber(s, j, &usec);
    if (ts == 0 || j + ts >= s.size() || s[j + ts] != ',')
        return 0;
    j += ts + 1;
    const qsizetype fieldsStart = j;
    // The flags field and optional extra fields, up to the ';' (within a short distance: a
    // plain message that happens to start with digits and commas has no ';' nearby).
    while (j < s.size() && s[j] != ';' && j - fieldsStart < 64)
        ++j;
    if (j >= s.size() || s[j] != ';')
        return 0;
    const QByteArrayView fields = s.sliced(fieldsStart, j - fieldsStart);
    const qsizetype callerAt = fields.indexOf(QByteArrayView("caller="));
    if (callerAt >= 0) {
        qsizetype e = callerAt + 7;
        while (e < fields.size() && fields[e] != ',')
            ++e;
        line.caller = fields.sliced(callerAt + 7, e - callerAt - 7);
    }
    line.level = static_cast<int>(prefix & 7);
    line.timestamp = static_cast<double>(usec) / 1e6;
    return j + 1;
}

bool isMonth(QByteArrayView s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (s.size() < 3)
        return false;
    for (int m = 0; m < 12; ++m) {
        if (std::memcmp(months + 3 * m, s.data(), 3) == 0)
            return true;
    }
    return false;
}

// "HH:MM:SS" at s[i]; returns the length (8, or more with fractions) or 0.
qsizetype readClock(QByteArrayView s, qsizetype i)
{
    if (i + 8 > s.size())
        return 0;
    const char *c = s.data() + i;
    if (!(isDigit(c[0]) && isDigit(c[1]) && c[2] == ':' && isDigit(c[3]) && isDigit(c[4]) && c[5] == ':'
          && isDigit(c[6]) && isDigit(c[7])))
        return 0;
    return 8;
}

qsizetype skipSpaces(QByteArrayView s, qsizetype i)
{
    while (i < s.size() && s[i] == ' ')
        ++i;
    return i;
}

qsizetype skipToken(QByteArrayView s, qsizetype i)
{
    while (i < s.size() && s[i] != ' ')
        ++i;
    return i;
}

// After the date: " host tag: text". Fills host/fromKernel; returns the offset of text or 0.
qsizetype readSyslogHostTag(QByteArrayView s, qsizetype i, ConsoleLine &line)
{
    if (i >= s.size() || s[i] != ' ')
        return 0;
    i = skipSpaces(s, i);
    const qsizetype hostStart = i;
    i = skipToken(s, i);
    if (i == hostStart || i >= s.size())
        return 0;
    const QByteArrayView host = s.sliced(hostStart, i - hostStart);
    i = skipSpaces(s, i);
    const qsizetype tagStart = i;
    // The tag ends at the first ": " (programs print "name[pid]: ").
    while (i < s.size() && s[i] != ':' && s[i] != ' ')
        ++i;
    if (i >= s.size() || s[i] != ':')
        return 0;
    const QByteArrayView tag = s.sliced(tagStart, i - tagStart);
    line.host = host;
    line.fromKernel = tag == QByteArrayView("kernel");
    ++i;
    if (i < s.size() && s[i] == ' ')
        ++i;
    return i;
}

// "Mar  3 10:00:00 host kernel: " (BSD syslog, journalctl short) or
// "2024-03-03T10:00:00.123456+01:00 host kernel: " (RFC 3339, journalctl short-iso).
qsizetype readSyslogPrefix(QByteArrayView s, ConsoleLine &line)
{
    if (s.size() < 16)
        return 0;
    if (isMonth(s) && s[3] == ' ') {
        qsizetype i = skipSpaces(s, 4);
        const qsizetype day = readNumber(s, i, nullptr);
        if (day == 0 || day > 2 || i + day >= s.size() || s[i + day] != ' ')
            return 0;
        i += day + 1;
        const qsizetype clock = readClock(s, i);
        if (clock == 0)
            return 0;
        return readSyslogHostTag(s, i + clock, line);
    }
    if (isDigit(s[0]) && s.size() > 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && readClock(s, 11) != 0) {
        const qsizetype i = skipToken(s, 19);
        return readSyslogHostTag(s, i, line);
    }
    return 0;
}

// A shell prompt at the start of s: "root@node:~# ", "debian@bbb:/opt$ ", "[root@node ~]# ".
// Returns its length or 0. A prompt is printed without a newline; on a serial console the
// kernel's next line then follows it on the same physical line.
qsizetype readShellPrompt(QByteArrayView s)
{
    const qsizetype limit = qMin<qsizetype>(s.size(), 160);
    const char *p = s.data();
    const bool bracket = limit > 0 && p[0] == '[';
    qsizetype at = -1;
    for (qsizetype i = bracket ? 1 : 0; i + 1 < limit; ++i) {
        const char c = p[i];
        if (c == '@' && at < 0 && i > (bracket ? 1 : 0)) {
            at = i;
        } else if ((c == '#' || c == '$') && p[i + 1] == ' ' && at >= 0 && i > at + 1) {
            if (bracket && p[i - 1] != ']')
                return 0;
            return i + 2;
        } else if (c == ' ' && !bracket) {
            return 0; // "user@host:path" holds no space outside brackets
        } else if (at < 0
                   && !(isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'
                        || c == '.')) {
            return 0; // a user name
        }
    }
    return 0;
}

// A printk timestamp that does not start the line: "root@node:~# [   12.345678] BUG: ...". Only
// the kernel's own form (six fraction digits) counts, so that a bracketed number in a
// program's output is not taken for one. Returns its offset or -1.
qsizetype findEmbeddedTimestamp(QByteArrayView s)
{
    const char *const begin = s.data();
    const char *const end = begin + s.size();
    const char *p = begin + 1;
    while (p < end) {
        const void *b = std::memchr(p, '[', static_cast<size_t>(end - p));
        if (!b)
            return -1;
        const qsizetype i = static_cast<const char *>(b) - begin;
        ConsoleLine probe;
        const qsizetype n = readTimestamp(s, i, probe);
        if (n > 0) {
            const qsizetype dot = s.sliced(i, n).indexOf('.');
            qsizetype frac = 0;
            while (dot >= 0 && i + dot + 1 + frac < s.size() && isDigit(s[i + dot + 1 + frac]))
                ++frac;
            if (frac == 6 && (i + n == s.size() || s[i + n] == ' '))
                return i;
        }
        p = static_cast<const char *>(b) + 1;
    }
    return -1;
}

} // namespace

ConsoleLine parseConsoleLine(QByteArrayView raw, QByteArray &scratch)
{
    ConsoleLine line;
    QByteArrayView s = raw;
    if (!s.isEmpty() && std::memchr(s.data(), '\x1b', static_cast<size_t>(s.size())))
        s = stripEscapes(s, scratch);

    if (!s.isEmpty() && (isMonth(s) || (isDigit(s[0]) && s.size() > 20 && s[4] == '-'))) {
        if (const qsizetype n = readSyslogPrefix(s, line))
            s = s.sliced(n);
    }
    if (!s.isEmpty() && isDigit(s[0])) {
        if (const qsizetype n = readKmsgRecord(s, line)) {
            line.text = s.sliced(n);
            return line;
        }
    }
    if (s.size() >= 3 && s[0] == '<' && isDigit(s[1])) {
        qint64 level = 0;
        const qsizetype d = readNumber(s, 1, &level);
        if (d <= 3 && 1 + d < s.size() && s[1 + d] == '>') {
            line.level = static_cast<int>(level & 7);
            s = s.sliced(2 + d);
        }
    }
    // "[  942.541300]", "[T12]", "[  942.541300][  T12]": the length, 0 when s has none.
    const auto readPrintkPrefix = [&line](QByteArrayView v) -> qsizetype {
        if (v.isEmpty() || v[0] != '[')
            return 0;
        qsizetype len = readTimestamp(v, 0, line);
        if (len == 0)
            len = readCallerBracket(v, 0, &line.caller);
        else if (line.caller.isEmpty())
            len += readCallerBracket(v, len, &line.caller);
        return len;
    };
    qsizetype n = readPrintkPrefix(s);
    if (n == 0 && !s.isEmpty() && line.host.isEmpty()) {
        // Something without a newline before the kernel's line: the node's shell prompt, or a
        // program's partial output on the same UART.
        qsizetype at = findEmbeddedTimestamp(s);
        if (at < 0)
            at = readShellPrompt(s);
        if (at > 0) {
            line.leading = s.first(at);
            s = s.sliced(at);
            n = readPrintkPrefix(s);
        }
    }
    if (n > 0) {
        s = s.sliced(n);
        if (!s.isEmpty() && s[0] == ' ')
            s = s.sliced(1);
    }
    line.text = s;
    return line;
}

} // namespace kms
