// Commands for the node's shell built from argument lists, and checks for the user-given words
// that end up in them. The remote side is whatever /bin/sh the node has (busybox ash, dash,
// bash): single quotes are the one quoting that means the same in all of them.
#pragma once

#include <QByteArray>
#include <QStringList>

namespace kms {

// 'it'\''s' style: safe for any byte except NUL, which no argument can carry anyway.
QByteArray shellQuote(const QString &argument);
// Each argument quoted (bare when it only holds characters the shell never interprets), joined
// by spaces.
QByteArray shellCommand(const QStringList &argv);

// A kernel module name as insmod/modprobe/rmmod take it: letters, digits, '_' and '-', at most
// 55 characters (MODULE_NAME_LEN - 1 on 64-bit), not starting with '-' (an option).
bool isValidModuleName(QStringView name);
// A node-side path from the user: non-empty, at most PATH_MAX, no NUL or newline, no leading
// '-' (it would read as an option to cat/insmod).
bool isValidRemotePath(QStringView path);

} // namespace kms
