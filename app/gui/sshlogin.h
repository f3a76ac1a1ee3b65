// The password side of an SSH login, for profiles that allow one: taken from the system keychain
// when kept there (which may first ask the user to unlock it), else asked in a dialog; kept in
// the keychain once the login worked if the user chose so, and removed from it when the node
// refuses it, so that the next connect asks. Without QtKeychain it is asked every time.
#pragma once

#include "link/sshlink.h"

#include <QObject>
#include <QString>

class QWidget;

namespace kms {
class SshSecretStore;
} // namespace kms

namespace kms::gui {

class SshLogin : public QObject
{
    Q_OBJECT
public:
    explicit SshLogin(QWidget *dialogParent);

    // "user@host:port", as the keychain knows it (and the dialog shows it).
    static QString keyFor(const QString &user, const QString &host, int port);
    // Gets a password for key: passwordReady or cancelled follow (maybe after a dialog).
    void request(const QString &key);
    // A pending request is no longer wanted (the user disconnected).
    void cancel() { m_pending.clear(); }
    // The link's state after passwordReady: keeps or forgets the password.
    void linkStateChanged(SshLink::State state);

Q_SIGNALS:
    void passwordReady(const QString &password);
    void cancelled(); // no password given
    void message(const QString &text, int timeoutMs);

private:
    void ask();

    QWidget *m_dialogParent;
    SshSecretStore *m_secrets = nullptr; // nullptr when built without QtKeychain
    QString m_pending; // key of the request being answered
    QString m_key; // key of the password in use
    QString m_secretToKeep; // written to the keychain once the login worked
    bool m_fromKeychain = false;
};

} // namespace kms::gui
