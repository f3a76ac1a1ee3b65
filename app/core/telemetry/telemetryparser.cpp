#include "telemetry/telemetryparser.h"

#include <QSet>

#include <charconv>
#include <cmath>

namespace kms::telemetry {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool isKeyStart(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool isKeyChar(char c)
{
    return isKeyStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// t_ns: a non-negative decimal integer that fits comfortably in qint64 (2^62 ns is 146 years).
std::optional<qint64> parseTime(QByteArrayView text)
{
    if (text.isEmpty() || text.size() > 19)
        return std::nullopt;
    qint64 v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > (qint64(1) << 62))
        return std::nullopt;
    return v;
}

} // namespace

TelemetryParseStats &TelemetryParseStats::operator+=(const TelemetryParseStats &o)
{
    lines += o.lines;
    sets += o.sets;
    garbage += o.garbage;
    badTokens += o.badTokens;
    missingTime += o.missingTime;
    badValues += o.badValues;
    duplicateKeys += o.duplicateKeys;
    backwards += o.backwards;
    epochs += o.epochs;
    return *this;
}

QString TelemetryParseStats::summary() const
{
    return QStringLiteral("lines=%1 sets=%2 garbage=%3 bad_tokens=%4 missing_t_ns=%5 bad_values=%6 "
                          "duplicate_keys=%7 backwards=%8 epochs=%9")
        .arg(lines)
        .arg(sets)
        .arg(garbage)
        .arg(badTokens)
        .arg(missingTime)
        .arg(badValues)
        .arg(duplicateKeys)
        .arg(backwards)
        .arg(epochs);
}

bool isValidTelemetryKey(QByteArrayView key)
{
    if (key.isEmpty() || key.size() > maxTelemetryKey || !isKeyStart(key.front()))
        return false;
    for (char c : key) {
        if (!isKeyChar(c))
            return false;
    }
    return true;
}

std::optional<double> parseTelemetryNumber(QByteArrayView text)
{
    if (text.startsWith('+'))
        text = text.sliced(1);
    if (text.isEmpty() || text.size() > 64)
        return std::nullopt;
    // from_chars also takes "nan", "inf" and hex floats: a source that prints those is broken.
    const char c0 = text.front() == '-' && text.size() > 1 ? text[1] : text.front();
    if (!((c0 >= '0' && c0 <= '9') || c0 == '.'))
        return std::nullopt;
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)
        || std::fabs(v) > maxTelemetryMagnitude)
        return std::nullopt;
    return v;
}

TelemetryParser::Result TelemetryParser::parseLine(QByteArrayView line, TelemetrySet *out,
                                                   std::optional<qint64> fallbackTNs)
{
    ++m_stats.lines;
    if (line.size() > maxTelemetryLine) {
        ++m_stats.garbage;
        return Result::Dropped;
    }
    out->source = m_source;
    out->values.clear();
    std::optional<qint64> tNs;
    bool first = true;
    bool timeBad = false;
    bool allHits = true;
    int tokens = 0;
    qsizetype pos = 0;
    const qsizetype n = line.size();
    while (pos < n) {
        while (pos < n && isSpace(line[pos]))
            ++pos;
        const qsizetype start = pos;
        while (pos < n && !isSpace(line[pos]))
            ++pos;
        if (pos == start)
            break;
        const QByteArrayView token = line.sliced(start, pos - start);
        const qsizetype eq = token.indexOf('=');
        const QByteArrayView key = eq > 0 ? token.first(eq) : QByteArrayView();
        if (eq <= 0 || !isValidTelemetryKey(key)) {
            ++m_stats.badTokens;
            first = false;
            continue;
        }
        ++tokens;
        const QByteArrayView value = token.sliced(eq + 1);
        if (key == "t_ns") {
            // The contract puts t_ns first; a later t_ns is a value like any other would be
            // confusing, so it only counts as the time where it belongs.
            if (!first || tNs) {
                ++m_stats.duplicateKeys;
            } else if (!(tNs = parseTime(value))) {
                timeBad = true;
            }
            first = false;
            continue;
        }
        first = false;
        const std::optional<double> v = parseTelemetryNumber(value);
        if (!v) {
            ++m_stats.badValues;
            continue;
        }
        if (out->values.size() >= maxValuesPerSet) {
            ++m_stats.badTokens;
            continue;
        }
        const qsizetype slot = out->values.size();
        if (allHits && slot < m_lastKeys.size() && QByteArrayView(m_lastKeys[slot].first) == key) {
            out->values.append({m_lastKeys[slot].second, *v});
            continue;
        }
        allHits = false;
        auto interned = m_keys.constFind(key.toByteArray());
        if (interned == m_keys.cend()) {
            if (m_keys.size() > 4 * maxValuesPerSet) // a source inventing keys forever
                m_keys.clear();
            interned = m_keys.insert(key.toByteArray(), QString::fromLatin1(key));
        }
        out->values.append({*interned, *v});
    }
    // Keys that all sat where the previous line had them are that line's keys, checked for
    // duplicates then; otherwise check now (the first kept) and remember this line's keys.
    if (!allHits) {
        QSet<QString> seen;
        qsizetype kept = 0;
        for (qsizetype i = 0; i < out->values.size(); ++i) {
            if (seen.contains(out->values[i].key)) {
                ++m_stats.duplicateKeys;
                continue;
            }
            seen.insert(out->values[i].key);
            if (kept != i)
                out->values[kept] = out->values[i];
            ++kept;
        }
        out->values.resize(kept);
        m_lastKeys.resize(kept);
        for (qsizetype i = 0; i < kept; ++i)
            m_lastKeys[i] = {out->values[i].key.toLatin1(), out->values[i].key};
    }
    if (tokens == 0) {
        ++m_stats.garbage;
        return Result::Dropped;
    }
    if (!tNs) {
        if (timeBad)
            ++m_stats.badValues;
        if (!fallbackTNs) {
            ++m_stats.missingTime;
            return Result::Dropped;
        }
        tNs = fallbackTNs;
    }
    if (out->values.isEmpty()) {
        ++m_stats.garbage;
        return Result::Dropped;
    }
    out->tNs = *tNs;
    return accept(out);
}

TelemetryParser::Result TelemetryParser::parseValues(const QList<std::pair<QString, QByteArrayView>> &values,
                                                     qint64 tNs, TelemetrySet *out)
{
    ++m_stats.lines;
    out->source = m_source;
    out->values.clear();
    out->tNs = tNs;
    for (const auto &[key, text] : values) {
        const std::optional<double> v = parseTelemetryNumber(text.trimmed());
        if (!v) {
            ++m_stats.badValues;
            continue;
        }
        if (out->values.size() < maxValuesPerSet)
            out->values.append({key, *v});
    }
    if (out->values.isEmpty()) {
        ++m_stats.garbage;
        return Result::Dropped;
    }
    return accept(out);
}

TelemetryParser::Result TelemetryParser::accept(TelemetrySet *out)
{
    bool newEpoch = false;
    if (m_lastTNs && out->tNs < *m_lastTNs) {
        if (++m_backwardsRun < backwardsBeforeNewEpoch) {
            ++m_stats.backwards;
            return Result::Dropped;
        }
        ++m_stats.backwards;
        ++m_stats.epochs;
        newEpoch = true;
    }
    m_backwardsRun = 0;
    m_lastTNs = out->tNs;
    ++m_stats.sets;
    return newEpoch ? Result::NewEpoch : Result::Set;
}

} // namespace kms::telemetry
