// The node side of a reload cycle: one POSIX sh script (cyclescript.sh, compiled in) sent on the
// channel's stdin to `sh -s -- MODE KEY=VALUE... -- PARAM...`, every argument quoted by
// shellQuote, and the parser of the "@kms ..." records it prints.
#pragma once

#include "cycle/cycleconfig.h"
#include "cycle/cycleresult.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace kms {

QByteArray cycleScriptText(); // the whole script, as written
// What is sent for one mode: its blocks only, without comments and indentation.
QByteArray cycleScriptText(const QString &mode);

struct CycleScriptCall {
    QString mode; // probe, cycle, unload, ensure, inspect, kmemleak, pstore
    QStringList keyValues; // "n=3", "settle=0.5", ...
    bool withParams = false; // append `-- PARAM...` (modes that load)
};

// The command line for SshLink::runShell (the script itself goes on stdin).
QByteArray cycleScriptCommand(const CycleRunConfig &config, const CycleScriptCall &call);
// The KEY=VALUE words every mode takes from the configuration.
QStringList cycleScriptBaseArgs(const CycleRunConfig &config, const QString &runDir);

struct ScriptStep {
    QString name;
    double startS = 0; // node clock, seconds
    double endS = 0;
    int exitStatus = 0;
    QStringList output; // the command's output lines
};

// One script run, parsed.
struct CycleScriptOutput {
    bool started = false; // the "@kms v" record came (the shell ran the script)
    QString end; // the "@kms end" word; empty when the script did not finish
    QList<ScriptStep> steps; // in order (a step may repeat: unload_dep)
    QMap<QString, QString> states; // "start", "loaded", "unloaded", "final", "now" -> initstate
    QMap<QString, quint64> taint; // tag -> mask
    QMap<QString, MemorySample> memory; // tag -> counters
    LoadRecord load; // sections and build id
    QMap<QString, QString> facts; // one-word records: uid, boot, uname, have, busy, hung, ...
    QStringList pstoreFiles; // probe: the names; pstore: the files read
    QStringList pstoreLines; // pstore: the text
    QStringList kmemleakLines;
    QStringList telemetryLines; // the stream's lines read during the settle (tlm=PATH)
    // Live allocation sites printed with a bare address (leak candidates).
    struct Trace {
        QString cache;
        int objectSize = 0;
        QStringList lines; // header first, then the stack
    };
    QList<Trace> traces;
    QStringList otherLines; // anything not a record (shell errors and the like)

    const ScriptStep *step(const QString &name) const;
    double stepMs(const QString &name) const; // -1 when absent
};

CycleScriptOutput parseCycleScriptOutput(const QByteArray &standardOutput);

// "OE" for 12288: the letters of print_tainted() for the set bits.
QString taintLetters(quint64 mask);

} // namespace kms
