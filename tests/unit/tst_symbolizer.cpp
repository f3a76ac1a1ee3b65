// The symbolizer against an independent oracle: every instruction of every kmsfix_* function of
// the fixture module, built for x86_64, armhf and arm64, in .text, .text.unlikely, .init.text and
// .exit.text, as an exact PC and as a return address, resolved by kms::Symbolizer and by binutils'
// `addr2line -j SECTION -f -i` at the address the return-address rule gives (offset or offset-1;
// offset 0 stays). File, line and the whole inline chain must agree.
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include "tst_symbols_helpers.h"

#include <QElapsedTimer>
#include <QTemporaryDir>

#include <algorithm>

using namespace kms;
using namespace symtest;

namespace {

const QString Module = QStringLiteral("kmsfixture");

struct Case {
    Frame frame;
    QString section; // for the oracle
    quint64 oracleAddress = 0; // section-relative, after the return-address rule
};

struct Fixture {
    QString ko;
    const char *toolPrefix = "";
    QList<ElfSymbol> symbols;
    QHash<QString, QList<Instruction>> instructions; // by section
    QString buildId;

    QList<ElfSymbol> functions() const
    {
        QList<ElfSymbol> result;
        for (const ElfSymbol &s : symbols) {
            if (s.function && s.size > 0 && s.name.startsWith(QLatin1String("kmsfix_")))
                result.append(s);
        }
        return result;
    }
    ElfSymbol symbol(const QString &name) const
    {
        for (const ElfSymbol &s : symbols) {
            if (s.name == name)
                return s;
        }
        return {};
    }
    QList<Instruction> instructionsOf(const ElfSymbol &f) const
    {
        QList<Instruction> result;
        for (const Instruction &i : instructions.value(f.section)) {
            if (i.address >= f.value && i.address < f.value + f.size)
                result.append(i);
        }
        return result;
    }
};

QString loadFixture(const FixtureArch &arch, Fixture *fx)
{
    fx->ko = QString::fromUtf8(arch.ko);
    fx->toolPrefix = arch.toolPrefix;
    const QString problem = fixtureProblem(fx->ko);
    if (!problem.isEmpty())
        return QStringLiteral("fixture module missing: ") + problem;
    const RunResult sections = run(QStringLiteral("readelf"), {QStringLiteral("-SW"), fx->ko});
    const RunResult syms = run(QStringLiteral("readelf"), {QStringLiteral("-sW"), fx->ko});
    const RunResult objdump
        = run(tool(arch.toolPrefix, "objdump"),
              {QStringLiteral("-d"), QStringLiteral("-w"), QStringLiteral("--no-show-raw-insn"), fx->ko});
    for (const RunResult *r : {&sections, &syms, &objdump}) {
        if (!r->ok)
            return r->error;
    }
    fx->symbols = parseSymbols(syms.out, parseSections(sections.out));
    fx->instructions = parseObjdump(objdump.out);
    const RunResult notes = run(QStringLiteral("readelf"), {QStringLiteral("-n"), fx->ko});
    const auto m = QRegularExpression(QStringLiteral("Build ID: ([0-9a-f]+)")).match(QString::fromUtf8(notes.out));
    fx->buildId = m.captured(1);
    if (fx->functions().size() < 6 || fx->instructions.isEmpty() || fx->buildId.isEmpty())
        return QStringLiteral("cannot read the fixture's symbols, code or build id");
    return {};
}

// One frame per instruction of each function: exact, and as a return address.
QList<Case> instructionCases(const Fixture &fx)
{
    QList<Case> cases;
    for (const ElfSymbol &f : fx.functions()) {
        for (const Instruction &insn : fx.instructionsOf(f)) {
            const quint64 offset = insn.address - f.value;
            for (bool exact : {true, false}) {
                Case c;
                c.frame.function = f.name;
                c.frame.offset = offset;
                c.frame.size = f.size;
                c.frame.module = Module;
                c.frame.exactPc = exact;
                c.section = f.section;
                c.oracleAddress = insn.address - (!exact && offset > 0 ? 1 : 0);
                cases.append(c);
            }
        }
    }
    return cases;
}

// Runs the oracle, one addr2line process per section.
QString runOracle(const Fixture &fx, const QList<Case> &cases,
                  QHash<QString, QHash<quint64, QList<OracleLocation>>> *oracle)
{
    QHash<QString, QSet<quint64>> wanted;
    for (const Case &c : cases)
        wanted[c.section].insert(c.oracleAddress);
    for (auto it = wanted.cbegin(); it != wanted.cend(); ++it) {
        QStringList args = {QStringLiteral("-a"),
                            QStringLiteral("-f"),
                            QStringLiteral("-i"),
                            QStringLiteral("-j"),
                            it.key(),
                            QStringLiteral("-e"),
                            fx.ko};
        for (quint64 a : *it)
            args.append(QStringLiteral("0x%1").arg(a, 0, 16));
        const RunResult r = run(tool(fx.toolPrefix, "addr2line"), args);
        if (!r.ok)
            return r.error;
        (*oracle)[it.key()] = parseAddr2line(r.out);
    }
    return {};
}

QString describe(const Frame &f)
{
    QString s = QStringLiteral("%1+0x%2 %3 -> %4:%5")
                    .arg(f.function.isEmpty() ? QStringLiteral("0x%1").arg(f.address.value_or(0), 0, 16) : f.function)
                    .arg(f.offset.value_or(0), 0, 16)
                    .arg(f.exactPc ? QStringLiteral("exact") : QStringLiteral("return"))
                    .arg(f.file)
                    .arg(f.line);
    for (const InlineCaller &c : f.inlinedBy)
        s += QStringLiteral(" (inlined by %1 %2:%3)").arg(c.function, c.file).arg(c.line);
    if (!f.error.isEmpty())
        s += QStringLiteral(" error: ") + f.error;
    return s;
}

QString describe(const QList<OracleLocation> &chain)
{
    QStringList parts;
    for (const OracleLocation &l : chain)
        parts.append(QStringLiteral("%1 %2:%3").arg(l.function, l.file).arg(l.line));
    return parts.join(QStringLiteral(" <- "));
}

// Empty when the resolved frame agrees with the oracle's chain.
QString compare(const Frame &f, const QList<OracleLocation> &chain)
{
    if (chain.isEmpty())
        return QStringLiteral("no oracle answer");
    if (chain.first().file == QLatin1String("??") || chain.first().line == 0) {
        return f.error.isEmpty() && f.line != 0 ? QStringLiteral("oracle has no line, we do") : QString();
    }
    if (!f.error.isEmpty())
        return QStringLiteral("error ") + f.error;
    if (f.file != chain.first().file || f.line != chain.first().line)
        return QStringLiteral("innermost location differs");
    if (f.inlinedBy.size() != chain.size() - 1)
        return QStringLiteral("inline depth differs");
    // addr2line -f -i names the innermost (inlined) function first.
    if (f.inlinedFunction != (chain.size() > 1 ? chain.first().function : QString()))
        return QStringLiteral("inlined function differs");
    for (qsizetype i = 0; i < f.inlinedBy.size(); ++i) {
        const InlineCaller &c = f.inlinedBy.at(i);
        const OracleLocation &o = chain.at(i + 1);
        if (c.function != o.function || c.file != o.file || c.line != o.line)
            return QStringLiteral("inline caller %1 differs").arg(i);
    }
    return {};
}

} // namespace

