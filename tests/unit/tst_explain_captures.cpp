// Fault explanations of real oopses captured on the virtual node (x86_64 and armhf): the
// kmsexplain fixture's shapes and prudaq's unload race / use after free. The expected member
// offsets and sizes come from gdb's `ptype /o`, the pointer variable's location at the faulting
// PC from gdb's `info scope` on the same .ko (sections loaded at distinct addresses), both run
// here. The member paths and variable names are the shapes' definitions (kmsexplain.c).
#include "report/reportdetector.h"
#include "symbols/modulecatalog.h"
#include "symbols/symbolizer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace kms;

namespace {

const QString dataDir = QStringLiteral(KMS_TEST_DATA_DIR "/captures/explain");

QString run(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForStarted(10000) || !p.waitForFinished(120000))
        qFatal("cannot run %s: %s", qPrintable(program), qPrintable(p.errorString()));
    return QString::fromUtf8(p.readAllStandardOutput());
}

struct Expected {
    QString shape;
    QString pointer;
    QString pointerKind;
    QString structName; // the pointed-to struct, for ptype /o
    QString member;
    bool write = false;
    QString addressKind;
};

// kmsexplain.c's shapes, in trigger order.
const QList<Expected> shapes = {
    {QStringLiteral("param_read"), QStringLiteral("dev"), QStringLiteral("parameter"), QStringLiteral("kmsx_dev"),
     QStringLiteral("stamp"), false, QStringLiteral("null")},
    {QStringLiteral("param_write"), QStringLiteral("dev"), QStringLiteral("parameter"), QStringLiteral("kmsx_dev"),
     QStringLiteral("flags"), true, QStringLiteral("null")},
    {QStringLiteral("local_read"), QStringLiteral("dev"), QStringLiteral("local"), QStringLiteral("kmsx_dev"),
     QStringLiteral("cfg.rate"), false, QStringLiteral("null")},
    {QStringLiteral("local_write"), QStringLiteral("dev"), QStringLiteral("local"), QStringLiteral("kmsx_dev"),
     QStringLiteral("tail"), true, QStringLiteral("null")},
    {QStringLiteral("temp_read"), QStringLiteral("ctx->dev"), QStringLiteral("temporary"), QStringLiteral("kmsx_dev"),
     QStringLiteral("cfg.gain"), false, QStringLiteral("null")},
    {QStringLiteral("array_read"), QStringLiteral("dev"), QStringLiteral("parameter"), QStringLiteral("kmsx_dev"),
     QStringLiteral("samples[7]"), false, QStringLiteral("null")},
    {QStringLiteral("nested_write"), QStringLiteral("dev"), QStringLiteral("parameter"), QStringLiteral("kmsx_dev"),
     QStringLiteral("cfg.limits.high"), true, QStringLiteral("null")},
    {QStringLiteral("bitfield_read"), QStringLiteral("dev"), QStringLiteral("parameter"), QStringLiteral("kmsx_dev"),
     QStringLiteral("level"), false, QStringLiteral("null")},
    {QStringLiteral("union_read"), QStringLiteral("dev"), QStringLiteral("parameter"), QStringLiteral("kmsx_dev"),
     QStringLiteral("status.bytes[2]"), false, QStringLiteral("null")},
    {QStringLiteral("uaf_read"), QStringLiteral("dev"), QStringLiteral("local"), QStringLiteral("kmsx_dev"),
     QStringLiteral("id"), false, QStringLiteral("slab_free")},
    {QStringLiteral("list_read"), QStringLiteral("next"), QStringLiteral("local"), QStringLiteral("kmsx_item"),
     QStringLiteral("value"), false, QStringLiteral("list_poison1")},
};

struct MemberLayout {
    quint64 offset = 0;
    quint64 size = 0;
    int bit = -1;
};

