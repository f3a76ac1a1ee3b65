#include "symbols/elfimage.h"

#include <QFile>
#include <QProcess>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <lzma.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef KMS_HAVE_ZSTD
#include <zstd.h>
#endif

namespace kms::elfimage {

namespace {

constexpr qint64 MaxImage = qint64(1) << 31; // a module larger than 2 GiB is not a module

bool decompressXz(const QByteArray &in, QByteArray *out, QString *error)
{
    lzma_stream strm = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
        *error = QStringLiteral("xz: cannot initialise the decoder");
        return false;
    }
    out->resize(std::max<qsizetype>(in.size() * 4, 1 << 16));
    strm.next_in = reinterpret_cast<const uint8_t *>(in.constData());
    strm.avail_in = size_t(in.size());
    strm.next_out = reinterpret_cast<uint8_t *>(out->data());
    strm.avail_out = size_t(out->size());
    lzma_ret ret = LZMA_OK;
    while (true) {
        ret = lzma_code(&strm, LZMA_FINISH);
        if (ret == LZMA_STREAM_END)
            break;
        if (ret != LZMA_OK && ret != LZMA_BUF_ERROR)
            break;
        if (strm.avail_out == 0) {
            if (out->size() >= MaxImage) {
                ret = LZMA_MEMLIMIT_ERROR;
                break;
            }
            const qsizetype done = out->size();
            out->resize(done * 2);
            strm.next_out = reinterpret_cast<uint8_t *>(out->data()) + done;
            strm.avail_out = size_t(out->size() - done);
        } else if (ret == LZMA_BUF_ERROR) {
            break; // no progress possible: truncated input
        }
    }
    const qsizetype produced = qsizetype(strm.total_out);
    lzma_end(&strm);
    if (ret != LZMA_STREAM_END) {
        *error = QStringLiteral("xz: corrupt or truncated data (lzma error %1)").arg(int(ret));
        return false;
    }
    out->resize(produced);
    return true;
}

bool decompressZstd(const QString &path, const QByteArray &in, QByteArray *out, QString *error)
{
#ifdef KMS_HAVE_ZSTD
    Q_UNUSED(path);
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds) {
        *error = QStringLiteral("zstd: cannot create a decoder");
        return false;
    }
    ZSTD_initDStream(ds);
    out->clear();
    QByteArray chunk(qsizetype(ZSTD_DStreamOutSize()), Qt::Uninitialized);
    ZSTD_inBuffer input{in.constData(), size_t(in.size()), 0};
    size_t ret = 1;
    while (input.pos < input.size) {
        ZSTD_outBuffer output{chunk.data(), size_t(chunk.size()), 0};
        ret = ZSTD_decompressStream(ds, &output, &input);
        if (ZSTD_isError(ret)) {
            *error = QStringLiteral("zstd: %1").arg(QString::fromUtf8(ZSTD_getErrorName(ret)));
            ZSTD_freeDStream(ds);
            return false;
        }
        out->append(chunk.constData(), qsizetype(output.pos));
        if (out->size() > MaxImage)
            break;
    }
    // Flush what the decoder still holds once the input is consumed.
    while (ret != 0 && out->size() <= MaxImage) {
        ZSTD_outBuffer output{chunk.data(), size_t(chunk.size()), 0};
        ret = ZSTD_decompressStream(ds, &output, &input);
        if (ZSTD_isError(ret) || output.pos == 0)
            break;
        out->append(chunk.constData(), qsizetype(output.pos));
    }
    ZSTD_freeDStream(ds);
    if (ret != 0) {
        *error = QStringLiteral("zstd: truncated data");
        return false;
    }
    return true;
#else
    Q_UNUSED(in);
    QProcess zstd;
    zstd.start(QStringLiteral("zstd"), {QStringLiteral("-dcq"), QStringLiteral("--"), path});
    if (!zstd.waitForFinished(60000) || zstd.exitStatus() != QProcess::NormalExit || zstd.exitCode() != 0) {
        *error = QStringLiteral("zstd: cannot decompress (%1)")
                     .arg(zstd.error() == QProcess::FailedToStart
                              ? QStringLiteral("the zstd program is not installed")
                              : QString::fromLocal8Bit(zstd.readAllStandardError()).trimmed());
        return false;
    }
    *out = zstd.readAllStandardOutput();
    return true;
#endif
}

} // namespace

Compression detect(const QByteArray &head)
{
    if (head.startsWith(QByteArrayLiteral("\xFD"
                                          "7zXZ\x00")))
        return Compression::Xz;
    if (head.startsWith(QByteArrayLiteral("\x28\xB5\x2F\xFD")))
        return Compression::Zstd;
    return Compression::None;
}

int open(const QString &path, Compression *compression, QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = QStringLiteral("cannot open: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return -1;
    }
    char head[8] = {};
    const ssize_t n = ::pread(fd, head, sizeof head, 0);
    const Compression kind = detect(QByteArray(head, n > 0 ? int(n) : 0));
    if (compression)
        *compression = kind;
    if (kind == Compression::None)
        return fd;

    QFile file;
    if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        *error = QStringLiteral("cannot read: %1").arg(file.errorString());
        return -1;
    }
    const QByteArray packed = file.readAll();
    file.close();
    QByteArray image;
    const bool ok
        = kind == Compression::Xz ? decompressXz(packed, &image, error) : decompressZstd(path, packed, &image, error);
    if (!ok)
        return -1;

    const int mfd = ::memfd_create("kmodscope-ko", MFD_CLOEXEC);
    if (mfd < 0) {
        *error = QStringLiteral("memfd_create: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return -1;
    }
    qsizetype written = 0;
    while (written < image.size()) {
        const ssize_t w = ::write(mfd, image.constData() + written, size_t(image.size() - written));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            *error
                = QStringLiteral("cannot hold the decompressed image: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            ::close(mfd);
            return -1;
        }
        written += w;
    }
    return mfd;
}

} // namespace kms::elfimage
