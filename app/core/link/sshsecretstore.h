// Passwords for SSH logins that the user chose to keep, in the system keychain (Secret Service,
// KWallet, macOS Keychain, Windows Credential Store) through QtKeychain; never in a file of
// ours, never in plain text (no insecure fallback). Headless tools (kmodscope-cli) do not use
// it: there a secret is never stored. Built as kmodscope-keychain, separate from core, so that
// core and the CLI carry no D-Bus dependency.
#pragma once

#include <QObject>
#include <QString>

namespace kms {

class SshSecretStore : public QObject
{
    Q_OBJECT
public:
    explicit SshSecretStore(QObject *parent = nullptr);

    // One entry per login: "user@host:port".
    static QString keyFor(const QString &user, const QString &host, int port);

    // Asynchronous (the keychain may ask the user to unlock it); answered by the signals.
    void read(const QString &key);
    void write(const QString &key, const QString &secret);
    void remove(const QString &key);

Q_SIGNALS:
    // error is empty on success; a missing entry is an error ("not found"), not an empty secret.
    void secretRead(const QString &key, const QString &secret, const QString &error);
    void secretWritten(const QString &key, const QString &error);
    void secretRemoved(const QString &key, const QString &error);
};

} // namespace kms