// gdb's `ptype /o struct NAME`: every member path ("cfg.limits.high") with its offset, size and
// bit position. Union members print no offset: theirs is the union's.
QHash<QString, MemberLayout> ptypeLayout(const QString &ko, const QString &structName)
{
    const QString out = run(
        QStringLiteral("gdb-multiarch"),
        {QStringLiteral("-batch"), QStringLiteral("-ex"), QStringLiteral("ptype /o struct %1").arg(structName), ko});
    QHash<QString, MemberLayout> layout;
    static const QRegularExpression line(
        QStringLiteral(R"(^/\*\s*(?:(\d+)(?::\s*(\d+))?)?\s*\|?\s*(\d+)\s*\*/\s*(.*)$)"));
    static const QRegularExpression close(QStringLiteral(R"(^\s*\}\s*(\w+);)"));
    struct Open {
        MemberLayout at;
        bool isUnion = false;
        QList<QString> names; // members declared directly inside, for naming on close
    };
    QList<Open> stack;
    QList<QPair<QString, MemberLayout>> pending; // members of the innermost open aggregate
    QList<QList<QPair<QString, MemberLayout>>> pendingStack;
    for (const QString &raw : out.split(QLatin1Char('\n'))) {
        const auto m = line.match(raw.trimmed());
        if (m.hasMatch()) {
            MemberLayout l;
            const bool inUnion = !stack.isEmpty() && stack.last().isUnion;
            l.offset = m.captured(1).isEmpty() ? (stack.isEmpty() ? 0 : stack.last().at.offset)
                                               : m.captured(1).toULongLong();
            if (inUnion && m.captured(1).isEmpty())
                l.offset = stack.last().at.offset;
            l.bit = m.captured(2).isEmpty() ? -1 : m.captured(2).toInt();
            l.size = m.captured(3).toULongLong();
            QString decl = m.captured(4).trimmed();
            if (decl.startsWith(QLatin1String("type = ")))
                continue; // the struct itself
            if (decl.endsWith(QLatin1Char('{'))) {
                stack.append({l, decl.startsWith(QLatin1String("union")), {}});
                pendingStack.append(pending);
                pending.clear();
                continue;
            }
            decl.chop(1); // ';'
            decl = decl.section(QLatin1Char(':'), 0, 0).trimmed(); // bitfield width
            QString name = decl.section(QLatin1Char(' '), -1).remove(QLatin1Char('*'));
            pending.append({name, l});
            continue;
        }
        const auto c = close.match(raw);
        if (c.hasMatch() && !stack.isEmpty()) {
            const QString name = c.captured(1);
            const Open open = stack.takeLast();
            QList<QPair<QString, MemberLayout>> inner = pending;
            pending = pendingStack.takeLast();
            pending.append({name, open.at});
            for (const auto &[n, l] : inner)
                pending.append({name + QLatin1Char('.') + n, l});
        }
    }
    for (const auto &[n, l] : pending) {
        // "samples[16]" -> "samples" with its element size recorded as the path's [] form.
        const qsizetype bracket = n.indexOf(QLatin1Char('['));
        layout.insert(bracket < 0 ? n : n.left(bracket), l);
        if (bracket >= 0) {
            const quint64 count = n.mid(bracket + 1).chopped(1).toULongLong();
            layout.insert(n.left(bracket) + QStringLiteral("[]"), {l.offset, count ? l.size / count : 0, -1});
        }
    }
    return layout;
}

// Offset and size of a member path ("samples[7]", "status.bytes[2]") from the ptype layout.
std::optional<MemberLayout> layoutOf(const QHash<QString, MemberLayout> &layout, const QString &path)
{
    static const QRegularExpression index(QStringLiteral(R"(^(.*)\[(\d+)\]$)"));
    const auto m = index.match(path);
    if (!m.hasMatch())
        return layout.contains(path) ? std::optional(layout.value(path)) : std::nullopt;
    const QString array = m.captured(1);
    if (!layout.contains(array + QStringLiteral("[]")))
        return std::nullopt;
    const MemberLayout elem = layout.value(array + QStringLiteral("[]"));
    return MemberLayout{elem.offset + m.captured(2).toULongLong() * elem.size, elem.size, -1};
}

