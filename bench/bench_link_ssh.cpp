// Per-command latency to a node over SSH: commands on one open libssh session (SshLink) versus
// the `ssh` command line opening a new connection for every command, in the same run against
// the same loopback sshd (sshdfixture.h). Goal: <= 20 ms per command and >= 5x faster.
// Usage: bench_link_ssh [commands]   (default 100; the CLI side runs a fifth of that)
#include "sshdfixture.h"

#include "link/sshlink.h"

#include <QCoreApplication>
#include <QEventLoop>

#include <libssh/libssh.h>

#include <algorithm>
#include <cstdio>

using namespace kms;

namespace {

struct Stats {
    double median = 0;
    double p90 = 0;
    double mean = 0;
};

Stats stats(QList<double> ms)
{
    std::sort(ms.begin(), ms.end());
    Stats s;
    if (ms.isEmpty())
        return s;
    s.median = ms[ms.size() / 2];
    s.p90 = ms[qMin(ms.size() - 1, ms.size() * 9 / 10)];
    for (double v : ms)
        s.mean += v;
    s.mean /= ms.size();
    return s;
}

// The floor: libssh's blocking API on a session of its own, no threads, no event loop. What
// SshLink adds on top of it is the cost of its design (queued calls, notifier-driven reads).
QList<double> rawLibssh(const SshdFixture &sshd, int count)
{
    QList<double> ms;
    ssh_session s = ssh_new();
    const unsigned int port = unsigned(sshd.port());
    const int nodelay = 1;
    ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s, SSH_OPTIONS_USER, "root");
    ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay);
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
    ssh_options_set(s, SSH_OPTIONS_ADD_IDENTITY, sshd.path(QStringLiteral("id_client")).toUtf8().constData());
    if (ssh_connect(s) == SSH_OK && ssh_userauth_publickey_auto(s, nullptr, nullptr) == SSH_AUTH_SUCCESS) {
        for (int i = 0; i < count + 5; ++i) {
            QElapsedTimer t;
            t.start();
            ssh_channel channel = ssh_channel_new(s);
            ssh_channel_open_session(channel);
            ssh_channel_request_exec(channel, "true");
            char buffer[256];
            while (ssh_channel_read(channel, buffer, sizeof buffer, 0) > 0) { }
            ssh_channel_get_exit_status(channel);
            ssh_channel_close(channel);
            ssh_channel_free(channel);
            if (i >= 5)
                ms.append(t.nsecsElapsed() / 1e6);
        }
    }
    ssh_disconnect(s);
    ssh_free(s);
    return ms;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int count = argc > 1 ? std::atoi(argv[1]) : 100;
    SshdFixture sshd;
    if (!sshd.setUp() || !sshd.start()) {
        std::fprintf(stderr, "cannot start sshd\n");
        return 1;
    }
    const QString knownHosts = sshd.path(QStringLiteral("known_hosts"));

    SshSettings settings;
    settings.host = QStringLiteral("node");
    settings.configFile
        = sshd.writeClientConfig(QStringLiteral("config"), sshd.path(QStringLiteral("id_client")), knownHosts);
    settings.unknownHostKey = SshSettings::UnknownHostKey::Accept;
    SshLink link(settings);
    QElapsedTimer clock;
    clock.start();
    QEventLoop loop;
    qint64 upMs = -1;
    QObject::connect(&link, &SshLink::stateChanged, &loop, [&](SshLink::State state, const QString &detail) {
        if (state == SshLink::State::Up) {
            upMs = clock.elapsed();
            loop.quit();
        } else if (state != SshLink::State::Connecting) {
            std::fprintf(stderr, "ssh: %s\n", qPrintable(detail));
            loop.exit(1);
        }
    });
    link.start();
    if (loop.exec() != 0)
        return 1;

    // One command at a time, as a reload cycle issues them.
    QList<double> session;
    quint64 waiting = 0;
    int failures = 0;
    QObject::connect(&link, &SshLink::commandFinished, &loop, [&](quint64 id, const SshCommandResult &r) {
        if (id == waiting) {
            failures += r.ok() ? 0 : 1;
            loop.quit();
        }
    });
    for (int i = 0; i < count + 5; ++i) {
        QElapsedTimer t;
        t.start();
        waiting = link.run({QStringLiteral("true")});
        loop.exec();
        if (i >= 5) // warm-up
            session.append(t.nsecsElapsed() / 1e6);
    }

    QList<double> cli;
    const QStringList sshArgs
        = {QStringLiteral("-F"),   settings.configFile,   QStringLiteral("-o"), QStringLiteral("BatchMode=yes"),
           QStringLiteral("node"), QStringLiteral("true")};
    for (int i = 0; i < qMax(5, count / 5); ++i) {
        QElapsedTimer t;
        t.start();
        if (!SshdFixture::runTool(QStringLiteral("ssh"), sshArgs))
            ++failures;
        cli.append(t.nsecsElapsed() / 1e6);
    }

    const Stats r = stats(rawLibssh(sshd, count));
    const Stats s = stats(session);
    const Stats c = stats(cli);
    std::printf("ssh session ready in %lld ms\n", static_cast<long long>(upMs));
    std::printf("libssh session, %d commands: median %.1f ms, p90 %.1f ms, mean %.1f ms (goal <= 20)\n",
                int(session.size()), s.median, s.p90, s.mean);
    std::printf("floor, blocking libssh in one thread: median %.1f ms, p90 %.1f ms\n", r.median, r.p90);
    std::printf("ssh CLI, new connection each, %d commands: median %.1f ms, p90 %.1f ms, mean %.1f ms\n",
                int(cli.size()), c.median, c.p90, c.mean);
    std::printf("speed-up (median): %.1fx (goal >= 5x); failures: %d\n", c.median / s.median, failures);
    return failures == 0 ? 0 : 1;
}
