#include "link/shellquote.h"

namespace kms {

namespace {

// '=' only after the first word: there it would turn the command into an assignment.
bool isBareSafe(const QString &argument, bool first)
{
    if (argument.isEmpty())
        return false;
    for (const QChar c : argument) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_'
            || u == '-' || u == '.' || u == '/' || u == ',' || u == ':' || u == '+' || u == '@' || u == '%'
            || (u == '=' && !first);
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

QByteArray shellQuote(const QString &argument)
{
    QByteArray out;
    const QByteArray bytes = argument.toUtf8();
    out.reserve(bytes.size() + 2);
    out.append('\'');
    for (const char c : bytes) {
        if (c == '\'')
            out.append("'\\''");
        else
            out.append(c);
    }
    out.append('\'');
    return out;
}

QByteArray shellCommand(const QStringList &argv)
{
    QByteArray out;
    for (const QString &argument : argv) {
        if (!out.isEmpty())
            out.append(' ');
        out.append(isBareSafe(argument, out.isEmpty()) ? argument.toUtf8() : shellQuote(argument));
    }
    return out;
}

bool isValidModuleName(QStringView name)
{
    if (name.isEmpty() || name.size() > 55 || name.front() == u'-')
        return false;
    for (const QChar c : name) {
        const char16_t u = c.unicode();
        if (!((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' || u == '-'))
            return false;
    }
    return true;
}

bool isValidRemotePath(QStringView path)
{
    if (path.isEmpty() || path.size() > 4095 || path.front() == u'-')
        return false;
    for (const QChar c : path) {
        if (c.unicode() == 0 || c == u'\n' || c == u'\r')
            return false;
    }
    return true;
}

} // namespace kms
