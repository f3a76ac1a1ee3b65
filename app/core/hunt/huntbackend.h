// What the hunt needs from a node: run a batch of reload cycles of one cell and say how each
// cycle ended. The node implementation drives the CycleRunner over a NodeSession (panics,
// reboots, reconnects are its business); tests may drive a simulation.
#pragma once

#include "hunt/huntgrid.h"

#include <QObject>
#include <QStringList>

namespace kms::hunt {

struct Batch {
    Conditions conditions;
    int build = 0; // index into the builds (compare: 0 = A, 1 = B; else always 0)
    qint64 cycles = 0; // at most this many; the batch may end early (a crash, the node lost)
};

class HuntBackend : public QObject
{
    Q_OBJECT
public:
    enum class BatchEnd {
        Ok, // ran its cycles, or ended at a crash with the node back
        NodeLost, // the node did not come back: the hunt ends with what it has
        Error, // the node refused (no such module, not root, a .ko that does not load)
        Stopped,
    };
    Q_ENUM(BatchEnd)

    using QObject::QObject;

    virtual void runBatch(const Batch &batch) = 0;
    // Ends the batch in flight as soon as it can (batchFinished(Stopped) follows).
    virtual void stop() = 0;

Q_SIGNALS:
    // One cycle ended; `titles` name its reports (a crash without a report: why there is none).
    void cycleFinished(const QString &verdict, const QStringList &titles);
    // Reports that attached to an already finished cycle of the last batch (a report that
    // completed after the node came back).
    void lateTitles(const QStringList &titles);
    void batchFinished(kms::hunt::HuntBackend::BatchEnd end, const QString &detail);
    void message(const QString &text); // what the backend is doing, for logs
};

} // namespace kms::hunt
