// Shared by the symbols tests: the fixture modules built by tests/fixtures/kmsfixture, the
// binutils tools for each architecture (the independent oracle) and parsers for their output.
#pragma once

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QList>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QString>
#include <QStringList>
#include <QTest>

namespace symtest {

struct FixtureArch {
    const char *name; // x86_64, armhf, arm64
    const char *ko;
    const char *toolPrefix; // binutils prefix for this architecture
};

inline const QList<FixtureArch> &fixtureArches()
{
    static const QList<FixtureArch> arches = {
        {"x86_64", KMS_FIXTURE_KO_X86_64, ""},
        {"armhf", KMS_FIXTURE_KO_ARMHF, "arm-linux-gnueabihf-"},
        {"arm64", KMS_FIXTURE_KO_ARM64, "aarch64-linux-gnu-"},
    };
    return arches;
}

// Why the fixture for `ko` is missing, from the build's kmsfixture.error, or empty if it is there.
inline QString fixtureProblem(const QString &ko)
{
    if (QFileInfo::exists(ko))
        return {};
    QFile err(QFileInfo(ko).dir().filePath(QStringLiteral("kmsfixture.error")));
    if (err.open(QIODevice::ReadOnly))
        return QString::fromUtf8(err.readAll()).trimmed();
    return QStringLiteral("%1 was not built (build the kmsfixture_modules target)").arg(ko);
}

// Fails the calling test (not skips) when the fixture could not be built.
#define SYMTEST_REQUIRE_FIXTURE(ko)                                                                                    \
    do {                                                                                                               \
        const QString problem_ = symtest::fixtureProblem(ko);                                                          \
        if (!problem_.isEmpty())                                                                                       \
            QFAIL(qPrintable(QStringLiteral("fixture module missing: ") + problem_));                                  \
    } while (false)

inline QString tool(const char *prefix, const char *name)
{
    const QString wanted = QString::fromLatin1(prefix) + QString::fromLatin1(name);
    const QString found = QStandardPaths::findExecutable(wanted);
    return found.isEmpty() ? wanted : found;
}

struct RunResult {
    bool ok = false;
    QByteArray out;
    QString error;
};

inline RunResult run(const QString &program, const QStringList &args, int timeoutMs = 60000)
{
    QProcess p;
    p.start(program, args);
    RunResult r;
    if (!p.waitForStarted(timeoutMs)) {
        r.error = QStringLiteral("%1 did not start: %2").arg(program, p.errorString());
        return r;
    }
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.error = QStringLiteral("%1 timed out").arg(program);
        return r;
    }
    r.out = p.readAllStandardOutput();
    r.ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (!r.ok)
        r.error = QStringLiteral("%1 %2 failed: %3")
                      .arg(program, args.join(QLatin1Char(' ')), QString::fromLocal8Bit(p.readAllStandardError()));
    return r;
}

#define SYMTEST_RUN(var, program, args)                                                                                \
    const symtest::RunResult var = symtest::run(program, args);                                                        \
    QVERIFY2(var.ok, qPrintable(var.error))

struct ElfSymbol {
    QString name;
    quint64 value = 0;
    quint64 size = 0;
    QString section;
    bool function = false;
};

// Section names by index, from `readelf -SW`.
inline QHash<int, QString> parseSections(const QByteArray &readelfS)
{
    QHash<int, QString> result;
    static const QRegularExpression re(QStringLiteral(R"(^\s*\[\s*(\d+)\]\s+(\S+))"));
    for (const QByteArray &line : readelfS.split('\n')) {
        const auto m = re.match(QString::fromUtf8(line));
        if (m.hasMatch())
            result.insert(m.captured(1).toInt(), m.captured(2));
    }
    return result;
}

// Symbols of `readelf -sW` with their section names.
inline QList<ElfSymbol> parseSymbols(const QByteArray &readelfs, const QHash<int, QString> &sections)
{
    QList<ElfSymbol> result;
    static const QRegularExpression re(
        QStringLiteral(R"(^\s*\d+:\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s+(\S+)\s*$)"));
    for (const QByteArray &line : readelfs.split('\n')) {
        const auto m = re.match(QString::fromUtf8(line));
        if (!m.hasMatch())
            continue;
        bool isNumber = false;
        const int ndx = m.captured(5).toInt(&isNumber);
        if (!isNumber)
            continue;
        ElfSymbol s;
        s.value = m.captured(1).toULongLong(nullptr, 16);
        s.size = m.captured(2).toULongLong(nullptr, 0);
        s.function = m.captured(3) == QLatin1String("FUNC");
        s.section = sections.value(ndx);
        s.name = m.captured(6);
        result.append(s);
    }
    return result;
}

struct Instruction {
    quint64 address = 0; // section-relative
    QString mnemonic;
};

// Instruction starts per section from `objdump -d -w --no-show-raw-insn`.
inline QHash<QString, QList<Instruction>> parseObjdump(const QByteArray &objdump)
{
    QHash<QString, QList<Instruction>> result;
    static const QRegularExpression sectionRe(QStringLiteral(R"(^Disassembly of section (\S+):)"));
    static const QRegularExpression insnRe(QStringLiteral(R"(^\s+([0-9a-f]+):\s+(\S+))"));
    QString section;
    for (const QByteArray &raw : objdump.split('\n')) {
        const QString line = QString::fromUtf8(raw);
        if (const auto m = sectionRe.match(line); m.hasMatch()) {
            section = m.captured(1);
            continue;
        }
        const auto m = insnRe.match(line);
        if (m.hasMatch() && !section.isEmpty() && !m.captured(2).startsWith(QLatin1Char('.')))
            result[section].append({m.captured(1).toULongLong(nullptr, 16), m.captured(2)});
    }
    return result;
}

struct OracleLocation {
    QString function;
    QString file; // cleaned
    int line = 0;
};

inline QString cleanOraclePath(const QString &path)
{
    return QDir::cleanPath(path);
}

// `addr2line -a -f -i -j SECTION -e KO ADDR...`: per address, the inline chain innermost first.
inline QHash<quint64, QList<OracleLocation>> parseAddr2line(const QByteArray &out)
{
    QHash<quint64, QList<OracleLocation>> result;
    const QList<QByteArray> lines = out.split('\n');
    quint64 current = 0;
    bool have = false;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString line = QString::fromUtf8(lines[i]).trimmed();
        if (line.startsWith(QLatin1String("0x"))) {
            current = line.toULongLong(nullptr, 16);
            have = true;
            result[current].clear(); // an address asked twice is answered twice
            continue;
        }
        if (!have || line.isEmpty() || i + 1 >= lines.size())
            continue;
        OracleLocation loc;
        loc.function = line;
        QString where = QString::fromUtf8(lines[++i]).trimmed();
        where.remove(QRegularExpression(QStringLiteral(R"(\s*\(discriminator \d+\)$)")));
        const qsizetype colon = where.lastIndexOf(QLatin1Char(':'));
        loc.file = colon > 0 ? where.left(colon) : where;
        loc.line = colon > 0 ? where.mid(colon + 1).toInt() : 0;
        if (loc.file != QLatin1String("??"))
            loc.file = cleanOraclePath(loc.file);
        result[current].append(loc);
    }
    return result;
}

} // namespace symtest
