// The session's line numbers (NodeSession, one quint64 per line, never wrapping) mapped to the
// console model's line numbers. Both count the same lines in the same order, so one offset
// covers a whole run of batches; a new run starts only where the console's numbering jumped
// (ConsoleModel::clear rounds its numbers up).
#pragma once

#include <QList>

#include <deque>

namespace kms::gui {

class ConsoleLineMap
{
public:
    // A batch: session lines firstSeq.. are console lines firstLine..
    void add(quint64 firstSeq, int firstLine);
    // The console line of each session line that has one (older runs are forgotten).
    QList<int> lines(const QList<quint64> &seqs) const;

private:
    struct Run {
        quint64 firstSeq;
        quint32 offset; // console line - session line, modulo 2^32
    };
    std::deque<Run> m_runs; // ascending firstSeq
};

} // namespace kms::gui
