// Internal to symbols/: opening a module file (.ko, .ko.xz, .ko.zst) as an ELF image.
#pragma once

#include <QByteArray>
#include <QString>

namespace kms::elfimage {

enum class Compression { None, Xz, Zstd };

// The compression of a file from its first bytes (magic), whatever its name.
Compression detect(const QByteArray &head);

// A file descriptor on the file's ELF image: the file itself, or, for a compressed file, an
// anonymous memory file (memfd) holding the decompressed image. The caller owns the descriptor.
// Returns -1 and sets *error when the file cannot be read or decompressed (it does not check
// that the image is ELF).
int open(const QString &path, Compression *compression, QString *error);

} // namespace kms::elfimage
