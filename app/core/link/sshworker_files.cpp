// SshWorker, file transfers: SFTP where the server has it, else a `cat` command on a channel.
#include "link/sshworker.h"

#include "link/shellquote.h"

#include <QSaveFile>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <fcntl.h>

namespace kms {

namespace {

QString sftpErrorText(int code)
{
    switch (code) {
    case SSH_FX_NO_SUCH_FILE:
        return QStringLiteral("no such file");
    case SSH_FX_PERMISSION_DENIED:
        return QStringLiteral("permission denied");
    case SSH_FX_EOF:
        return QStringLiteral("end of file");
    case SSH_FX_FAILURE:
        return QStringLiteral("failure");
    case SSH_FX_NO_SUCH_PATH:
        return QStringLiteral("no such path");
    case SSH_FX_FILE_ALREADY_EXISTS:
        return QStringLiteral("file exists");
    case SSH_FX_WRITE_PROTECT:
        return QStringLiteral("write protected");
    default:
        return QStringLiteral("sftp error %1").arg(code);
    }
}

} // namespace

bool SshWorker::ensureSftp()
{
    if (m_sftp)
        return true;
    if (m_noSftp)
        return false;
    m_sftp = sftp_new(m_session);
    if (m_sftp && sftp_init(m_sftp) == SSH_OK)
        return true;
    if (m_sftp)
        sftp_free(m_sftp);
    m_sftp = nullptr;
    // Small nodes (busybox + dropbear) often have no sftp-server: `cat` does the job.
    m_noSftp = true;
    return false;
}

SshWorker::FileOutcome SshWorker::runFileOp(Op &op)
{
    if (!ensureSftp()) {
        if (!sessionAlive()) {
            Q_EMIT fileFinished(op.id, SshFileResult{{}, QStringLiteral("connection lost"), false});
            return FileOutcome::SessionDead;
        }
        op.kind = Op::Kind::Command;
        op.fileFallback = true;
        if (op.fileOp == FileOp::Write) {
            op.commandLine = "cat > " + shellQuote(op.remotePath);
        } else {
            op.commandLine = shellCommand({QStringLiteral("cat"), QStringLiteral("--"), op.remotePath});
            op.stdinData.clear();
        }
        return FileOutcome::Converted;
    }
    SshFileResult result;
    result.viaSftp = true;
    const QByteArray path = op.remotePath.toUtf8();
    const auto fail = [&](const QString &what) {
        result.error
            = QStringLiteral("cannot %1 '%2': %3").arg(what, op.remotePath, sftpErrorText(sftp_get_error(m_sftp)));
    };
    if (op.fileOp == FileOp::Write) {
        sftp_file file = sftp_open(m_sftp, path.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (!file) {
            fail(QStringLiteral("write"));
        } else {
            const char *data = op.stdinData.constData();
            qsizetype left = op.stdinData.size();
            while (left > 0) {
                const ssize_t n = sftp_write(file, data, size_t(qMin<qsizetype>(left, 32 * 1024)));
                if (n < 0) {
                    fail(QStringLiteral("write"));
                    break;
                }
                data += n;
                left -= n;
            }
            sftp_close(file);
        }
    } else {
        sftp_file file = sftp_open(m_sftp, path.constData(), O_RDONLY, 0);
        if (!file) {
            fail(QStringLiteral("read"));
        } else {
            char buffer[32 * 1024];
            for (;;) {
                const ssize_t n = sftp_read(file, buffer, sizeof buffer);
                if (n < 0) {
                    fail(QStringLiteral("read"));
                    break;
                }
                if (n == 0)
                    break;
                result.data.append(buffer, n);
            }
            sftp_close(file);
        }
        if (op.fileOp == FileOp::Fetch && result.error.isEmpty()) {
            QSaveFile out(op.localPath);
            if (!out.open(QIODevice::WriteOnly) || out.write(result.data) != result.data.size() || !out.commit())
                result.error = QStringLiteral("cannot write '%1': %2").arg(op.localPath, out.errorString());
            result.data.clear();
        }
    }
    m_lastActivityMs = m_clock.elapsed();
    if (!sessionAlive()) {
        result.error = QStringLiteral("connection lost during the transfer");
        Q_EMIT fileFinished(op.id, result);
        return FileOutcome::SessionDead;
    }
    Q_EMIT fileFinished(op.id, result);
    return FileOutcome::Done;
}

} // namespace kms