// A function's value and section name from the .ko's symbol table (readelf).
std::pair<quint64, QString> elfSymbol(const QString &ko, const QString &function)
{
    static const QRegularExpression sym(
        QStringLiteral(R"(^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+FUNC\s+\S+\s+\S+\s+(\d+)\s+(\S+)$)"));
    static const QRegularExpression sec(QStringLiteral(R"(^\s*\[\s*(\d+)\]\s+(\S+))"));
    QHash<int, QString> sections;
    for (const QString &line : run(QStringLiteral("readelf"), {QStringLiteral("-SW"), ko}).split(QLatin1Char('\n'))) {
        const auto m = sec.match(line);
        if (m.hasMatch())
            sections.insert(m.captured(1).toInt(), m.captured(2));
    }
    for (const QString &line : run(QStringLiteral("readelf"), {QStringLiteral("-sW"), ko}).split(QLatin1Char('\n'))) {
        const auto m = sym.match(line);
        if (m.hasMatch() && m.captured(3) == function)
            return {m.captured(1).toULongLong(nullptr, 16), sections.value(m.captured(2).toInt())};
    }
    return {0, QString()};
}

// binutils' readelf: the location list entry of FUNCTION's parameter or local NAME covering the
// function's offset. gdb 13 applies one offset to a 32-bit ARM .ko's DWARF whatever the sections'
// addresses (its .init.text functions then overlap .text ones and `info scope` lists nothing);
// readelf reads each section from 0, where functions are told apart by their DIEs.
QString readelfLocation(const QString &ko, const QString &function, quint64 offset, const QString &name)
{
    static const QRegularExpression sym(
        QStringLiteral(R"(^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+FUNC\s+\S+\s+\S+\s+\d+\s+(\S+)$)"));
    quint64 pc = 0;
    bool found = false;
    for (const QString &line : run(QStringLiteral("readelf"), {QStringLiteral("-sW"), ko}).split(QLatin1Char('\n'))) {
        const auto m = sym.match(line);
        if (m.hasMatch() && m.captured(2) == function) {
            pc = m.captured(1).toULongLong(nullptr, 16) + offset;
            found = true;
        }
    }
    if (!found)
        return QStringLiteral("(readelf: no symbol %1)").arg(function);
    // The DIE tree: the subprogram, then NAME anywhere below it.
    static const QRegularExpression die(QStringLiteral(R"(^\s*<(\d+)><[0-9a-f]+>: Abbrev Number: \d+ \((\w+)\))"));
    static const QRegularExpression attr(QStringLiteral(R"(^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s*(.*)$)"));
    int depth = -1;
    int funcDepth = -1;
    QString tag;
    bool inFunction = false;
    bool isName = false;
    for (const QString &line :
         run(QStringLiteral("readelf"), {QStringLiteral("--debug-dump=info"), ko}).split(QLatin1Char('\n'))) {
        const auto d = die.match(line);
        if (d.hasMatch()) {
            depth = d.captured(1).toInt();
            tag = d.captured(2);
            isName = false;
            if (inFunction && depth <= funcDepth)
                inFunction = false;
            continue;
        }
        const auto a = attr.match(line);
        if (!a.hasMatch())
            continue;
        const QString value = a.captured(2).trimmed();
        if (a.captured(1) == QLatin1String("DW_AT_name")) {
            const QString n = value.section(QStringLiteral(": "), -1).trimmed();
            if (tag == QLatin1String("DW_TAG_subprogram") && n == function && !inFunction) {
                inFunction = true;
                funcDepth = depth;
            }
            isName = inFunction && depth > funcDepth && n == name
                && (tag == QLatin1String("DW_TAG_formal_parameter") || tag == QLatin1String("DW_TAG_variable"));
        } else if (isName && a.captured(1) == QLatin1String("DW_AT_location")) {
            if (!value.contains(QLatin1String("location list")))
                return value;
            const QString list = value.section(QLatin1Char(' '), 0, 0).mid(2).rightJustified(8, QLatin1Char('0'));
            QStringList dump
                = run(QStringLiteral("readelf"), {QStringLiteral("--debug-dump=loc"), ko}).split(QLatin1Char('\n'));
            static const QRegularExpression entry(QStringLiteral(R"(^\s+([0-9a-f]{8,16}) ([0-9a-f]{8,16}) \((.*)\)$)"));
            bool in = false;
            for (const QString &l : dump) {
                if (l.startsWith(QStringLiteral("    ") + list))
                    in = true;
                if (!in)
                    continue;
                if (l.contains(QLatin1String("<End of list>")))
                    break;
                const auto e = entry.match(l);
                if (e.hasMatch() && !e.captured(3).contains(QLatin1String("base address"))
                    && pc >= e.captured(1).toULongLong(nullptr, 16) && pc < e.captured(2).toULongLong(nullptr, 16))
                    return e.captured(3);
            }
            return QStringLiteral("(readelf: no entry of list %1 covers 0x%2)").arg(list).arg(pc, 0, 16);
        }
    }
    return QStringLiteral("(readelf: %1 not in %2)").arg(name, function);
}

