#include "explain/memberchain.h"

namespace kms {

namespace {

bool identStart(QChar c)
{
    return c.isLetter() || c == QLatin1Char('_');
}

bool identChar(QChar c)
{
    return c.isLetterOrNumber() || c == QLatin1Char('_');
}

void skipSpace(const QString &s, qsizetype &i)
{
    while (i < s.size() && s.at(i).isSpace())
        ++i;
}

std::optional<long long> integer(const QString &text)
{
    QString t = text.trimmed();
    while (!t.isEmpty()
           && (t.endsWith(QLatin1Char('u')) || t.endsWith(QLatin1Char('U')) || t.endsWith(QLatin1Char('l'))
               || t.endsWith(QLatin1Char('L'))))
        t.chop(1);
    bool ok = false;
    const long long v = t.toLongLong(&ok, 0);
    return ok ? std::optional(v) : std::nullopt;
}

} // namespace

QString AccessChain::prefix(int count) const
{
    QString out = root;
    for (int i = 0; i < count && i < steps.size(); ++i) {
        const ChainStep &s = steps[i];
        if (s.kind == ChainStep::Arrow)
            out += QStringLiteral("->") + s.name;
        else if (s.kind == ChainStep::Dot)
            out += QLatin1Char('.') + s.name;
        else
            out += QLatin1Char('[') + s.name + QLatin1Char(']');
    }
    return out;
}

QString AccessChain::text() const
{
    return prefix(int(steps.size()));
}

QList<AccessChain> parseAccessChains(const QString &line)
{
    QList<AccessChain> out;
    const QString &s = line;
    qsizetype i = 0;
    while (i < s.size()) {
        const QChar c = s.at(i);
        if (c == QLatin1Char('/') && i + 1 < s.size() && s.at(i + 1) == QLatin1Char('/'))
            break;
        if (c == QLatin1Char('/') && i + 1 < s.size() && s.at(i + 1) == QLatin1Char('*')) {
            const qsizetype end = s.indexOf(QStringLiteral("*/"), i + 2);
            i = end < 0 ? s.size() : end + 2;
            continue;
        }
        if (c == QLatin1Char('"') || c == QLatin1Char('\'')) {
            ++i;
            while (i < s.size() && s.at(i) != c)
                i += s.at(i) == QLatin1Char('\\') ? 2 : 1;
            ++i;
            continue;
        }
        if (c.isDigit()) { // numbers (1.5f, 0x10) are not chains
            while (i < s.size() && (identChar(s.at(i)) || s.at(i) == QLatin1Char('.')))
                ++i;
            continue;
        }
        if (!identStart(c)) {
            ++i;
            continue;
        }
        // A chain may not start after '.' or '->' (it would be the middle of one).
        const qsizetype start = i;
        while (i < s.size() && identChar(s.at(i)))
            ++i;
        AccessChain chain;
        chain.root = s.mid(start, i - start);
        while (true) {
            qsizetype j = i;
            skipSpace(s, j);
            if (s.mid(j, 2) == QLatin1String("->") || (j < s.size() && s.at(j) == QLatin1Char('.'))) {
                const bool arrow = s.at(j) == QLatin1Char('-');
                j += arrow ? 2 : 1;
                skipSpace(s, j);
                if (j >= s.size() || !identStart(s.at(j)))
                    break;
                const qsizetype n = j;
                while (j < s.size() && identChar(s.at(j)))
                    ++j;
                chain.steps.append({arrow ? ChainStep::Arrow : ChainStep::Dot, s.mid(n, j - n), std::nullopt});
                i = j;
            } else if (j < s.size() && s.at(j) == QLatin1Char('[')) {
                int depth = 1;
                qsizetype k = j + 1;
                while (k < s.size() && depth > 0) {
                    if (s.at(k) == QLatin1Char('['))
                        ++depth;
                    else if (s.at(k) == QLatin1Char(']'))
                        --depth;
                    ++k;
                }
                if (depth != 0)
                    break;
                const QString inner = s.mid(j + 1, k - j - 2).trimmed();
                chain.steps.append({ChainStep::Index, inner, integer(inner)});
                i = k;
            } else {
                break;
            }
        }
        if (!chain.steps.isEmpty())
            out.append(chain);
    }
    return out;
}

} // namespace kms
