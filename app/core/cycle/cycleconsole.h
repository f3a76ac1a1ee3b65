// What the consoles (serial, `dmesg -w` over SSH, ...) say during a run, tied to cycles. The
// cycle script writes "kmodscope: cycle N begin run=TOKEN" and "... end ..." into the kernel
// log; on each console, lines after cycle N's begin marker belong to cycle N (until N+1 begins:
// an oops from a timer that fires after the unload is still load N's). The serial console lags
// by a few hundred ms behind a 40 ms cycle, so arrival time alone would blame the wrong cycle.
//
// Lines are classified as they come, without waiting for a report to complete: a panic line
// must end the cycle within 100 ms, and a report's first line says crash or warning already.
#pragma once

#include "log/logline.h"
#include "report/kernelreport.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QPair>
#include <QRegularExpression>
#include <QString>

#include <optional>

namespace kms {

class CycleConsole
{
public:
    struct Event {
        enum class Kind { Begin, Loaded, End, ReportStart, Panic, ErrorLine };
        Kind kind;
        int cycle = -1; // -1: this console has shown no marker yet
        QString source;
        ReportKind reportKind = ReportKind::Other; // ReportStart
        QString text; // the line, prefixes removed
        qint64 hostTimeNs = 0; // when the line arrived
        QList<QPair<QString, quint64>> sections; // Loaded: the load's code sections
    };

    void reset(const QString &token);
    void setErrorPattern(const QString &pattern); // empty: none
    // The node rebooted: kernel times start again from 0.
    void newBoot() { m_beginTime.clear(); }

    QList<Event> feed(const QString &source, const QList<LogLine> &lines);

    // The cycle a report belongs to: by the kernel time of its first line against the begin
    // markers' times, else the cycle its console was in when it arrived.
    int cycleOf(const KernelReport &report) const;
    int currentCycle(const QString &source) const { return m_current.value(source, -1); }
    // Consoles that showed cycle n's begin marker, and whether each showed its end marker too.
    QStringList sourcesThatBegan(int cycle) const;
    bool ended(int cycle, const QString &source) const;

    // What is kept of the cycles' markers: the newest keptCycles (a report comes seconds after
    // its cycle, not a thousand cycles later; a long run stays flat).
    static constexpr int keptCycles = 1000;

private:
    void forgetBefore(int cycle);

    QString m_token;
    QByteArray m_beginTail; // " begin run=TOKEN"
    QByteArray m_endTail;
    QByteArray m_loadedInfix; // " loaded run=TOKEN "
    QRegularExpression m_errorPattern;
    QHash<QString, int> m_current; // source -> cycle
    QMap<int, double> m_beginTime; // cycle -> kernel time of its begin marker
    QHash<int, QStringList> m_began; // cycle -> sources
    QHash<int, QStringList> m_ended;
    QByteArray m_scratch;
};

// "Kernel panic - not syncing" and the like; what counts as a crash among report kinds.
bool isCrashKind(ReportKind kind);

} // namespace kms
