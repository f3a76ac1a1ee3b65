// The node over SSH: one persistent libssh session in a thread of its own, many channels on it
// (commands, line streams such as `dmesg -w`, open channels to one process, small files). Every
// call returns at once with a request id; results come back as signals. The session is kept up:
// loss is detected within ~3 s (EOF or a heartbeat that gets no answer), then it reconnects with
// backoff until the node is back, and streams restart by themselves.
//
// Trust is never assumed: an unknown host key is put to the caller (hostKeyUnknown, answered
// with answerHostKey) or refused, per settings; a changed one is always refused
// (HostKeyChanged), and neither AuthFailed nor HostKeyChanged is retried, since retrying cannot
// fix them.
#pragma once

#include "log/logline.h"

#include <QObject>
#include <QStringList>
#include <QThread>

#include <atomic>

namespace kms {

class SshWorker;

struct SshSettings {
    QString host; // host name or an alias of the ssh config
    int port = 0; // 0: from the config, else 22
    QString user; // empty: from the config, else the local user
    QString configFile; // empty: ~/.ssh/config (and the system one); like ssh -F otherwise
    QString knownHostsFile; // empty: from the config (UserKnownHostsFile), else ~/.ssh/known_hosts
    QStringList identityFiles; // tried after the agent, with the config's IdentityFile entries
    // Password / keyboard-interactive are only tried when the user opted in and gave the
    // secret (from the keychain or typed); it is never written anywhere by the link.
    bool allowPassword = false;
    QString password;
    enum class UnknownHostKey { Ask, Accept, Reject };
    UnknownHostKey unknownHostKey = UnknownHostKey::Ask;
    int connectTimeoutMs = 5000;
    int heartbeatIntervalMs = 750; // idle time before a heartbeat is sent (loss seen within 3 s)
    int heartbeatTimeoutMs = 2000; // no answer within this: the link is lost
    int reconnectMaxDelayMs = 2000;
    int streamRestartDelayMs = 1000; // a stream whose command ended is started again after this
    // A command whose channel the server refuses on a live session (a loaded node's dropbear,
    // an sshd at MaxSessions) is tried again this often, this long apart, before it fails.
    int channelStartAttempts = 3;
    int channelRetryDelayMs = 250;
};

struct SshCommandResult {
    int exitStatus = -1; // -1 when the command did not exit normally (signal, lost link)
    QByteArray standardOutput;
    QByteArray standardError;
    QString error; // transport problem, empty when the command ran
    bool ok() const { return error.isEmpty() && exitStatus == 0; }
};

struct SshFileResult {
    QByteArray data; // readFile only
    QString error; // empty on success
    bool viaSftp = false; // false: the `cat` fallback was used
};

class SshLink : public QObject
{
    Q_OBJECT
public:
    enum class State {
        Disconnected,
        Connecting,
        Up,
        Lost, // was up or never reached; retrying with backoff
        AuthFailed, // not retried
        HostKeyUnknown, // waiting for answerHostKey(), or refused by policy
        HostKeyChanged, // refused, not retried
        Error, // bad settings (unparsable config, unknown host alias ...), not retried
    };
    Q_ENUM(State)

    explicit SshLink(const SshSettings &settings, QObject *parent = nullptr);
    ~SshLink() override;

    void start(); // also retries after AuthFailed, HostKeyChanged or Error
    void stop();
    void answerHostKey(bool accept);

    // The arguments are quoted for the node's /bin/sh; stdinData, if any, is sent then EOF.
    quint64 run(const QStringList &argv, const QByteArray &stdinData = {});
    // A shell command line the caller built and quoted itself.
    quint64 runShell(const QByteArray &commandLine, const QByteArray &stdinData = {});
    // A long-running command read line by line (stdout). Restarted after a loss or when it ends,
    // until stopStream(). Lines come with `source` set.
    quint64 startStream(const QStringList &argv, const QString &source);
    quint64 startShellStream(const QByteArray &commandLine, const QString &source);
    void stopStream(quint64 id);
    // A command whose stdin stays open, for a conversation with one process (a shell serving
    // many requests): stdinData, then every writeChannel(), goes to its stdin in order; its
    // output comes as it arrives (channelOutput). closeChannelInput() sends EOF (the process
    // finishes and channelFinished follows with its exit status); closeChannel() drops it at
    // once, without a signal. Never restarted: a lost link ends it (channelFinished with an
    // error); one asked for while the link is down starts when it is up.
    quint64 openChannel(const QByteArray &commandLine, const QByteArray &stdinData = {});
    void writeChannel(quint64 id, const QByteArray &data);
    void closeChannelInput(quint64 id);
    void closeChannel(quint64 id);
    // SFTP when the server has it, else `cat`.
    quint64 readFile(const QString &remotePath);
    quint64 writeFile(const QString &remotePath, const QByteArray &data);
    quint64 fetchFile(const QString &remotePath, const QString &localPath);

    State state() const { return m_state.load(); }

Q_SIGNALS:
    void stateChanged(kms::SshLink::State state, const QString &detail);
    void hostKeyUnknown(const QString &host, const QString &fingerprint);
    void commandFinished(quint64 id, const kms::SshCommandResult &result);
    void streamLines(quint64 id, const QList<kms::LogLine> &lines);
    void fileFinished(quint64 id, const kms::SshFileResult &result);
    void channelOutput(quint64 id, const QByteArray &standardOutput, const QByteArray &standardError);
    // standardOutput is empty (it came through channelOutput); standardError keeps the first MB.
    void channelFinished(quint64 id, const kms::SshCommandResult &result);

private:
    quint64 nextId() { return ++m_lastId; }

    QThread m_thread;
    SshWorker *m_worker = nullptr;
    std::atomic<quint64> m_lastId{0};
    std::atomic<State> m_state{State::Disconnected};
};

} // namespace kms

Q_DECLARE_METATYPE(kms::SshCommandResult)
Q_DECLARE_METATYPE(kms::SshFileResult)
