// Connection profiles (a node: serial port, SSH, modules, .ko paths, source path maps), stored
// with QSettings under "profiles/<name>", and the dialogs that create, edit and duplicate them.
#pragma once

#include <QDialog>
#include <QStringList>

class QLineEdit;
class QSpinBox;
class QPlainTextEdit;
class QListWidget;

namespace kms::gui {

struct Profile {
    QString name;
    QString serialPort; // empty: no serial link
    int baud = 115200;
    QString sshHost; // host or ssh-config alias; empty: no SSH link
    int sshPort = 0;
    QString sshUser;
    QString sshKey;
    QString knownHosts;
    QStringList modules;
    QStringList koPaths;
    QStringList pathMaps; // "OLD=NEW"

    bool operator==(const Profile &) const = default;
};

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
    QLineEdit *m_name, *m_serial, *m_sshHost, *m_sshUser, *m_sshKey, *m_knownHosts;
    QSpinBox *m_baud, *m_sshPort;
    QPlainTextEdit *m_modules, *m_koPaths, *m_pathMaps;
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
