#include "sshlogin.h"

#include "link/sshsecretstore.h"

#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace kms::gui {

SshLogin::SshLogin(QWidget *dialogParent)
    : QObject(dialogParent)
    , m_dialogParent(dialogParent)
{
#ifdef KMS_HAVE_KEYCHAIN
    m_secrets = new SshSecretStore(this);
    connect(m_secrets, &SshSecretStore::secretRead, this,
            [this](const QString &key, const QString &secret, const QString &error) {
                if (key != m_pending)
                    return;
                m_fromKeychain = error.isEmpty() && !secret.isEmpty();
                if (!m_fromKeychain) {
                    ask();
                    return;
                }
                m_key = std::exchange(m_pending, {});
                m_secretToKeep.clear();
                Q_EMIT passwordReady(secret);
            });
    connect(m_secrets, &SshSecretStore::secretWritten, this, [this](const QString &, const QString &error) {
        if (!error.isEmpty())
            Q_EMIT message(tr("Keychain: the password was not kept: %1").arg(error), 15000);
    });
#endif
}

QString SshLogin::keyFor(const QString &user, const QString &host, int port)
{
#ifdef KMS_HAVE_KEYCHAIN
    return SshSecretStore::keyFor(user, host, port);
#else
    return QStringLiteral("%1@%2:%3").arg(user, host).arg(port); // only shown, never stored
#endif
}

void SshLogin::request(const QString &key)
{
    m_pending = key;
    m_fromKeychain = false;
    if (m_secrets)
        m_secrets->read(key); // answered by secretRead
    else
        ask();
}

void SshLogin::ask()
{
    QDialog dialog(m_dialogParent);
    dialog.setObjectName(QStringLiteral("PasswordDialog"));
    dialog.setWindowTitle(tr("SSH password"));
    auto *layout = new QVBoxLayout(&dialog);
    layout->addWidget(new QLabel(tr("Password for %1 (tried after the agent and keys):").arg(m_pending), &dialog));
    auto *edit = new QLineEdit(&dialog);
    edit->setEchoMode(QLineEdit::Password);
    layout->addWidget(edit);
    auto *remember = new QCheckBox(tr("Remember it in the system keychain"), &dialog);
    remember->setEnabled(m_secrets != nullptr);
    if (!m_secrets)
        remember->setToolTip(tr("This build has no keychain support: the password is kept for this session only"));
    layout->addWidget(remember);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    const bool given = dialog.exec() == QDialog::Accepted && !edit->text().isEmpty();
    if (m_pending.isEmpty())
        return; // cancelled meanwhile
    if (!given) {
        m_pending.clear();
        Q_EMIT cancelled();
        return;
    }
    m_key = std::exchange(m_pending, {});
    m_secretToKeep = remember->isChecked() ? edit->text() : QString();
    Q_EMIT passwordReady(edit->text());
}

void SshLogin::linkStateChanged(SshLink::State state)
{
    if (m_secrets && state == SshLink::State::Up && !m_secretToKeep.isEmpty())
        m_secrets->write(m_key, m_secretToKeep);
    if (m_secrets && state == SshLink::State::AuthFailed && m_fromKeychain) {
        // A kept password that no longer works: forget it, so that the next connect asks.
        m_secrets->remove(m_key);
        m_fromKeychain = false;
        Q_EMIT message(tr("SSH: the password from the keychain was refused; it was removed"), 15000);
    }
    if (state == SshLink::State::Up || state == SshLink::State::AuthFailed)
        m_secretToKeep.clear();
}

} // namespace kms::gui
