// A real OpenSSH sshd for tests, on 127.0.0.1 and a free port, with its own host key, config and
// authorized_keys in a temporary directory, run in its own process group so that killing it
// also kills its per-connection children (as a node reboot would).
#pragma once

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QList>
#include <QPair>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>

#include <csignal>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

class SshdFixture
{
public:
    SshdFixture() = default;
    ~SshdFixture() { stop(); }

    static bool runTool(const QString &program, const QStringList &args, QByteArray *out = nullptr,
                        const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
    {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(program, args);
        if (!p.waitForFinished(30000))
            return false;
        if (out)
            *out = p.readAllStandardOutput();
        return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }

    static bool keygen(const QString &path)
    {
        return runTool(QStringLiteral("ssh-keygen"),
                       {QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"), QStringLiteral("-N"),
                        QString(), QStringLiteral("-C"), QStringLiteral("kmodscope-test"), QStringLiteral("-f"), path});
    }

    static QByteArray readFile(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    static int freePort()
    {
        QTcpServer server;
        server.listen(QHostAddress::LocalHost, 0);
        return server.serverPort();
    }

    // Keys and files; the server is started by start().
    bool setUp()
    {
        if (!m_dir.isValid())
            return false;
        ::mkdir("/run/sshd", 0755); // sshd's privilege separation directory
        QDir().mkpath(path(QStringLiteral("home")));
        for (const char *key : {"hostkey", "hostkey2", "id_client", "id_agent", "id_wrong"}) {
            if (!keygen(path(QString::fromLatin1(key))))
                return false;
        }
        QFile auth(path(QStringLiteral("authorized_keys")));
        if (!auth.open(QIODevice::WriteOnly))
            return false;
        auth.write(readFile(path(QStringLiteral("id_client.pub"))));
        auth.write(readFile(path(QStringLiteral("id_agent.pub"))));
        auth.close();
        m_port = freePort();
        return m_port > 0;
    }

    bool start(bool withSftp = true)
    {
        QFile config(path(QStringLiteral("sshd_config")));
        if (!config.open(QIODevice::WriteOnly))
            return false;
        QByteArray text = "Port " + QByteArray::number(m_port)
            + "\n"
              "ListenAddress 127.0.0.1\n"
              "HostKey "
            + path(QStringLiteral("hostkey")).toUtf8()
            + "\n"
              "AuthorizedKeysFile "
            + path(QStringLiteral("authorized_keys")).toUtf8()
            + "\n"
              "PidFile "
            + path(QStringLiteral("sshd.pid")).toUtf8()
            + "\n"
              "StrictModes no\nUsePAM no\nPermitRootLogin yes\nPasswordAuthentication "
            + QByteArray(m_shadow.isEmpty() ? "no" : "yes")
            + "\n"
              "KbdInteractiveAuthentication no\nLogLevel FATAL\nMaxStartups 100\n"
              "MaxSessions "
            + QByteArray::number(m_maxSessions)
            + "\n"
              // The test user is root: keep root's shell startup files (pyenv init and the like,
              // a second per command) out of what is measured.
              "SetEnv HOME="
            + path(QStringLiteral("home")).toUtf8() + (m_env.isEmpty() ? QByteArray() : " " + m_env) + "\n";
        if (withSftp)
            text += "Subsystem sftp /usr/lib/openssh/sftp-server\n";
        config.write(text);
        config.close();

        m_process = new QProcess;
        m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        // Own process group: stop() kills the listener and every session child at once.
        m_process->setChildProcessModifier([] { ::setsid(); });
        QList<QPair<QString, QString>> binds = m_etc;
        if (!m_shadow.isEmpty())
            binds.append({m_shadow, QStringLiteral("/etc/shadow")});
        if (binds.isEmpty()) {
            m_process->start(QStringLiteral("/usr/sbin/sshd"),
                             {QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"), config.fileName()});
        } else {
            // sshd checks passwords against /etc/shadow, accounts against /etc/passwd, and sudo
            // reads /etc/sudoers: in a mount namespace of its own it sees our copies (the test's
            // root password, a test user, a sudo policy), and the machine's stay untouched.
            QStringList args{QStringLiteral("--mount"), QStringLiteral("sh"), QStringLiteral("-c"),
                             QStringLiteral("while [ $# -gt 1 ]; do mount --bind \"$1\" \"$2\" || exit 1; shift 2; "
                                            "done; exec /usr/sbin/sshd -D -e -f \"$1\""),
                             QStringLiteral("sh")};
            for (const auto &[file, target] : binds)
                args << file << target;
            args << config.fileName();
            m_process->start(QStringLiteral("unshare"), args);
        }
        if (!m_process->waitForStarted(10000))
            return false;
        m_pid = m_process->processId();
        // Ready when the banner arrives.
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 20000) {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, quint16(m_port));
            if (socket.waitForConnected(500) && socket.waitForReadyRead(1000) && socket.readAll().startsWith("SSH-"))
                return true;
            QThread::msleep(50);
        }
        return false;
    }

    // Environment of every session ("NAME=value NAME2=value2", no spaces in values): sshd's
    // SetEnv, which overrides the default PATH too. Call before start().
    void setSessionEnv(const QByteArray &vars) { m_env = vars; }
    // Channels one connection may have open at once (takes effect at the next start()).
    void setMaxSessions(int n) { m_maxSessions = n; }
    // A file of ours bound over `target` (/etc/passwd, /etc/sudoers ...) in sshd's own mount
    // namespace, for start(). Needs root (as the password sshd does); rewriting the file in
    // place changes what sshd and its sessions see.
    void bindFile(const QString &file, const QString &target) { m_etc.append({file, target}); }

    // Password login for root with `password`, seen by this sshd only (see start()). Call before
    // start(); false when the hash or the shadow copy cannot be made.
    bool setRootPassword(const QString &password)
    {
        QByteArray hash;
        if (!runTool(QStringLiteral("openssl"),
                     {QStringLiteral("passwd"), QStringLiteral("-6"), QStringLiteral("-salt"),
                      QStringLiteral("kmstest"), password},
                     &hash))
            return false;
        QByteArray shadow;
        for (const QByteArray &line : readFile(QStringLiteral("/etc/shadow")).split('\n')) {
            if (line.isEmpty())
                continue;
            QList<QByteArray> fields = line.split(':');
            if (fields.size() > 1 && fields[0] == "root")
                fields[1] = hash.trimmed();
            shadow += fields.join(':') + '\n';
        }
        m_shadow = path(QStringLiteral("shadow"));
        QFile f(m_shadow);
        return f.open(QIODevice::WriteOnly) && f.write(shadow) == shadow.size();
    }

    // The listener and everything below it. sshd's per-connection processes call setsid(), so a
    // process group does not reach them; a node dying takes all of them, so does this.
    QList<pid_t> processTree() const
    {
        QList<pid_t> tree;
        if (m_pid <= 0)
            return tree;
        tree.append(pid_t(m_pid));
        QHash<pid_t, QList<pid_t>> children;
        const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        for (const QString &entry : entries) {
            bool ok = false;
            const pid_t pid = entry.toInt(&ok);
            if (!ok)
                continue;
            const QByteArray stat = readFile(QStringLiteral("/proc/%1/stat").arg(pid));
            const qsizetype close = stat.lastIndexOf(')');
            if (close < 0)
                continue;
            const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
            if (fields.size() > 1)
                children[pid_t(fields[1].toInt())].append(pid);
        }
        for (qsizetype i = 0; i < tree.size(); ++i)
            tree.append(children.value(tree[i]));
        return tree;
    }

    // Ends what the last connections left running (sshd does not kill a closed channel's
    // processes): the listener stays.
    void killSessions()
    {
        const QList<pid_t> tree = processTree();
        for (const pid_t pid : tree) {
            if (pid != pid_t(m_pid))
                ::kill(pid, SIGKILL);
        }
        for (const pid_t pid : tree) {
            if (pid == pid_t(m_pid))
                continue;
            for (int i = 0; i < 100 && ::kill(pid, 0) == 0 && QFile::exists(QStringLiteral("/proc/%1/exe").arg(pid));
                 ++i)
                QThread::msleep(10);
        }
    }

    void signalGroup(int sig)
    {
        for (const pid_t pid : processTree())
            ::kill(pid, sig);
    }

    void stop()
    {
        if (!m_process)
            return;
        const QList<pid_t> tree = processTree();
        for (const pid_t pid : tree)
            ::kill(pid, SIGKILL);
        for (const pid_t pid : tree)
            ::kill(pid, SIGCONT);
        m_process->waitForFinished(10000);
        delete m_process;
        m_process = nullptr;
        m_pid = 0;
    }

    // An ssh config with a host alias for this server.
    QString writeClientConfig(const QString &name, const QString &identity, const QString &knownHosts,
                              const QByteArray &user = "root")
    {
        const QString file = path(name);
        QFile config(file);
        config.open(QIODevice::WriteOnly);
        QByteArray text = "Host node\n  HostName 127.0.0.1\n  Port " + QByteArray::number(m_port) + "\n  User " + user
            + "\n"
              "  UserKnownHostsFile "
            + knownHosts.toUtf8() + "\n";
        if (!identity.isEmpty())
            text += "  IdentityFile " + identity.toUtf8() + "\n";
        config.write(text);
        return file;
    }

    // "SHA256:..." as ssh-keygen prints it.
    QString fingerprint(const QString &key)
    {
        QByteArray out;
        runTool(QStringLiteral("ssh-keygen"),
                {QStringLiteral("-l"), QStringLiteral("-E"), QStringLiteral("sha256"), QStringLiteral("-f"),
                 path(key + QStringLiteral(".pub"))},
                &out);
        const QList<QByteArray> parts = out.split(' ');
        return parts.size() > 1 ? QString::fromUtf8(parts[1]) : QString();
    }

    QString path(const QString &name) const { return m_dir.filePath(name); }
    int port() const { return m_port; }

private:
    QTemporaryDir m_dir;
    QProcess *m_process = nullptr;
    QString m_shadow; // our /etc/shadow for a password-login sshd, empty for keys only
    QList<QPair<QString, QString>> m_etc; // bindFile()
    QByteArray m_env; // extra SetEnv variables
    qint64 m_pid = 0;
    int m_port = 0;
    int m_maxSessions = 20;
};
