// Byte-view helpers shared by the report detector and parser: the hot path works on the raw
// bytes of a console line and converts to QString only for what ends up in a report.
#pragma once

#include <QByteArrayView>

#include <cstdint>
#include <optional>

namespace kms::bytes {

inline bool isSpace(char c)
{
    return c == ' ' || c == '\t';
}
inline bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}
inline bool isHex(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool isAlpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// Characters of a kernel symbol name as kallsyms prints them ("func.isra.0", "__x64_sys_foo").
inline bool isSymbolChar(char c)
{
    return isAlpha(c) || isDigit(c) || c == '_' || c == '.' || c == '$';
}

// These run on every byte of the input: they index the raw data rather than through
// QByteArrayView::operator[], whose bounds assertion is a call of its own in debug and
// sanitizer builds (the bounds are the loops' own).
inline QByteArrayView trimmed(QByteArrayView s)
{
    const char *p = s.data();
    qsizetype b = 0;
    qsizetype e = s.size();
    while (b < e && (isSpace(p[b]) || p[b] == '\r'))
        ++b;
    while (e > b && (isSpace(p[e - 1]) || p[e - 1] == '\r'))
        --e;
    return QByteArrayView(p + b, e - b);
}

inline QByteArrayView trimmedLeft(QByteArrayView s)
{
    const char *p = s.data();
    qsizetype b = 0;
    while (b < s.size() && isSpace(p[b]))
        ++b;
    return QByteArrayView(p + b, s.size() - b);
}

template<qsizetype N> inline bool startsWith(QByteArrayView s, const char (&lit)[N])
{
    // A loop, not memcmp(): the literals are short, most lines differ in the first byte, and
    // sanitizer builds intercept every memcmp() call.
    constexpr qsizetype n = N - 1;
    if (s.size() < n)
        return false;
    const char *p = s.data();
    for (qsizetype i = 0; i < n; ++i) {
        if (p[i] != lit[i])
            return false;
    }
    return true;
}

template<qsizetype N> inline bool contains(QByteArrayView s, const char (&lit)[N])
{
    return s.indexOf(QByteArrayView(lit, N - 1)) >= 0;
}

// Parses hex digits (an optional "0x" prefix allowed) at the start of s; the count of bytes
// consumed goes to *used. Values longer than 16 digits are rejected.
inline std::optional<std::uint64_t> parseHex(QByteArrayView s, qsizetype *used = nullptr)
{
    const char *p = s.data();
    qsizetype i = 0;
    if (s.size() >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        i = 2;
    const qsizetype start = i;
    std::uint64_t v = 0;
    while (i < s.size() && isHex(p[i])) {
        if (i - start >= 16)
            return std::nullopt;
        const char c = p[i];
        const unsigned d = isDigit(c) ? unsigned(c - '0') : unsigned((c | 0x20) - 'a' + 10);
        v = (v << 4) | d;
        ++i;
    }
    if (i == start)
        return std::nullopt;
    if (used)
        *used = i;
    return v;
}

inline std::optional<long long> parseDecimal(QByteArrayView s, qsizetype *used = nullptr)
{
    const char *p = s.data();
    qsizetype i = 0;
    long long v = 0;
    while (i < s.size() && isDigit(p[i]) && i < 18) {
        v = v * 10 + (p[i] - '0');
        ++i;
    }
    if (i == 0)
        return std::nullopt;
    if (used)
        *used = i;
    return v;
}

// The text after the first occurrence of key, or an empty view (with found=false).
inline QByteArrayView after(QByteArrayView s, QByteArrayView key, bool *found = nullptr)
{
    const qsizetype at = s.indexOf(key);
    if (found)
        *found = at >= 0;
    if (at < 0)
        return {};
    return s.sliced(at + key.size());
}

} // namespace kms::bytes
