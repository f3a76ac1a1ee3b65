// The member-access chains of a line of C ("comm->shm->msg_from_pru0.head", "dev->samples[7]"):
// what the faulting line may have dereferenced when the pointer is a temporary.
#pragma once

#include <QList>
#include <QString>

#include <optional>

namespace kms {

struct ChainStep {
    enum Kind { Arrow, Dot, Index };
    Kind kind = Arrow;
    QString name; // member name; for Index, the index expression's text
    std::optional<long long> index; // constant index
};

struct AccessChain {
    QString root; // the identifier the chain starts from
    QList<ChainStep> steps;
    QString text() const; // "comm->shm->msg_from_pru0.head"
    // The text of the chain's first `count` steps ("comm->shm" for 1).
    QString prefix(int count) const;
};

// Every chain of at least one step on the line, in order; comments and string literals skipped.
QList<AccessChain> parseAccessChains(const QString &line);

} // namespace kms
