// What the desktop e2e tests share: scripts/vnode on the test's node, the node's status, the
// window's options for it, the rule that a missing node skips outside scripts/test and fails
// inside it (KMS_E2E_STRICT), screenshots for scripts/screenshots, and the oracle for where
// prudaq's unload_race faults (read from prudaq's own source, not from the decoder).
#pragma once

#include "mainwindow.h"

#include <QFile>
#include <QHash>
#include <QProcess>
#include <QRegularExpression>
#include <QStringList>
#include <QTest>
#include <QWidget>

// A node (or a part of it) the test needs and does not find: skipped when a developer runs the
// test by hand, a failure under scripts/test and CI (KMS_E2E_STRICT set, whatever its value).
#define E2E_REQUIRE(cond, why)                                                                                         \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            if (qEnvironmentVariableIsSet("KMS_E2E_STRICT"))                                                           \
                QFAIL(qPrintable(why));                                                                                \
            QSKIP(qPrintable(why));                                                                                    \
        }                                                                                                              \
    } while (false)

// Fills `statusOut` with the status of a node that is up and answers over SSH. A node that is not
// running is E2E_REQUIRE'd; one that runs but does not come up within 120 s always fails.
#define E2E_REQUIRE_NODE_UP(statusOut)                                                                                 \
    do {                                                                                                               \
        statusOut = vnodetest::status();                                                                               \
        E2E_REQUIRE(vnodetest::running(statusOut),                                                                     \
                    QStringLiteral("the virtual node is not running (e2e_vnode_up_x86_64 first)"));                    \
        const vnodetest::Vnode up_                                                                                     \
            = vnodetest::vnode({QStringLiteral("wait"), QStringLiteral("--timeout"), QStringLiteral("120")});          \
        QVERIFY2(up_.exitCode == 0, up_.out.constData());                                                              \
        statusOut = vnodetest::status();                                                                               \
    } while (false)

// prudaq.ko must be installed on the node; prudaq is unloaded so the test starts from a clean node.
#define E2E_REQUIRE_PRUDAQ_KO()                                                                                        \
    do {                                                                                                               \
        const vnodetest::Vnode has_                                                                                    \
            = vnodetest::vnode({QStringLiteral("ssh"),                                                                 \
                                QStringLiteral("test -f /lib/modules/$(uname -r)/extra/prudaq.ko && "                  \
                                               "{ [ ! -e /sys/module/prudaq ] || rmmod prudaq; }")});                  \
        E2E_REQUIRE(has_.exitCode == 0, QStringLiteral("the node has no prudaq.ko: ") + QString::fromUtf8(has_.out));  \
    } while (false)

namespace vnodetest {

// The build tree's node; scripts/screenshots points the tests at the user's (KMS_VNODE_DIR).
inline QString vnodeDir()
{
    return qEnvironmentVariable("KMS_VNODE_DIR", QStringLiteral(KMS_E2E_VNODE_DIR));
}

inline QProcessEnvironment vnodeEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("KMODSCOPE_VNODE_DIR"), vnodeDir());
    return env;
}

struct Vnode {
    QByteArray out;
    int exitCode = -1; // -1: it did not finish within the timeout, or crashed
};

inline Vnode vnode(const QStringList &args, int timeoutMs = 180000)
{
    QProcess p;
    p.setProcessEnvironment(vnodeEnvironment());
    p.start(QStringLiteral(KMS_SOURCE_DIR "/scripts/vnode"), args);
    Vnode r;
    if (p.waitForFinished(timeoutMs) && p.exitStatus() == QProcess::NormalExit)
        r.exitCode = p.exitCode();
    r.out = p.readAllStandardOutput() + p.readAllStandardError();
    return r;
}

// `scripts/vnode status` as key=value pairs (state, boots, serial_pty, ssh_port, ssh_key, ...).
inline QHash<QString, QString> status()
{
    QHash<QString, QString> kv;
    for (const QByteArray &line : vnode({QStringLiteral("status")}).out.split('\n')) {
        const qsizetype eq = line.indexOf('=');
        if (eq > 0)
            kv.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
    }
    return kv;
}

inline bool running(const QHash<QString, QString> &status)
{
    const QString state = status.value(QStringLiteral("state"));
    return !state.isEmpty() && state != QLatin1String("stopped");
}

// The window on the node as a user connects it: its serial console, SSH as root with the node's key.
inline kms::gui::StartOptions nodeOptions(const QHash<QString, QString> &status)
{
    kms::gui::StartOptions o;
    o.serial = status.value(QStringLiteral("serial_pty"));
    o.sshHost = QStringLiteral("127.0.0.1");
    o.sshPort = status.value(QStringLiteral("ssh_port")).toInt();
    o.sshUser = QStringLiteral("root");
    o.sshKey = status.value(QStringLiteral("ssh_key"));
    o.knownHosts = status.value(QStringLiteral("known_hosts"));
    return o;
}

// scripts/screenshots runs the tests under Xvfb with KMS_SCREENSHOT_DIR set.
inline void screenshot(QWidget *widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("KMS_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        QVERIFY(widget->grab().save(dir + QLatin1Char('/') + name));
}

// The function of prudaq_comm.c whose body carries the fault=unload_race comment (first and last
// line), the function that reads comm->shm after the unload.
struct FunctionLines {
    QString name;
    int first = 0;
    int last = 0;
};

inline FunctionLines faultingFunction()
{
    QFile f(QStringLiteral(KMS_SOURCE_DIR "/kmod/prudaq_comm.c"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
    static const QRegularExpression def(QStringLiteral("^static\\s.*\\b(prudaq_\\w+)\\("));
    for (int i = 0; i < lines.size(); ++i) {
        if (!lines[i].contains(QLatin1String("fault=unload_race")))
            continue;
        FunctionLines fn;
        for (int j = i; j >= 0 && fn.name.isEmpty(); --j) {
            if (const auto m = def.match(lines[j]); m.hasMatch())
                fn = {m.captured(1), j + 1, 0};
        }
        for (int j = i; j < lines.size() && fn.last == 0; ++j) {
            if (lines[j] == QLatin1String("}"))
                fn.last = j + 1;
        }
        return fn;
    }
    return {};
}

} // namespace vnodetest
