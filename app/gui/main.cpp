// kmodscope: the desktop app. Everything lives in kmodscope-gui; this only parses the command line.
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>
#include <cstring>
#include <memory>

// --help and --version are answered without a display (a clean root, the man-page build): a
// QApplication would abort there before the parser could print anything.
static bool onlyAsksForText(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        for (const char *o : {"-h", "--help", "--help-all", "-v", "--version"})
            if (std::strcmp(argv[i], o) == 0)
                return true;
    }
    return false;
}

int main(int argc, char *argv[])
{
    const std::unique_ptr<QCoreApplication> owner(onlyAsksForText(argc, argv) ? new QCoreApplication(argc, argv)
                                                                              : new QApplication(argc, argv));
    QCoreApplication &app = *owner;
    QApplication::setOrganizationName(QStringLiteral("kmodscope"));
    QApplication::setApplicationName(QStringLiteral("kmodscope"));
    QApplication::setApplicationVersion(QStringLiteral(KMS_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Live kernel console, decoded oopses, click a frame to see the source."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption profileOption(QStringLiteral("profile"), QStringLiteral("connection profile to use"),
                                           QStringLiteral("NAME"));
    const QCommandLineOption serialOption(
        QStringLiteral("serial"), QStringLiteral("serial device (overrides the profile's)"), QStringLiteral("PATH"));
    const QCommandLineOption koOption(QStringLiteral("ko"), QStringLiteral("module file or directory (repeatable)"),
                                      QStringLiteral("PATH"));
    const QCommandLineOption vmlinuxOption(
        QStringLiteral("vmlinux"), QStringLiteral("debug vmlinux for core-kernel frames (overrides the profile's)"),
        QStringLiteral("FILE"));
    const QCommandLineOption mapOption(QStringLiteral("src-map"), QStringLiteral("source path map (repeatable)"),
                                       QStringLiteral("OLD=NEW"));
    const QCommandLineOption sshOption(QStringLiteral("ssh"), QStringLiteral("SSH host or ssh-config alias"),
                                       QStringLiteral("HOST"));
    const QCommandLineOption sshPortOption(QStringLiteral("ssh-port"), QStringLiteral("SSH port"), QStringLiteral("N"));
    const QCommandLineOption sshUserOption(QStringLiteral("ssh-user"), QStringLiteral("SSH user"),
                                           QStringLiteral("USER"));
    const QCommandLineOption sshKeyOption(QStringLiteral("ssh-key"), QStringLiteral("SSH private key file"),
                                          QStringLiteral("FILE"));
    const QCommandLineOption knownHostsOption(QStringLiteral("known-hosts"),
                                              QStringLiteral("known_hosts file pinning the node's host key"),
                                              QStringLiteral("FILE"));
    const QCommandLineOption saveProfileOption(QStringLiteral("save-profile"),
                                               QStringLiteral("save the profile assembled from these options as NAME"),
                                               QStringLiteral("NAME"));
    const QCommandLineOption sessionLogDirOption(
        QStringLiteral("session-log-dir"),
        QStringLiteral("where the session log (every line of every source) is written (default: the data dir)"),
        QStringLiteral("DIR"));
    const QCommandLineOption noSessionLogOption(QStringLiteral("no-session-log"),
                                                QStringLiteral("write no session log"));
    const QCommandLineOption noConnectOption(QStringLiteral("no-connect"), QStringLiteral("do not connect at start"));
    QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                        QStringLiteral("grab the window once a report is decoded, then quit"),
                                        QStringLiteral("FILE"));
    screenshotOption.setFlags(QCommandLineOption::HiddenFromHelp);
    for (const auto &o : {profileOption, serialOption, sshOption, sshPortOption, sshUserOption, sshKeyOption,
                          knownHostsOption, saveProfileOption, koOption, vmlinuxOption, mapOption, sessionLogDirOption,
                          noSessionLogOption, noConnectOption, screenshotOption})
        parser.addOption(o);
    parser.addPositionalArgument(
        QStringLiteral("log"),
        QStringLiteral("log files to open: a console capture, dmesg output, journal export (journalctl -o export) "
                       "or kmodscope session log; their reports are listed and decoded as if live"),
        QStringLiteral("[log...]"));
    parser.process(app);

    kms::gui::StartOptions options;
    options.profile = parser.value(profileOption);
    options.serial = parser.value(serialOption);
    options.sshHost = parser.value(sshOption);
    options.sshPort = parser.value(sshPortOption).toInt();
    options.sshUser = parser.value(sshUserOption);
    options.sshKey = parser.value(sshKeyOption);
    options.knownHosts = parser.value(knownHostsOption);
    options.saveAs = parser.value(saveProfileOption);
    options.koPaths = parser.values(koOption);
    options.vmlinux = parser.value(vmlinuxOption);
    options.pathMaps = parser.values(mapOption);
    options.screenshot = parser.value(screenshotOption);
    options.logs = parser.positionalArguments();
    // Opening a capture is reading it, not connecting to the last profile's node.
    options.connect = !parser.isSet(noConnectOption) && options.logs.isEmpty();
    options.sessionLogDir = parser.value(sessionLogDirOption);
    options.sessionLog = !parser.isSet(noSessionLogOption);
    for (const QString &m : options.pathMaps) {
        if (!m.contains(QLatin1Char('=')) || m.startsWith(QLatin1Char('='))) {
            fprintf(stderr, "kmodscope: --src-map wants OLD=NEW, got '%s'\n", qPrintable(m));
            return 2;
        }
    }

    kms::gui::MainWindow window(options);
    window.show();
    return app.exec();
}