class TestSymbolizer : public QObject
{
    Q_OBJECT

private slots:
    void oracleEveryInstruction_data()
    {
        QTest::addColumn<int>("arch");
        for (int i = 0; i < fixtureArches().size(); ++i)
            QTest::newRow(fixtureArches().at(i).name) << i;
    }

    void oracleEveryInstruction()
    {
        QFETCH(int, arch);
        Fixture fx;
        const QString problem = loadFixture(fixtureArches().at(arch), &fx);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));

        const QList<Case> cases = instructionCases(fx);
        QHash<QString, QHash<quint64, QList<OracleLocation>>> oracle;
        const QString oracleError = runOracle(fx, cases, &oracle);
        QVERIFY2(oracleError.isEmpty(), qPrintable(oracleError));

        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(fx.ko, &error), qPrintable(error));
        Symbolizer symbolizer(catalog);

        QStringList mismatches;
        QHash<QString, int> perSection; // "section exact|return" -> agreeing cases with a line
        int maxDepth = 0;
        for (const Case &c : cases) {
            Frame f = c.frame;
            symbolizer.resolve(f);
            const QList<OracleLocation> chain = oracle.value(c.section).value(c.oracleAddress);
            const QString why = compare(f, chain);
            if (!why.isEmpty()) {
                mismatches.append(QStringLiteral("%1 [%2 0x%3]: %4\n    got      %5\n    oracle   %6")
                                      .arg(why, c.section)
                                      .arg(c.oracleAddress, 0, 16)
                                      .arg(QString(), describe(f), describe(chain)));
                continue;
            }
            if (f.line > 0) {
                ++perSection[c.section + (f.exactPc ? QStringLiteral(" exact") : QStringLiteral(" return"))];
                maxDepth = std::max(maxDepth, int(f.inlinedBy.size()));
            }
        }
        QVERIFY2(mismatches.isEmpty(),
                 qPrintable(QStringLiteral("%1 of %2 frames differ from addr2line:\n%3")
                                .arg(mismatches.size())
                                .arg(cases.size())
                                .arg(mismatches.mid(0, 20).join(QLatin1Char('\n')))));
        // The fixture must exercise what it is for.
        for (const char *section : {".text", ".text.unlikely", ".init.text", ".exit.text"}) {
            for (const char *kind : {" exact", " return"}) {
                const QString key = QLatin1String(section) + QLatin1String(kind);
                QVERIFY2(perSection.value(key) > 0, qPrintable(QStringLiteral("no case in ") + key));
            }
        }
        QVERIFY2(maxDepth >= 2, "the fixture has no inline chain of depth 2");
        QStringList summary;
        for (auto it = perSection.cbegin(); it != perSection.cend(); ++it)
            summary.append(QStringLiteral("%1=%2").arg(it.key()).arg(it.value()));
        summary.sort();
        qInfo("%s: %lld frames agree with addr2line (max inline depth %d): %s", fixtureArches().at(arch).name,
              qlonglong(cases.size()), maxDepth, qPrintable(summary.join(QStringLiteral(", "))));
    }

    void absoluteAddresses_data() { oracleEveryInstruction_data(); }

    // Frames printed as bare addresses, with the module's section load addresses given.
    void absoluteAddresses()
    {
        QFETCH(int, arch);
        Fixture fx;
        const QString problem = loadFixture(fixtureArches().at(arch), &fx);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        const bool is32 = QLatin1String(fixtureArches().at(arch).name) == QLatin1String("armhf");
        const quint64 base = is32 ? 0xbf000000ULL : 0xffffffffc0a00000ULL;
        const QStringList sectionNames = {QStringLiteral(".text"), QStringLiteral(".text.unlikely"),
                                          QStringLiteral(".init.text"), QStringLiteral(".exit.text")};
        QList<QPair<QString, quint64>> loads;
        for (qsizetype i = 0; i < sectionNames.size(); ++i)
            loads.append({sectionNames.at(i), base + quint64(i) * 0x10000});
        // Given in another order than the sections' addresses.
        std::reverse(loads.begin(), loads.end());

        QList<Case> cases;
        for (Case c : instructionCases(fx)) {
            const auto load
                = std::find_if(loads.cbegin(), loads.cend(), [&](const auto &l) { return l.first == c.section; });
            if (load == loads.cend())
                continue;
            const quint64 offset = *c.frame.offset;
            c.frame.address = load->second + fx.symbol(c.frame.function).value + offset;
            c.frame.function.clear();
            c.frame.offset.reset();
            c.frame.size.reset();
            if (cases.size() % 2)
                c.frame.module.clear(); // found from the section ranges
            cases.append(c);
        }
        QHash<QString, QHash<quint64, QList<OracleLocation>>> oracle;
        const QString oracleError = runOracle(fx, cases, &oracle);
        QVERIFY2(oracleError.isEmpty(), qPrintable(oracleError));

        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(fx.ko, &error), qPrintable(error));
        Symbolizer symbolizer(catalog);
        {
            Frame f = cases.first().frame;
            f.module = Module;
            symbolizer.resolve(f);
            QCOMPARE(f.error, symbolerror::NoSectionAddresses);
        }
        symbolizer.setSectionAddresses(QStringLiteral("kmsfixture"), loads);
        QStringList mismatches;
        for (const Case &c : cases) {
            Frame f = c.frame;
            symbolizer.resolve(f);
            const QString why = compare(f, oracle.value(c.section).value(c.oracleAddress));
            if (!why.isEmpty())
                mismatches.append(QStringLiteral("%1: %2").arg(why, describe(f)));
        }
        QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.mid(0, 20).join(QLatin1Char('\n'))));
        QVERIFY(cases.size() > 50);

        Frame outside;
        outside.module = Module;
        outside.address = base + 0x100000;
        symbolizer.resolve(outside);
        QCOMPARE(outside.error, symbolerror::AddressOutsideSections);
    }

    void compressedModulesResolveAlike()
    {
        const FixtureArch &arch = fixtureArches().first();
        Fixture fx;
        const QString problem = loadFixture(arch, &fx);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString xz = dir.filePath(QStringLiteral("xz/kmsfixture.ko"));
        const QString zst = dir.filePath(QStringLiteral("zst/kmsfixture.ko"));
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("xz"))));
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("zst"))));
        QVERIFY(QFile::copy(fx.ko, xz));
        QVERIFY(QFile::copy(fx.ko, zst));
        SYMTEST_RUN(rx, QStringLiteral("xz"), QStringList({QStringLiteral("--check=crc32"), xz}));
        SYMTEST_RUN(rz, QStringLiteral("zstd"), QStringList({QStringLiteral("-q"), QStringLiteral("--rm"), zst}));

        const QList<Case> cases = instructionCases(fx);
        ModuleCatalog plainCatalog;
        QString error;
        QVERIFY2(plainCatalog.addPath(fx.ko, &error), qPrintable(error));
        Symbolizer plain(plainCatalog);
        for (const QString &packed : {xz + QStringLiteral(".xz"), zst + QStringLiteral(".zst")}) {
            ModuleCatalog catalog;
            QVERIFY2(catalog.addPath(packed, &error), qPrintable(error));
            QCOMPARE(catalog.entries().size(), 1);
            QVERIFY(catalog.entries().first().compressed);
            Symbolizer symbolizer(catalog);
            int resolved = 0;
            for (const Case &c : cases) {
                Frame a = c.frame;
                Frame b = c.frame;
                plain.resolve(a);
                symbolizer.resolve(b);
                QCOMPARE(b.error, a.error);
                QCOMPARE(b.file, a.file);
                QCOMPARE(b.line, a.line);
                QCOMPARE(b.column, a.column);
                QCOMPARE(b.inlinedBy.size(), a.inlinedBy.size());
                resolved += b.line > 0;
            }
            QVERIFY(resolved > 20);
        }
    }

    void perFrameErrors()
    {
        const FixtureArch &arch = fixtureArches().first();
        Fixture fx;
        const QString problem = loadFixture(arch, &fx);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString stripped = dir.filePath(QStringLiteral("stripped/kmsfixture.ko"));
        QVERIFY(QDir().mkpath(QFileInfo(stripped).path()));
        SYMTEST_RUN(rs, tool(arch.toolPrefix, "strip"),
                    QStringList({QStringLiteral("--strip-debug"), QStringLiteral("-o"), stripped, fx.ko}));

        const ElfSymbol exitFn = fx.symbol(QStringLiteral("kmsfix_exit"));
        QVERIFY(exitFn.size > 8);
        Frame base;
        base.function = exitFn.name;
        base.offset = 8;
        base.module = Module;

        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(fx.ko, &error), qPrintable(error));
        Symbolizer symbolizer(catalog);

        Frame good = base;
        good.buildId = fx.buildId.toUpper(); // case does not matter
        symbolizer.resolve(good);
        QVERIFY2(good.error.isEmpty(), qPrintable(good.error));
        QVERIFY(good.line > 0);
        QVERIFY(good.file.endsWith(QLatin1String("/kmsfixture.c")));
        QVERIFY(good.sourceExists);

        Frame otherBuild = base;
        otherBuild.buildId = QStringLiteral("00112233445566778899aabbccddeeff00112233");
        symbolizer.resolve(otherBuild);
        QCOMPARE(otherBuild.error, symbolerror::BuildIdMismatch);
        QCOMPARE(otherBuild.line, 0);

        Frame noSymbol = base;
        noSymbol.function = QStringLiteral("kmsfix_no_such_function");
        symbolizer.resolve(noSymbol);
        QCOMPARE(noSymbol.error, symbolerror::SymbolNotFound);

        Frame otherModule = base;
        otherModule.module = QStringLiteral("prudaq");
        symbolizer.resolve(otherModule);
        QCOMPARE(otherModule.error, symbolerror::ModuleNotGiven);

        Frame core;
        core.function = QStringLiteral("do_syscall_64");
        core.offset = 0x5b;
        symbolizer.resolve(core);
        QCOMPARE(core.error, symbolerror::NoVmlinux);

        // A module stripped of its debug info is reported, not used.
        ModuleCatalog strippedCatalog;
        QVERIFY2(strippedCatalog.addPath(stripped, &error), qPrintable(error));
        QVERIFY(!strippedCatalog.entries().first().hasDebugInfo);
        Symbolizer strippedSymbolizer(strippedCatalog);
        Frame s = base;
        strippedSymbolizer.resolve(s);
        QCOMPARE(s.error, symbolerror::Stripped);
        QCOMPARE(s.line, 0);

        // A reused symbolizer clears what a previous resolve filled.
        Frame reused = good;
        reused.module = QStringLiteral("prudaq");
        reused.buildId.clear(); // (a build id alone would find the module)
        symbolizer.resolve(reused);
        QCOMPARE(reused.line, 0);
        QVERIFY(reused.file.isEmpty());
        QVERIFY(reused.inlinedBy.isEmpty());
    }

    void buildIdPicksAmongSameNamedModules()
    {
        // Two builds of the module with the same name (x86_64 and arm64 here): the frame's
        // build id chooses.
        Fixture x86;
        Fixture arm64;
        QString problem = loadFixture(fixtureArches().at(0), &x86);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        problem = loadFixture(fixtureArches().at(2), &arm64);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(x86.ko, &error), qPrintable(error));
        QVERIFY2(catalog.addPath(arm64.ko, &error), qPrintable(error));
        Symbolizer symbolizer(catalog);
        const ElfSymbol f = arm64.symbol(QStringLiteral("kmsfix_init"));
        Frame frame;
        frame.function = f.name;
        frame.offset = 8;
        frame.exactPc = true;
        frame.module = Module;
        frame.buildId = arm64.buildId;
        symbolizer.resolve(frame);
        QVERIFY2(frame.error.isEmpty(), qPrintable(frame.error));
        const RunResult r
            = run(tool(fixtureArches().at(2).toolPrefix, "addr2line"),
                  {QStringLiteral("-a"), QStringLiteral("-f"), QStringLiteral("-i"), QStringLiteral("-j"), f.section,
                   QStringLiteral("-e"), arm64.ko, QStringLiteral("0x%1").arg(f.value + 8, 0, 16)});
        QVERIFY2(r.ok, qPrintable(r.error));
        const auto chain = parseAddr2line(r.out).value(f.value + 8);
        QVERIFY2(compare(frame, chain).isEmpty(),
                 qPrintable(describe(frame) + QStringLiteral(" vs ") + describe(chain)));
    }

    void pathMapAndSourceExists()
    {
        Fixture fx;
        const QString problem = loadFixture(fixtureArches().first(), &fx);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(fx.ko, &error), qPrintable(error));
        // The fixture is compiled from the copy beside the .ko.
        const QString buildDir = QFileInfo(fx.ko).absolutePath();
        PathMap map;
        map.add(buildDir, QStringLiteral(KMS_FIXTURE_SRC_DIR));
        map.add(QStringLiteral("/nonexistent"), QStringLiteral("/nowhere"));
        Symbolizer symbolizer(catalog, map);
        Frame f;
        f.function = QStringLiteral("kmsfix_receive");
        f.offset = 8;
        f.exactPc = true;
        f.module = Module;
        symbolizer.resolve(f);
        QVERIFY2(f.error.isEmpty(), qPrintable(f.error));
        QCOMPARE(f.file, QStringLiteral(KMS_FIXTURE_SRC_DIR "/kmsfixture.c"));
        // Where the build machine (the node, for a native build) has it: the path before mapping.
        QCOMPARE(f.buildFile, buildDir + QStringLiteral("/kmsfixture.c"));
        QVERIFY(f.sourceExists);
        for (const InlineCaller &c : f.inlinedBy) {
            QCOMPARE(c.file, QStringLiteral(KMS_FIXTURE_SRC_DIR "/kmsfixture.c"));
            QCOMPARE(c.buildFile, buildDir + QStringLiteral("/kmsfixture.c"));
        }

        PathMap away;
        away.add(buildDir, QStringLiteral("/nonexistent/src"));
        Symbolizer elsewhere(catalog, away);
        f.file.clear();
        elsewhere.resolve(f);
        QCOMPARE(f.file, QStringLiteral("/nonexistent/src/kmsfixture.c"));
        QVERIFY(!f.sourceExists);
    }

    // A debug vmlinux stands for any ELF executable with DWARF: a small program built here.
    void vmlinuxResolvesCoreFrames()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString src = dir.filePath(QStringLiteral("core.c"));
        const QString exe = dir.filePath(QStringLiteral("vmlinux"));
        QFile file(src);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("static inline __attribute__((always_inline)) int leaf(volatile int *p)\n"
                   "{\n"
                   "\treturn *p + 1;\n"
                   "}\n"
                   "__attribute__((noinline)) int do_work(volatile int *p)\n"
                   "{\n"
                   "\tint v = leaf(p);\n"
                   "\treturn v * 3;\n"
                   "}\n"
                   "int main(void)\n"
                   "{\n"
                   "\tstatic volatile int x;\n"
                   "\treturn do_work(&x);\n"
                   "}\n");
        file.close();
        SYMTEST_RUN(cc, QStringLiteral("cc"),
                    QStringList({QStringLiteral("-g"), QStringLiteral("-O2"), QStringLiteral("-no-pie"),
                                 QStringLiteral("-fno-pie"), QStringLiteral("-o"), exe, src}));
        SYMTEST_RUN(syms, QStringLiteral("readelf"), QStringList({QStringLiteral("-sW"), exe}));
        SYMTEST_RUN(secs, QStringLiteral("readelf"), QStringList({QStringLiteral("-SW"), exe}));
        ElfSymbol work;
        for (const ElfSymbol &s : parseSymbols(syms.out, parseSections(secs.out))) {
            if (s.name == QLatin1String("do_work"))
                work = s;
        }
        QVERIFY(work.size > 0);

        ModuleCatalog catalog;
        QString error;
        QVERIFY(!catalog.setVmlinux(dir.filePath(QStringLiteral("missing")), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY2(catalog.setVmlinux(exe, &error), qPrintable(error));
        Symbolizer symbolizer(catalog);
        QStringList args
            = {QStringLiteral("-a"), QStringLiteral("-f"), QStringLiteral("-i"), QStringLiteral("-e"), exe};
        QList<Frame> frames;
        for (quint64 off = 0; off < work.size; ++off) {
            for (bool exact : {true, false}) {
                Frame f;
                f.function = work.name;
                f.offset = off;
                f.exactPc = exact;
                frames.append(f);
                args.append(QStringLiteral("0x%1").arg(work.value + off - (!exact && off ? 1 : 0), 0, 16));
            }
        }
        SYMTEST_RUN(oracle, QStringLiteral("addr2line"), args);
        const auto chains = parseAddr2line(oracle.out);
        int inlined = 0;
        for (Frame f : frames) {
            symbolizer.resolve(f);
            const quint64 at = work.value + *f.offset - (!f.exactPc && *f.offset ? 1 : 0);
            const QString why = compare(f, chains.value(at));
            QVERIFY2(why.isEmpty(),
                     qPrintable(why + QStringLiteral(": ") + describe(f) + QStringLiteral(" vs ")
                                + describe(chains.value(at))));
            inlined += !f.inlinedBy.isEmpty();
        }
        QVERIFY(inlined > 0);
        // Bare addresses of the core kernel are link addresses of the vmlinux.
        Frame bare;
        bare.address = work.value + 1;
        bare.exactPc = true;
        symbolizer.resolve(bare);
        QVERIFY2(compare(bare, chains.value(work.value + 1)).isEmpty(), qPrintable(describe(bare)));
    }

    void makeOopsFramesResolve_data() { oracleEveryInstruction_data(); }

    // The fixture's oops generator (input of the decode benchmark and CLI tests) must name real
    // symbols and offsets: every module frame it prints resolves and agrees with addr2line.
    void makeOopsFramesResolve()
    {
        QFETCH(int, arch);
        Fixture fx;
        const QString problem = loadFixture(fixtureArches().at(arch), &fx);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString sectionsFile = dir.filePath(QStringLiteral("sections"));
        SYMTEST_RUN(oops, QStringLiteral("python3"),
                    QStringList({QStringLiteral(KMS_FIXTURE_SRC_DIR "/make-oops.py"), fx.ko,
                                 QString::fromLatin1(fixtureArches().at(arch).name), QStringLiteral("--sections-out"),
                                 sectionsFile}));
        const QString text = QString::fromUtf8(oops.out);
        static const QRegularExpression frameRe(
            QStringLiteral(
                R"((RIP: 0010:|PC is at |pc : |\(|^\[[ 0-9.]+\]  )([A-Za-z_][\w.]*)\+0x([0-9a-f]+)/0x([0-9a-f]+)( \[kmsfixture\])?)"),
            QRegularExpression::MultilineOption);
        QList<Case> cases;
        int coreFrames = 0;
        for (auto it = frameRe.globalMatch(text); it.hasNext();) {
            const auto m = it.next();
            const QString prefix = m.captured(1);
            if (m.captured(5).isEmpty()) {
                coreFrames += !prefix.startsWith(QLatin1String("RIP")) && !prefix.startsWith(QLatin1String("PC"));
                continue;
            }
            const ElfSymbol sym = fx.symbol(m.captured(2));
            QVERIFY2(sym.size > 0, qPrintable(QStringLiteral("unknown symbol ") + m.captured(2)));
            QCOMPARE(m.captured(4).toULongLong(nullptr, 16), sym.size);
            Case c;
            c.frame.function = sym.name;
            c.frame.offset = m.captured(3).toULongLong(nullptr, 16);
            c.frame.module = Module;
            c.frame.exactPc = prefix.startsWith(QLatin1String("RIP")) || prefix.startsWith(QLatin1String("PC"))
                || (prefix == QLatin1String("pc : "));
            // arm64's Call trace starts with the pc frame again: an exact PC too.
            if (cases.size() == 1 && cases.first().frame.function == c.frame.function
                && cases.first().frame.offset == c.frame.offset)
                c.frame.exactPc = true;
            c.section = sym.section;
            c.oracleAddress = sym.value + *c.frame.offset - (!c.frame.exactPc && *c.frame.offset ? 1 : 0);
            cases.append(c);
        }
        QVERIFY2(cases.size() >= 20, qPrintable(text));
        QVERIFY(coreFrames >= 2);
        QVERIFY(cases.first().frame.exactPc);
        QHash<QString, QHash<quint64, QList<OracleLocation>>> oracle;
        const QString oracleError = runOracle(fx, cases, &oracle);
        QVERIFY2(oracleError.isEmpty(), qPrintable(oracleError));
        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(fx.ko, &error), qPrintable(error));
        Symbolizer symbolizer(catalog);
        for (qsizetype i = 0; i < cases.size(); ++i) {
            Frame f = cases.at(i).frame;
            symbolizer.resolve(f);
            const auto chain = oracle.value(cases.at(i).section).value(cases.at(i).oracleAddress);
            QVERIFY2(compare(f, chain).isEmpty(), qPrintable(describe(f) + QStringLiteral(" vs ") + describe(chain)));
            QVERIFY2(f.line > 0, qPrintable(describe(f)));
            if (i == 0) { // the fault is in kmsfix_peek, inlined twice
                QCOMPARE(f.inlinedBy.size(), 2);
                QCOMPARE(f.inlinedFunction, QStringLiteral("kmsfix_peek"));
            }
        }
        QFile sections(sectionsFile);
        QVERIFY(sections.open(QIODevice::ReadOnly));
        QVERIFY(sections.readAll().startsWith("kmsfixture:.text=0x"));
    }

    // Measured, not asserted (the benchmark owns the goals): printed for the notes.
    void timings()
    {
        Fixture fx;
        const QString problem = loadFixture(fixtureArches().first(), &fx);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QElapsedTimer t;
        t.start();
        ModuleCatalog catalog;
        QString error;
        QVERIFY2(catalog.addPath(fx.ko, &error), qPrintable(error));
        const qint64 indexNs = t.nsecsElapsed();

        KernelReport report;
        report.arch = Arch::X86_64;
        const QList<Case> cases = instructionCases(fx);
        for (int i = 0; i < 30; ++i) {
            const Case &c = cases.at((i * 7) % cases.size());
            Frame f = c.frame;
            if (i % 3 == 2) { // core-kernel frames, unresolvable without a vmlinux
                f.module.clear();
                f.function = QStringLiteral("do_syscall_64");
            }
            report.frames.append(f);
        }
        t.restart();
        Symbolizer symbolizer(catalog);
        Frame first = report.frames.first();
        symbolizer.resolve(first);
        const qint64 firstNs = t.nsecsElapsed();
        t.restart();
        symbolizer.resolve(report);
        const qint64 coldNs = t.nsecsElapsed();
        QList<qint64> warm;
        for (int i = 0; i < 200; ++i) {
            KernelReport copy = report;
            t.restart();
            symbolizer.resolve(copy);
            warm.append(t.nsecsElapsed());
        }
        std::sort(warm.begin(), warm.end());
        qInfo("index 1 .ko: %.3f ms; setup + first lookup: %.3f ms; rest of a 30-frame report: "
              "%.3f ms; warm 30-frame resolve: median %.1f us, max %.1f us",
              double(indexNs) / 1e6, double(firstNs) / 1e6, double(coldNs) / 1e6,
              double(warm.at(warm.size() / 2)) / 1e3, double(warm.last()) / 1e3);
    }
};

QTEST_GUILESS_MAIN(TestSymbolizer)
#include "tst_symbolizer.moc"