// gdb's `info scope` at the faulting PC: the location it gives `name` there ("a variable in
// $rdi", "DW_OP_breg0 -8 [$rax] ..."), the .ko's sections loaded at distinct addresses.
QString scopeLocation(const QString &ko, const QString &function, quint64 offset, const QString &name)
{
    const QStringList load{QStringLiteral("-batch"), QStringLiteral("-ex"),
                           QStringLiteral("add-symbol-file %1 -s .text 0x100000 -s .init.text 0x200000 -s "
                                          ".exit.text 0x300000 -s .text.unlikely 0x380000 -s .data 0x400000 -s .bss "
                                          "0x500000 -s .rodata 0x600000")
                               .arg(ko)};
    // The function's ELF symbol (kallsyms' offsets count from it; DWARF's low_pc may lie after
    // patchable-entry NOPs) in its section, placed where add-symbol-file put that section.
    static const QHash<QString, quint64> placed{{QStringLiteral(".text"), 0x100000},
                                                {QStringLiteral(".init.text"), 0x200000},
                                                {QStringLiteral(".exit.text"), 0x300000},
                                                {QStringLiteral(".text.unlikely"), 0x380000}};
    const auto [value, section] = elfSymbol(ko, function);
    if (!placed.contains(section))
        return QStringLiteral("(readelf: %1 in section '%2')").arg(function, section);
    const quint64 entry = placed.value(section) + value;
    const quint64 pc = entry + offset;
    // gdb resolves a PC that starts an empty lexical block (READ_ONCE's compile-time assert
    // leaves one) to that block and lists nothing: then ask at the function's entry, whose
    // listing has the whole location list of its parameters and locals.
    QString scope;
    qsizetype start = -1;
    for (const quint64 at : {pc, entry}) {
        scope = run(QStringLiteral("gdb-multiarch"),
                    load + QStringList{QStringLiteral("-ex"), QStringLiteral("info scope *0x%1").arg(at, 0, 16)});
        start = scope.indexOf(QStringLiteral("Symbol %1 is ").arg(name));
        if (start >= 0)
            break;
    }
    if (start < 0)
        return readelfLocation(ko, function, offset, name);
    qsizetype end = scope.indexOf(QStringLiteral("\nSymbol "), start + 1);
    const QString block = scope.mid(start, end < 0 ? -1 : end - start);
    if (!block.contains(QLatin1String("multi-location")))
        return block;
    static const QRegularExpression range(QStringLiteral(R"(Range 0x([0-9a-f]+)-0x([0-9a-f]+): )"));
    auto it = range.globalMatch(block);
    while (it.hasNext()) {
        const auto r = it.next();
        const quint64 lo = r.captured(1).toULongLong(nullptr, 16);
        const quint64 hi = r.captured(2).toULongLong(nullptr, 16);
        if (pc < lo || pc >= hi)
            continue;
        const qsizetype from = r.capturedEnd();
        const qsizetype next = block.indexOf(QStringLiteral("Range "), from);
        return block.mid(from, next < 0 ? -1 : next - from);
    }
    return QStringLiteral("(gdb: no range of %1 covers 0x%2)").arg(name).arg(pc, 0, 16);
}

void decompress(const QString &xzFile, const QString &to)
{
    QProcess xz;
    xz.setStandardOutputFile(to);
    xz.start(QStringLiteral("xz"), {QStringLiteral("-dc"), xzFile});
    if (!xz.waitForFinished(60000) || xz.exitCode() != 0)
        qFatal("xz -dc %s failed", qPrintable(xzFile));
}

