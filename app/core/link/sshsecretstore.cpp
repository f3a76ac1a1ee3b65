#include "link/sshsecretstore.h"

#include <qt6keychain/keychain.h>

namespace kms {

namespace {

const QString service = QStringLiteral("kmodscope-ssh");

template<typename Job> Job *makeJob(QObject *parent, const QString &key)
{
    auto *job = new Job(service, parent);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(key);
    return job;
}

QString errorOf(const QKeychain::Job *job)
{
    return job->error() == QKeychain::NoError ? QString() : job->errorString();
}

} // namespace

SshSecretStore::SshSecretStore(QObject *parent)
    : QObject(parent)
{
}

QString SshSecretStore::keyFor(const QString &user, const QString &host, int port)
{
    return QStringLiteral("%1@%2:%3").arg(user, host).arg(port);
}

void SshSecretStore::read(const QString &key)
{
    auto *job = makeJob<QKeychain::ReadPasswordJob>(this, key);
    connect(job, &QKeychain::Job::finished, this, [this, key](QKeychain::Job *done) {
        const auto *readJob = static_cast<QKeychain::ReadPasswordJob *>(done);
        const QString error = errorOf(readJob);
        Q_EMIT secretRead(key, error.isEmpty() ? readJob->textData() : QString(), error);
    });
    job->start();
}

void SshSecretStore::write(const QString &key, const QString &secret)
{
    auto *job = makeJob<QKeychain::WritePasswordJob>(this, key);
    job->setTextData(secret);
    connect(job, &QKeychain::Job::finished, this,
            [this, key](QKeychain::Job *done) { Q_EMIT secretWritten(key, errorOf(done)); });
    job->start();
}

void SshSecretStore::remove(const QString &key)
{
    auto *job = makeJob<QKeychain::DeletePasswordJob>(this, key);
    connect(job, &QKeychain::Job::finished, this,
            [this, key](QKeychain::Job *done) { Q_EMIT secretRemoved(key, errorOf(done)); });
    job->start();
}

} // namespace kms
