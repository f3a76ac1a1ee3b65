// SshLink's half that lives in the link thread and owns the libssh session. Internal to the
// link area: libssh types stay out of every other header.
#pragma once

#include "link/sshlink.h"
#include "log/lineassembler.h"

#include <QElapsedTimer>
#include <QSocketNotifier>
#include <QTimer>

#include <memory>
#include <vector>

struct ssh_session_struct;
struct ssh_channel_struct;
struct sftp_session_struct;

namespace kms {

class SshWorker : public QObject
{
    Q_OBJECT
public:
    explicit SshWorker(const SshSettings &settings);
    ~SshWorker() override;

    void start();
    void stop();
    void answerHostKey(bool accept);
    void addCommand(quint64 id, const QByteArray &commandLine, const QByteArray &stdinData);
    void addStream(quint64 id, const QByteArray &commandLine, const QString &source);
    void removeStream(quint64 id);
    void addChannel(quint64 id, const QByteArray &commandLine, const QByteArray &stdinData);
    void writeChannel(quint64 id, const QByteArray &data);
    void closeChannelInput(quint64 id);
    void closeChannel(quint64 id);
    enum class FileOp { Read, Write, Fetch };
    void addFileOp(quint64 id, FileOp op, const QString &remotePath, const QByteArray &data, const QString &localPath);

Q_SIGNALS:
    void stateChanged(kms::SshLink::State state, const QString &detail);
    void hostKeyUnknown(const QString &host, const QString &fingerprint);
    void commandFinished(quint64 id, const kms::SshCommandResult &result);
    void streamLines(quint64 id, const QList<kms::LogLine> &lines);
    void fileFinished(quint64 id, const kms::SshFileResult &result);
    void channelOutput(quint64 id, const QByteArray &standardOutput, const QByteArray &standardError);
    void channelFinished(quint64 id, const kms::SshCommandResult &result);

private:
    struct Op {
        // Channel: a command whose stdin stays open (SshLink::openChannel).
        enum class Kind { Command, Stream, File, Channel };
        Kind kind = Kind::Command;
        quint64 id = 0;
        QByteArray commandLine;
        QByteArray stdinData; // channels: written when it opens, then kept empty
        bool inputClosed = false; // channels: EOF sent, or to send when it opens
        ssh_channel_struct *channel = nullptr;
        QByteArray out;
        QByteArray err;
        std::unique_ptr<LineAssembler> assembler; // streams
        qint64 restartAtMs = 0; // streams waiting to start again (m_clock)
        bool restartLogged = false;
        int startFailures = 0; // commands and channels: refused opens so far, retried a few times
        FileOp fileOp = FileOp::Read; // files, and the `cat` commands standing in for them
        bool fileFallback = false;
        QString remotePath;
        QString localPath;
    };

    void connectSession();
    void checkHostKey();
    void authenticate();
    void becomeUp();
    void lose(const QString &why);
    void closeSession();
    void scheduleReconnect();
    void setState(SshLink::State state, const QString &detail);
    void failAll(const QString &why, bool keepStreams);

    void startPending();
    bool startChannel(Op &op);
    void pump();
    bool drainChannel(Op &op);
    // True when the op is done and erased (streams stay, waiting to restart).
    bool finishOp(std::vector<std::unique_ptr<Op>>::iterator it);
    enum class FileOutcome { Done, Converted, SessionDead };
    FileOutcome runFileOp(Op &op);
    bool ensureSftp();
    void heartbeat();
    QString sessionError() const;
    bool sessionAlive() const;
    void failIfStuck();
    void addProcess(Op::Kind kind, quint64 id, const QByteArray &commandLine, const QByteArray &stdinData);
    void updateNotifier();
    void emitStreamEvent(Op &op, const QByteArray &text);
    // Ends an op whose session is gone or stopped, with the error its kind reports.
    void emitFailure(Op &op, const QString &error);
    Op *findOp(quint64 id, Op::Kind kind);
    bool writeInput(Op &op, const QByteArray &data);

    SshSettings m_settings;
    ssh_session_struct *m_session = nullptr;
    sftp_session_struct *m_sftp = nullptr;
    bool m_noSftp = false;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QTimer m_pumpTimer;
    QTimer m_heartbeatTimer;
    QTimer m_reconnectTimer;
    QElapsedTimer m_clock;
    qint64 m_lastActivityMs = 0;
    int m_backoffMs = 0;
    bool m_running = false;
    bool m_inPump = false;
    SshLink::State m_state = SshLink::State::Disconnected;
    QString m_target; // user@host:port for messages
    QString m_lastDetail;
    QString m_channelFailure; // why the last startChannel() failed, for the op's error
    bool m_channelRetryable = false; // ... and whether it failed before the command ran
    std::vector<std::unique_ptr<Op>> m_ops;
};

} // namespace kms