class Capture
{
public:
    // A stored capture and its stored module; or, with `builtKo`, a log and the fixture as built.
    Capture(const QString &arch, const QString &module, const QString &log, const QString &builtKo = {})
    {
        m_koXz = builtKo.isEmpty() ? dataDir + QStringLiteral("/ko/%1/%2.ko.xz").arg(arch, module) : builtKo;
        m_ko = m_dir.filePath(module + QStringLiteral(".ko"));
        if (builtKo.isEmpty())
            decompress(m_koXz, m_ko);
        else
            m_ko = builtKo;
        QString error;
        if (!m_catalog.addPath(m_koXz, &error))
            qFatal("%s", qPrintable(error));
        PathMap paths;
        // Where the modules were built when captured (DWARF records it): the sources they were
        // built from are stored beside the captures.
        paths.add(QStringLiteral("/tmp/kmsexplain-") + arch, dataDir + QStringLiteral("/src"));
        paths.add(QStringLiteral("/work/vnode-explain/ko/") + arch, dataDir + QStringLiteral("/src"));
        m_symbolizer = std::make_unique<Symbolizer>(m_catalog, paths);
        QFile f(log.startsWith(QLatin1Char('/')) ? log : dataDir + QLatin1Char('/') + log);
        if (!f.open(QIODevice::ReadOnly))
            qFatal("cannot open %s", qPrintable(f.fileName()));
        m_text = f.readAll();
        m_reports = detectReports(m_text);
        for (KernelReport &r : m_reports)
            m_symbolizer->resolve(r);
    }
    const QString &ko() const { return m_ko; }
    QList<KernelReport> &reports() { return m_reports; }
    // The shape a report belongs to: the last "kmsexplain: shape NAME" line above it.
    QString shapeOf(const KernelReport &r) const
    {
        const QList<QByteArray> lines = m_text.split('\n');
        for (int i = std::min<int>(r.firstLine, int(lines.size())) - 1; i >= 0; --i) {
            const qsizetype at = lines[i].indexOf("kmsexplain: shape ");
            if (at >= 0)
                return QString::fromLatin1(lines[i].mid(at + 18)).trimmed();
        }
        return {};
    }

private:
    QTemporaryDir m_dir;
    QString m_koXz;
    QString m_ko;
    ModuleCatalog m_catalog;
    std::unique_ptr<Symbolizer> m_symbolizer;
    QByteArray m_text;
    QList<KernelReport> m_reports;
};

