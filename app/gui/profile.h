// Connection profiles (a node: serial port, SSH, modules, .ko paths, source path maps), stored
// with QSettings under "profiles/<name>", and the dialogs that create, edit and duplicate them.
#pragma once

#include "link/seriallink.h"

#include <QDialog>
#include <QJsonObject>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;
class QPlainTextEdit;
class QListWidget;

namespace kms::gui {

struct Profile {
    QString name;
    QString serialPort; // empty: no serial link
    int baud = 115200;
    int dataBits = 8; // 5..8
    QString parity = QStringLiteral("none"); // none, even, odd, space, mark
    QString stopBits = QStringLiteral("1"); // 1, 1.5, 2
    QString flowControl = QStringLiteral("none"); // none, rts/cts, xon/xoff
    QString sshHost; // host or ssh-config alias; empty: no SSH link
    int sshPort = 0;
    QString sshUser;
    QString sshKey;
    QString knownHosts;
    // Password login is tried (after the agent and keys) only when chosen here; the password is
    // asked for, and kept only in the system keychain, and only if the user says so.
    bool sshPasswordLogin = false;
    QString kernelLogCommand; // shell command on the node followed as SSH-dmesg; empty: dmesg -w
    QStringList modules;
    QStringList koPaths;
    bool fetchKo = true; // a module that no .ko path has is fetched from the node (modinfo -n)
    QString vmlinux; // debug vmlinux for core-kernel frames; empty: by build id through debuginfod
    QStringList pathMaps; // "OLD=NEW"
    // Where telemetry lines (`key=value ...`, DESIGN's telemetry contract) come from: a file on
    // the node read over SSH; empty: none.
    QString telemetrySource;
    // The Cycles dock's run (CycleRunConfig::toJson(); empty: its defaults).
    QJsonObject cycleRun;

    bool operator==(const Profile &) const = default;
};

// The serial settings of a profile, for SerialLink.
SerialSettings serialSettings(const Profile &profile);

class ProfileStore
{
public:
    static QStringList names();
    static bool load(const QString &name, Profile *profile);
    static void save(const Profile &profile);
    static void remove(const QString &name);
    static QString lastUsed();
    static void setLastUsed(const QString &name);
};

class ProfileDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ProfileDialog(const Profile &profile, QWidget *parent = nullptr);
    Profile profile() const;

private:
    QComboBox *m_serial;
    QLineEdit *m_name, *m_sshHost, *m_sshUser, *m_sshKey, *m_knownHosts, *m_kernelLog, *m_telemetry;
    QLineEdit *m_vmlinux;
    QSpinBox *m_baud, *m_sshPort;
    QComboBox *m_dataBits, *m_parity, *m_stopBits, *m_flow;
    QCheckBox *m_fetchKo, *m_passwordLogin;
    QPlainTextEdit *m_modules, *m_koPaths, *m_pathMaps;
    QJsonObject m_cycleRun; // not edited here: kept as it was
};

// The list of profiles: new, edit, duplicate, delete.
class ProfilesDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ProfilesDialog(QWidget *parent = nullptr);
    QString selected() const;

private:
    void reload(const QString &select = {});
    void edit(bool duplicate, bool create);
    QListWidget *m_list;
};

} // namespace kms::gui
