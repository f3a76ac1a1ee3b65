// What a hunt learned: per cell, the counts and what they support; for the whole hunt, the
// best reproducer and (when two builds were compared) the test of their difference.
#pragma once

#include "hunt/huntgrid.h"
#include "hunt/huntstats.h"

#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace kms::hunt {

struct CellCrash {
    qint64 cycle = 0; // 1-based, within the cell
    QString title; // of the report, or why there is none ("node lost, no report captured")
};

struct CellResult {
    Conditions conditions;
    QString build; // compare: "a" or "b"; empty in a plain hunt
    qint64 cycles = 0;
    qint64 crashes = 0;
    std::optional<qint64> firstCrashCycle;
    QStringList titles; // distinct, in the order first seen
    QList<CellCrash> crashList;
    QMap<QString, qint64> verdicts; // every cycle's verdict counted (pass, crash, fail, ...)
    qint64 wallMs = 0;

    double rate() const { return cycles ? double(crashes) / double(cycles) : 0.0; }
    Interval interval() const { return wilsonInterval(crashes, cycles); }
    // One finished cycle; `titles` are its reports' titles (a crash without a report has one
    // saying why).
    void addCycle(const QString &verdict, const QStringList &reportTitles);
};

struct Reproducer {
    qsizetype cell = -1;
    QString nodeCommand; // a shell loop to paste on the node
    QString cliCommand; // the same as a `kmodscope-cli cycle` run
};

enum class CompareKind {
    Ko, // two local builds, uploaded and loaded with insmod
    Command, // two install commands run on the node, then the usual load
};

struct CompareResult {
    CompareKind kind = CompareKind::Ko;
    QString koA, koB; // the two .ko, or the two install commands
    RateCount a, b;
    double pValue = 1;
    QString statement; // "after: ... ; before: ..., p < 0.001" with a = before, b = after
    struct Pair {
        qsizetype cellA = -1, cellB = -1;
        double pValue = 1;
    };
    QList<Pair> cells; // per condition, the two builds' cells and their own test
};

enum class EndReason { Done, Budget, NodeLost, Stopped, Error };
QString endReasonName(EndReason reason);

struct HuntResult {
    QString module;
    QList<CellResult> cells;
    std::optional<Reproducer> best;
    std::optional<CompareResult> compare;
    EndReason ended = EndReason::Done;
    QString endDetail; // why a node-lost / error end happened
    qint64 totalCycles = 0;
    std::optional<qint64> firstCrashTotalCycle; // over the whole hunt, in run order
    qint64 wallMs = 0;
    QString order; // "adaptive" or "grid"
    quint64 seed = 0;
};

// The cell most likely to reproduce: the highest lower bound of the rate's interval (a cell
// with 5 of 10 beats one with 1 of 1), then the fewest cycles to the first crash. None when no
// cell crashed.
qsizetype bestCell(const QList<CellResult> &cells);

} // namespace kms::hunt