void checkAgainstOracles(const KernelReport &r, const Expected &want, const QString &ko)
{
    QVERIFY2(r.explanation.has_value(), qPrintable(r.title));
    const FaultExplanation &e = *r.explanation;
    QVERIFY2(e.error.isEmpty(), qPrintable(e.error));
    QVERIFY(e.access.has_value());
    QCOMPARE(e.access->write, want.write);
    QVERIFY(e.access->address.has_value());
    if (r.kind != ReportKind::Gpf) // a GPF has no CR2; the address is the access's own
        QCOMPARE(e.access->matchesFault, std::optional<bool>(true));
    QVERIFY(!e.address.isEmpty());
    QCOMPARE(e.address.first().kind, want.addressKind);

    QVERIFY2(e.pointer.has_value(), qPrintable(e.summary));
    QCOMPARE(e.pointer->expression, want.pointer);
    QCOMPARE(e.pointer->kind, want.pointerKind);
    QCOMPARE(e.pointer->type, QStringLiteral("struct %1 *").arg(want.structName));
    QVERIFY2(e.member.has_value(), qPrintable(e.summary));
    QCOMPARE(e.member->chain, want.member);

    // Offset and size (and bit position) as gdb lays the struct out.
    const auto layout = layoutOf(ptypeLayout(ko, want.structName), want.member);
    QVERIFY2(layout.has_value(), qPrintable(want.member));
    QCOMPARE(e.member->offset, layout->offset);
    if (layout->bit >= 0) {
        QCOMPARE(e.member->bitOffset, layout->bit);
    } else {
        QCOMPARE(quint64(e.member->size), layout->size);
        QCOMPARE(e.member->bitSize, 0);
    }
    // The faulting offset is the member's (the access may read a bitfield's storage unit).
    const quint64 faultOffset = *e.access->address - *e.pointer->value;
    const quint64 accessEnd = faultOffset + quint64(std::max(e.access->size, 1));
    QVERIFY2(faultOffset < layout->offset + std::max<quint64>(layout->size, 1) && layout->offset < accessEnd,
             qPrintable(QStringLiteral("offset 0x%1").arg(faultOffset, 0, 16)));

    // A variable: gdb puts it in the access's base register at the PC. A temporary: no variable
    // of that name is there, and gdb knows the chain's root.
    const Frame &pc = r.frames.first();
    QVERIFY(pc.exactPc);
    // gdb writes "$rdi", readelf "(rdi)".
    const QString reg = e.access->base.toLower();
    if (want.pointerKind != QLatin1String("temporary")) {
        const QString where = scopeLocation(ko, pc.function, *pc.offset, want.pointer);
        QVERIFY2(where.contains(QLatin1Char('$') + reg) || where.contains(QLatin1Char('(') + reg + QLatin1Char(')')),
                 qPrintable(where));
    } else {
        const QString root = want.pointer.section(QStringLiteral("->"), 0, 0);
        const QString where = scopeLocation(ko, pc.function, *pc.offset, root);
        QVERIFY2(!where.startsWith(QLatin1Char('(')), qPrintable(where));
        // (A value the register held at function entry, DW_OP_entry_value, is not in it now.)
        const bool inBase
            = where.contains(QLatin1Char('$') + reg) || where.contains(QLatin1Char('(') + reg + QLatin1Char(')'));
        QVERIFY2(!inBase || where.contains(QLatin1String("entry_value")), qPrintable(where));
    }
    QVERIFY(e.summary.contains(QStringLiteral("`%1`").arg(want.pointer)));
    QVERIFY(!e.confidence.isEmpty());
}

QString buildIdOf(const QString &ko)
{
    const QString notes = run(QStringLiteral("readelf"), {QStringLiteral("-n"), ko});
    static const QRegularExpression id(QStringLiteral("Build ID: ([0-9a-f]+)"));
    return id.match(notes).captured(1);
}

} // namespace

