// How a reload-cycle run is set up: what a node profile stores and `kmodscope-cli cycle` fills
// from its options. Defaults work on the virtual node and on a BeagleBone with Debian.
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace kms {

struct CycleRunConfig {
    QString module; // name as modprobe/rmmod take it
    QStringList params; // "k=v" words for modprobe/insmod
    QString insmodPath; // non-empty: `insmod PATH` + `rmmod NAME` instead of modprobe
    QStringList dependents; // unloaded (in this order) before the module, when loaded
    int count = 10; // cycles; 0 = until stopped (or the first failure with untilFailure)
    bool untilFailure = false; // stop at the first cycle that does not pass
    bool stopOnCrash = true;
    int settleMs = 0; // module live, before the health checks and the unload
    int delayMs = 0; // between cycles
    int returnTimeoutS = 120; // wait for the node after a crash
    int commandTimeoutMs = 30000; // one cycle's script, on top of settleMs
    bool useSudo = false; // run the remote script with `sudo -n`
    QString preCommand; // shell command on the node before each load (a failure ends the cycle)
    QString postCommand; // after each unload (a failure is a `fail`)
    QString errorPattern; // regex: console lines matching it are a `warning`
    enum class LeakCheck { Auto, Off };
    LeakCheck leakCheck = LeakCheck::Auto; // Auto: where alloc_traces exist (slub_debug=U)
    bool kmemleakScan = true; // at the end, where the kernel has kmemleak
    bool markKernelLog = true; // "kmodscope: cycle N begin/end" in the node's kernel log
    enum class FinalState { Unloaded, Loaded };
    FinalState finalState = FinalState::Unloaded; // after a stop or an error
    // Memory: Slab growth over the run at least this many kB per cycle (least squares, from
    // 10 cycles on) is a run warning.
    double slabGrowthWarnKbPerCycle = 4.0;
    // Waiting for the cycle's end marker on each console after its script returned.
    int markerWaitMs = 1000;
    // Telemetry sanity (cycletelemetry.h): a reader of this stream file on the node is open
    // while the module settles and is closed (and waited for) before the unload, since an open
    // reader pins the module. Empty: off. The hunt's "telemetry reader on" condition is this.
    QString telemetryPath;
    double telemetryFillLimitPct = 90; // a ring's fill at or over it is a `warning`
    // "No sample: the stream is dead" is judged only when the reader was open this long.
    int telemetryMinWindowMs = 200;

    // Empty when valid, else why not (bad module name, path ...).
    QString validate() const;

    QJsonObject toJson() const;
    static CycleRunConfig fromJson(const QJsonObject &object); // unknown keys ignored
};

} // namespace kms
