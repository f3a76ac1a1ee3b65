// Finds kernel reports in a console stream fed line by line and hands each one, parsed, to a
// sink as soon as it is complete. One detector per stream (serial console, ssh dmesg, file):
// line numbers and the per-caller state belong to that stream.
#pragma once

#include "report/kernelreport.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <functional>
#include <memory>

namespace kms {

class ReportDetector
{
public:
    using Sink = std::function<void(KernelReport &&)>;

    explicit ReportDetector(Sink sink);
    ~ReportDetector();
    ReportDetector(const ReportDetector &) = delete;
    ReportDetector &operator=(const ReportDetector &) = delete;

    // One raw line without its terminator. Lines are counted here, 1-based.
    void feedLine(QByteArrayView rawLine);
    // End of input: open reports are emitted; those cut short are marked corrupted.
    void finish();
    // For live sources after a quiet period: emits reports that are waiting only for lines
    // that may never come (a possible "Kernel panic" after the end marker, or the end of a
    // trace that has no end marker). A report still in its middle keeps waiting.
    void flushIdle();

    void setSource(const QString &name); // copied into KernelReport::source
    // For syslog files gathered from several machines: lines whose syslog host differs from
    // this one (short names compared) are skipped, as ABRT does. Empty: take every host.
    void setSyslogHost(const QByteArray &host);

    int linesSeen() const { return m_lineNumber; }

private:
    struct Stream;
    enum class Step { Consumed, EndedBefore, Skipped };

    Stream &streamFor(QByteArrayView caller);
    Step continueReport(Stream &s, QByteArrayView text, std::optional<double> timestamp);
    void startReport(Stream &s, QByteArrayView text, std::optional<double> timestamp, struct ReportStart &&start);
    void emitReport(Stream &s, bool corrupted);
    bool sameHost(QByteArrayView host) const;

    Sink m_sink;
    QString m_source;
    QByteArray m_host;
    QByteArray m_scratch;
    int m_lineNumber = 0;
    std::vector<std::unique_ptr<Stream>> m_streams; // [0]: lines without a caller id
};

// Runs a whole buffer through LineSplitter and ReportDetector (files, tests).
QList<KernelReport> detectReports(QByteArrayView log);
// The same, handing each report to sink as it completes (nothing is kept).
void detectReports(QByteArrayView log, ReportDetector::Sink sink);

} // namespace kms