class TestExplainCaptures : public QObject
{
    Q_OBJECT
private slots:
    // The stored modules are the ones that were loaded on the node (their build ids as
    // /sys/module/NAME/notes gave them at capture time, kept in ko/build-ids).
    void storedModules()
    {
        QFile f(dataDir + QStringLiteral("/ko/build-ids"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        int checked = 0;
        for (const QByteArray &line : f.readAll().split('\n')) {
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            const QList<QByteArray> parts = line.split(' ');
            QCOMPARE(parts.size(), 2);
            QTemporaryDir dir;
            const QString ko = dir.filePath(QStringLiteral("m.ko"));
            decompress(dataDir + QStringLiteral("/ko/") + QString::fromLatin1(parts[0]) + QStringLiteral(".xz"), ko);
            QCOMPARE(buildIdOf(ko), QString::fromLatin1(parts[1]));
            ++checked;
        }
        QCOMPARE(checked, 4);
    }

    void fixtureShapes_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::newRow("x86_64") << QStringLiteral("x86_64");
        QTest::newRow("armhf") << QStringLiteral("armhf");
    }

    void fixtureShapes()
    {
        QFETCH(QString, arch);
        Capture c(arch, QStringLiteral("kmsexplain"), arch + QStringLiteral("-kmsexplain.log"));
        QHash<QString, const KernelReport *> byShape;
        for (const KernelReport &r : c.reports()) {
            if (r.explanation && r.frames.value(0).module == QLatin1String("kmsexplain"))
                byShape.insert(c.shapeOf(r), &r);
        }
        QCOMPARE(byShape.size(), shapes.size());
        for (const Expected &want : shapes) {
            const KernelReport *r = byShape.value(want.shape);
            QVERIFY2(r, qPrintable(want.shape));
            checkAgainstOracles(*r, want, c.ko());
            if (QTest::currentTestFailed())
                qWarning("shape %s: %s", qPrintable(want.shape), qPrintable(r->explanation->summary));
        }
    }

    // 32-bit ARM: LIST_POISON1 is 0x100, also NULL + 0x100; both readings are given, the list
    // one first.
    void armListPoisonReadsTwoWays()
    {
        Capture c(QStringLiteral("armhf"), QStringLiteral("kmsexplain"), QStringLiteral("armhf-kmsexplain.log"));
        for (const KernelReport &r : c.reports()) {
            if (c.shapeOf(r) != QLatin1String("list_read") || !r.explanation)
                continue;
            QCOMPARE(r.explanation->address.size(), 2);
            QCOMPARE(r.explanation->address[0].kind, QStringLiteral("list_poison1"));
            QCOMPARE(r.explanation->address[1].kind, QStringLiteral("null"));
            return;
        }
        QFAIL("no list_read report");
    }

    // arm64: oopses written from the fixture's arm64 build, one per shape.
    void arm64Written()
    {
        const QString ko = QStringLiteral(KMS_FIXTURE_KO_ARM64)
                               .replace(QStringLiteral("kmsfixture.ko"), QStringLiteral("kmsexplain.ko"));
        QFile error(QFileInfo(ko).dir().filePath(QStringLiteral("kmsfixture.error")));
        if (error.open(QIODevice::ReadOnly))
            QFAIL(error.readAll().constData());
        QVERIFY2(QFileInfo::exists(ko), qPrintable(ko));
        QTemporaryDir dir;
        for (const Expected &want : shapes) {
            const QString base = want.addressKind == QLatin1String("slab_free") ? QStringLiteral("0x6b6b6b6b6b6b6b6b")
                : want.addressKind == QLatin1String("list_poison1")             ? QStringLiteral("0xdead000000000100")
                                                                                : QStringLiteral("0");
            const QString log = dir.filePath(want.shape + QStringLiteral(".log"));
            QFile out(log);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(run(QStringLiteral("python3"),
                          {QStringLiteral(KMS_FIXTURE_SRC_DIR "/make-explain-oops.py"), ko,
                           QStringLiteral("kmsx_") + want.shape, base})
                          .toUtf8());
            out.close();
            Capture c(QStringLiteral("arm64"), QStringLiteral("kmsexplain"), log, ko);
            QCOMPARE(c.reports().size(), 1);
            QCOMPARE(toString(c.reports().first().arch), QStringLiteral("arm64"));
            checkAgainstOracles(c.reports().first(), want, ko);
            if (QTest::currentTestFailed()) {
                qWarning("shape %s: %s", qPrintable(want.shape), qPrintable(c.reports().first().explanation->summary));
                return;
            }
        }
    }

    void prudaq_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("fault");
        QTest::addColumn<QString>("kind");
        QTest::newRow("x86_64 unload_race") << "x86_64"
                                            << "unload_race"
                                            << "null";
        QTest::newRow("x86_64 unload_uaf") << "x86_64"
                                           << "unload_uaf"
                                           << "slab_free";
        QTest::newRow("armhf unload_race") << "armhf"
                                           << "unload_race"
                                           << "null";
        QTest::newRow("armhf unload_uaf") << "armhf"
                                          << "unload_uaf"
                                          << "slab_free";
    }

    // The seed's bug: comm->shm is NULL (or freed) when the coordinator's timer reads the
    // mailbox during unload.
    void prudaq()
    {
        QFETCH(QString, arch);
        QFETCH(QString, fault);
        QFETCH(QString, kind);
        Capture c(arch, QStringLiteral("prudaq"), QStringLiteral("%1-prudaq-%2.log").arg(arch, fault));
        QCOMPARE(c.reports().size(), 1);
        const KernelReport &r = c.reports().first();
        QCOMPARE(r.frames.first().function, QStringLiteral("prudaq_comm_receive_msg"));
        checkAgainstOracles(r,
                            {fault, QStringLiteral("comm->shm"), QStringLiteral("temporary"),
                             QStringLiteral("prudaq_shm"), QStringLiteral("msg_from_pru0.head"), false, kind},
                            c.ko());
    }
};

QTEST_GUILESS_MAIN(TestExplainCaptures)
#include "tst_explain_captures.moc"
