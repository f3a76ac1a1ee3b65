// What one reload cycle found, and the run's totals: plain values shared by CycleRunner, the
// CLI's JSON run report and the GUI's Cycles dock.
#pragma once

#include "report/kernelreport.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace kms {

// In order of precedence: a cycle's verdict is the first that applies.
enum class Verdict { Crash, Stuck, Fail, Leak, Warning, Pass };
QString toString(Verdict verdict); // "crash", "stuck", "fail", "leak", "warning", "pass"
// The more serious of the two.
Verdict worse(Verdict a, Verdict b);

struct Finding {
    Verdict verdict = Verdict::Warning;
    QString kind; // "oops", "panic", "node_lost", "stuck_going", "rmmod_busy", "command_failed",
                  // "timeout", "leak", "warning", "taint", "error_line", "memory_growth", ...
    QString message; // one line for people
    QString step; // the cycle step it belongs to, may be empty
    QStringList lines; // the lines that caused it (console lines, command output)
};

// One load of the module: where its sections were while it was live.
struct LoadRecord {
    QList<QPair<QString, quint64>> sections; // ".text" -> address, as in /sys/module/NAME/sections
    QString buildId; // lower-case hex, empty when the node did not say
    bool valid() const { return !sections.isEmpty(); }
    // The section holding `address` and the offset in it, or nullopt. codeOnly: text sections
    // only (stack frames).
    std::optional<QPair<QString, quint64>> locate(quint64 address, bool codeOnly = true) const;
};

// A live allocation made from the unloaded module's code.
struct LeakSite {
    QString function; // where the module allocated (the first frame in its sections)
    QString file;
    int line = 0;
    QString section; // ".text" ...
    quint64 offset = 0; // in that section
    quint64 address = 0; // as printed by the kernel (the unloaded load's address)
    int size = 0; // the slab cache's object size
    int count = 0; // live objects from this site that this cycle added
    QString cache; // "kmalloc-64"
    QStringList stack; // the allocation stack as printed, innermost first
    QString error; // why function/file/line are missing
    QString source; // "slab" (alloc_traces) or "kmemleak"
};

// An absolute address of a report (ARM pc/lr register) resolved with the load's sections.
struct AddressFrame {
    int report = 0; // index in CycleResult::reports
    QString what; // "pc", "lr"
    Frame frame; // address, file, line ... (function: the symbol containing it)
    QString section;
    quint64 offset = 0;
};

struct MemorySample {
    qint64 slabKb = -1;
    qint64 unreclaimableKb = -1; // SUnreclaim
    qint64 availableKb = -1; // MemAvailable
};

// What the telemetry reader saw while the module settled (CycleRunConfig::telemetryPath).
struct TelemetryCheck {
    QString path;
    bool opened = false; // false: the file was not there or not readable
    double windowMs = 0; // how long the reader was open (node clock)
    int lines = 0; // lines the stream gave
    int samples = 0; // sample sets the telemetry parser accepted
    int rejected = 0; // lines it dropped (garbage, no t_ns, ...)
    double maxFillPct = -1; // the fullest ring over the window; -1: the stream has no fill values
    QString maxFillRing; // "buf0"
};

struct CycleResult {
    int n = 0; // 1-based
    Verdict verdict = Verdict::Pass;
    QList<Finding> findings;
    QMap<QString, double> stepMs; // "load", "verify", "sections", "settle", "checks", "unload",
                                  // "verify_gone", "post_checks", "pre", "post", "total", "round_trip"
    LoadRecord load;
    MemorySample loaded; // after settle, module live
    MemorySample unloaded; // after the unload
    std::optional<qint64> slabDeltaKb; // unloaded Slab against the previous cycle's
    QString taintLoaded; // letters, "" when untainted
    QString taintUnloaded;
    QList<KernelReport> reports; // resolved with `load`
    QList<AddressFrame> addresses;
    QList<LeakSite> leaks;
    std::optional<TelemetryCheck> telemetry; // when the run reads telemetry
    QString bootId;
    qint64 startedNs = 0; // host wall clock
    qint64 finishedNs = 0;
    bool complete = false; // false while reports may still attach (cycleUpdated follows)

    // Recomputes `verdict` from the findings.
    void updateVerdict();
    void addFinding(Finding finding);
};

struct RunTotals {
    int cycles = 0;
    QMap<Verdict, int> byVerdict;
    void add(Verdict v)
    {
        ++cycles;
        ++byVerdict[v];
    }
    static RunTotals of(const QList<CycleResult> &cycles)
    {
        RunTotals t;
        for (const CycleResult &c : cycles)
            t.add(c.verdict);
        return t;
    }
};

// Why a run ended.
enum class RunEnd {
    Completed, // every cycle asked for ran
    Stopped, // stop() was called
    StoppedOnCrash, // stop on first crash
    StoppedOnFailure, // until-failure: the first cycle that did not pass
    NodeLost, // the node did not come back
    Stuck, // the module cannot be unloaded any more
    Refused, // before the first cycle: not root, no such module, a built-in module
    Unreachable, // the node did not answer, or its host key / our login was refused
    Error, // anything else that ended it (the message says)
};
QString toString(RunEnd end);

QJsonObject toJson(const Finding &finding);
QJsonObject toJson(const LeakSite &leak);
QJsonObject toJson(const AddressFrame &address);
QJsonObject toJson(const TelemetryCheck &telemetry);
// REPORT objects as `decode --json` writes them.
QJsonObject toJson(const CycleResult &cycle);
QJsonObject toJson(const RunTotals &totals);

} // namespace kms
