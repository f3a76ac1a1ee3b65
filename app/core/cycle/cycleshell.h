// The node's side of a run's cycles as one shell kept open on one SSH channel: `sh -s` gets the
// cycle script once, then one line per call, `kms_call NONCE MODE WORDS...` (every word quoted by
// shellQuote), and the call's output ends with "@kms done NONCE". A cycle then costs no channel
// open, login or shell start on the node (about 370 ms a cycle on the virtual node under TCG).
//
// A call is answered with finished(id, result): the call's stdout, or an error when the shell
// or the link ended first (a panic, a lost node: the caller decides). The next call after that
// opens a new shell. Output of calls the caller gave up on is read and dropped in order.
#pragma once

#include "link/sshlink.h"

#include <QObject>
#include <QPointer>

namespace kms {

class CycleShell : public QObject
{
    Q_OBJECT
public:
    explicit CycleShell(QObject *parent = nullptr);
    ~CycleShell() override;

    // The link the shell runs over; a shell open on another link is closed.
    void setLink(SshLink *link);
    // Runs words (quoted here) as one call; the shell is opened first, with openCommand and the
    // script text, when none is open. The id never collides with the link's request ids.
    quint64 call(const QByteArray &openCommand, const QByteArray &script, const QStringList &words);
    // Ends the shell: its input is closed, so it finishes the call in progress and exits. Calls
    // not answered yet are dropped without a signal.
    void close();
    bool isOpen() const { return m_channel != 0; }

Q_SIGNALS:
    void finished(quint64 id, const kms::SshCommandResult &result);

private:
    void onOutput(quint64 channel, const QByteArray &standardOutput, const QByteArray &standardError);
    void onFinished(quint64 channel, const kms::SshCommandResult &result);

    struct Call {
        quint64 id = 0;
        QByteArray done; // "@kms done NONCE\n"
    };
    QPointer<SshLink> m_link;
    quint64 m_channel = 0;
    QByteArray m_session; // random, per shell: a nonce names the shell and the call
    quint64 m_calls = 0; // calls sent on this shell
    QList<Call> m_waiting; // sent, not answered, in order
    QByteArray m_out; // stdout since the last answer
    QByteArray m_err; // stderr since the last answer
    quint64 m_lastId = 0;
};

} // namespace kms
