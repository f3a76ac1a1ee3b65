// Text -> TelemetrySet for every kind of source: `key=value ...` lines (the prudaq stream, a
// user's debugfs file), the content of polled files, and the named captures of a regex source.
// Whatever arrives is counted, never trusted: garbage, a missing t_ns, values that are not
// numbers or are out of range, and time that goes backwards are dropped and counted in
// TelemetryParseStats, which front ends show; nothing here can crash on input.
#pragma once

#include "telemetry/telemetrysample.h"

#include <QByteArrayView>
#include <QHash>

#include <optional>

namespace kms::telemetry {

struct TelemetryParseStats {
    qint64 lines = 0; // lines or polls looked at
    qint64 sets = 0; // sample sets accepted
    qint64 garbage = 0; // lines with nothing usable (no key=value, binary, overlong)
    qint64 badTokens = 0; // tokens that are not key=value, or a malformed key
    qint64 missingTime = 0; // lines without a usable t_ns (dropped)
    qint64 badValues = 0; // non-numeric, NaN/inf or huge values (that value dropped)
    qint64 duplicateKeys = 0; // a key twice in one line (the first kept)
    qint64 backwards = 0; // sets older than the source's last one (dropped)
    qint64 epochs = 0; // times a source's clock was accepted as restarted (reboot)

    TelemetryParseStats &operator+=(const TelemetryParseStats &o);
    qint64 errors() const { return garbage + badTokens + missingTime + badValues + duplicateKeys + backwards; }
    QString summary() const; // "garbage=0 bad_tokens=1 ..." for logs and the CLI
    friend bool operator==(const TelemetryParseStats &, const TelemetryParseStats &) = default;
};

// Limits that keep a hostile or broken source cheap.
inline constexpr qsizetype maxTelemetryLine = 64 * 1024;
inline constexpr qsizetype maxTelemetryKey = 64;
inline constexpr int maxValuesPerSet = 512;
inline constexpr double maxTelemetryMagnitude = 1e18; // beyond: "huge", counted as bad
// A source whose sets keep arriving older than its last one for this many sets in a row has
// restarted its clock (the node rebooted): the parser starts a new epoch (and says so).
inline constexpr int backwardsBeforeNewEpoch = 20;

// Key names as the telemetry contract has them: [A-Za-z_][A-Za-z0-9_.-]*, at most maxTelemetryKey.
bool isValidTelemetryKey(QByteArrayView key);
// A number as a source prints it: decimal integer or float (C locale), optional sign, finite
// and within maxTelemetryMagnitude.
std::optional<double> parseTelemetryNumber(QByteArrayView text);

// One parser per source: it remembers the source's last time for the backwards check.
class TelemetryParser
{
public:
    explicit TelemetryParser(QString source = {})
        : m_source(std::move(source))
    {
    }

    enum class Result {
        Set, // *out filled
        Dropped, // nothing usable (counted)
        NewEpoch, // *out filled, and the source's clock restarted: a gap comes before it
    };

    // A `t_ns=N key=value ...` line. t_ns must come first (the contract); when fallbackTNs is
    // given (polled files, regex sources), a line without t_ns is stamped with it instead.
    Result parseLine(QByteArrayView line, TelemetrySet *out, std::optional<qint64> fallbackTNs = {});
    // Named values already split out (regex captures, polled single-number files), stamped tNs.
    Result parseValues(const QList<std::pair<QString, QByteArrayView>> &values, qint64 tNs, TelemetrySet *out);

    // After a gap the source may legitimately start over (a reloaded module keeps the clock, a
    // rebooted node does not): the next set is taken whatever its time.
    void resetClock()
    {
        m_lastTNs.reset();
        m_backwardsRun = 0;
    }

    const TelemetryParseStats &stats() const { return m_stats; }
    TelemetryParseStats &stats() { return m_stats; }
    const QString &source() const { return m_source; }
    std::optional<qint64> lastTNs() const { return m_lastTNs; }

private:
    Result accept(TelemetrySet *out);

    QString m_source;
    TelemetryParseStats m_stats;
    std::optional<qint64> m_lastTNs;
    int m_backwardsRun = 0;
    // Interned key strings: a source prints the same keys in the same order on every line, so
    // the previous line's keys are tried by position first (no allocation), the hash after.
    QHash<QByteArray, QString> m_keys;
    QList<std::pair<QByteArray, QString>> m_lastKeys;
};

} // namespace kms::telemetry
