// Code: bytes through kms::disassemble, checked against objdump (binutils) on the same bytes:
// instruction boundaries must agree exactly, mnemonics must agree (modulo syntax differences).
#include "symbols/disassembler.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace kms;

namespace {

// "73 01 c3 ... <48> 3d ..." (x86, bytes) -> bytes and trap index
CodeBytes x86Code(const QString &text)
{
    CodeBytes code;
    for (const QString &tok : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        QString t = tok;
        if (t.startsWith(QLatin1Char('<'))) {
            code.trapIndex = int(code.bytes.size());
            t = t.mid(1, t.size() - 2);
        }
        code.bytes.append(char(t.toUInt(nullptr, 16)));
    }
    return code;
}

// "e34b4f1a ... (e7d33006)" (ARM words or Thumb halfwords, as printed) -> little-endian bytes
CodeBytes armCode(const QString &text)
{
    CodeBytes code;
    for (const QString &tok : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        QString t = tok;
        if (t.startsWith(QLatin1Char('('))) {
            code.trapIndex = int(code.bytes.size());
            t = t.mid(1, t.size() - 2);
        }
        const quint32 unit = t.toUInt(nullptr, 16);
        code.thumb = t.size() == 4;
        for (int i = 0; i < t.size() / 2; ++i)
            code.bytes.append(char((unit >> (8 * i)) & 0xff));
    }
    return code;
}

struct ObjdumpInsn {
    quint64 address;
    QStringList words; // mnemonic and prefixes, lower case
};

// objdump -D -b binary on the bytes from `start`.
QList<ObjdumpInsn> objdump(const QByteArray &bytes, const QStringList &machine, qsizetype start, QString *error)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("code.bin"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size()) {
        *error = QStringLiteral("cannot write the code");
        return {};
    }
    f.close();
    QProcess p;
    QStringList args = {QStringLiteral("-D"),
                        QStringLiteral("-b"),
                        QStringLiteral("binary"),
                        QStringLiteral("-w"),
                        QStringLiteral("--no-show-raw-insn"),
                        QStringLiteral("--start-address=%1").arg(start)};
    args += machine;
    args.append(path);
    const QString program = machine.contains(QStringLiteral("aarch64")) ? QStringLiteral("aarch64-linux-gnu-objdump")
        : machine.contains(QStringLiteral("arm"))                       ? QStringLiteral("arm-linux-gnueabihf-objdump")
                                                                        : QStringLiteral("objdump");
    p.start(program, args);
    if (!p.waitForFinished(30000) || p.exitCode() != 0) {
        *error = QStringLiteral("%1 failed: %2").arg(program, QString::fromLocal8Bit(p.readAllStandardError()));
        return {};
    }
    QList<ObjdumpInsn> result;
    static const QRegularExpression re(QStringLiteral(R"(^\s+([0-9a-f]+):\s+(.*)$)"));
    for (const QByteArray &raw : p.readAllStandardOutput().split('\n')) {
        const auto m = re.match(QString::fromUtf8(raw));
        if (!m.hasMatch())
            continue;
        QString text = m.captured(2).toLower();
        text = text.section(QLatin1Char(';'), 0, 0).section(QLatin1Char('@'), 0, 0);
        QStringList words = text.split(QRegularExpression(QStringLiteral("[\\s,]+")), Qt::SkipEmptyParts);
        if (words.isEmpty() || words.first() == QLatin1String("(bad)") || words.first().startsWith(QLatin1Char('.')))
            continue;
        result.append({m.captured(1).toULongLong(nullptr, 16), words});
    }
    return result;
}

// Checks `code`'s disassembly against objdump's, from the first instruction we decoded to the
// end (objdump decodes a truncated last instruction as (bad) or not at all: we stop there too).
QString checkAgainstObjdump(const CodeBytes &code, const QStringList &machine)
{
    if (code.disassembly.isEmpty())
        return QStringLiteral("no disassembly: ") + code.error;
    QString error;
    const qsizetype start = qsizetype(code.disassembly.first().address);
    const QList<ObjdumpInsn> oracle = objdump(code.bytes, machine, start, &error);
    if (!error.isEmpty())
        return error;
    QStringList problems;
    for (qsizetype i = 0; i < code.disassembly.size(); ++i) {
        const DisassembledInstruction &ours = code.disassembly.at(i);
        if (i >= oracle.size()) {
            problems.append(QStringLiteral("extra instruction at %1: %2").arg(ours.address).arg(ours.text));
            continue;
        }
        const ObjdumpInsn &theirs = oracle.at(i);
        const QString mnemonic = ours.text.section(QLatin1Char(' '), 0, 0).toLower();
        if (ours.address != theirs.address)
            problems.append(QStringLiteral("boundary: ours %1 %2, objdump %3 %4")
                                .arg(ours.address)
                                .arg(ours.text)
                                .arg(theirs.address)
                                .arg(theirs.words.join(QLatin1Char(' '))));
        else if (!theirs.words.mid(0, 3).contains(mnemonic))
            problems.append(QStringLiteral("mnemonic at %1: ours '%2', objdump '%3'")
                                .arg(ours.address)
                                .arg(ours.text, theirs.words.join(QLatin1Char(' '))));
    }
    return problems.join(QLatin1Char('\n'));
}

int trapping(const CodeBytes &code)
{
    int n = 0;
    for (const auto &insn : code.disassembly)
        n += insn.trapping;
    return n;
}

const DisassembledInstruction *trapInsn(const CodeBytes &code)
{
    for (const auto &insn : code.disassembly) {
        if (insn.trapping)
            return &insn;
    }
    return nullptr;
}

} // namespace

class TestDisassembler : public QObject
{
    Q_OBJECT

private slots:
    void x86SeedCode()
    {
        // The seed's Code: line (x86_64-null-deref-in-exit.log, user-space syscall stub).
        CodeBytes code = x86Code(
            QStringLiteral("73 01 c3 48 8b 0d dd fe 0b 00 f7 d8 64 89 01 48 83 c8 ff c3 66 2e 0f 1f 84 00 00 00 00 "
                           "00 90 f3 0f 1e fa b8 b0 00 00 00 0f 05 <48> 3d 01 f0 ff ff 73 01 c3 48 8b 0d ad fe 0b "
                           "00 f7 d8 64 89 01 48"));
        QCOMPARE(code.trapIndex, 42);
        disassemble(code, Arch::X86_64, std::nullopt);
        QVERIFY2(code.error.isEmpty(), qPrintable(code.error));
        const QString diff = checkAgainstObjdump(
            code, {QStringLiteral("-m"), QStringLiteral("i386:x86-64"), QStringLiteral("-M"), QStringLiteral("intel")});
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(trapping(code), 1);
        QCOMPARE(trapInsn(code)->address, quint64(42));
        QCOMPARE(trapInsn(code)->text, QStringLiteral("cmp rax, -0xfff"));
        QCOMPARE(code.disassembly.first().address, quint64(0));
        QCOMPARE(code.disassembly.first().text, QStringLiteral("jae 3"));
    }

    void x86MisalignedPrefix()
    {
        // Bytes before the trap may start in the middle of an instruction (here the tail of a
        // rip-relative mov): decoding starts at the first byte whose instructions end exactly
        // at the trap.
        const CodeBytes bytes
            = x86Code(QStringLiteral("0d dd fe 0b 00 f7 d8 64 89 01 48 83 c8 ff c3 <48> 8b 47 08 c3"));
        CodeBytes code = bytes;
        disassemble(code, Arch::X86_64, std::nullopt);
        QVERIFY2(code.error.isEmpty(), qPrintable(code.error));
        const QString diff = checkAgainstObjdump(
            code, {QStringLiteral("-m"), QStringLiteral("i386:x86-64"), QStringLiteral("-M"), QStringLiteral("intel")});
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(trapping(code), 1);
        QCOMPARE(trapInsn(code)->address, quint64(15));
        QCOMPARE(trapInsn(code)->text, QStringLiteral("mov rax, qword ptr [rdi + 8]"));

        // With the PC known, addresses are the kernel's: the trap is at the PC.
        CodeBytes atPc = bytes;
        disassemble(atPc, Arch::X86_64, 0xffffffffc0a01000ULL);
        QCOMPARE(atPc.disassembly.size(), code.disassembly.size());
        for (qsizetype i = 0; i < atPc.disassembly.size(); ++i)
            QCOMPARE(atPc.disassembly.at(i).address, code.disassembly.at(i).address - 15 + 0xffffffffc0a01000ULL);
        QCOMPARE(trapInsn(atPc)->address, 0xffffffffc0a01000ULL);
    }

    void armSeedCode()
    {
        // The seed's ARM32 Code: line; the trapping word is ldrb r3, [r3, r6].
        CodeBytes code = armCode(QStringLiteral("e34b4f1a e30061c1 e1a05000 e5943000 (e7d33006)"));
        QCOMPARE(code.trapIndex, 16);
        QVERIFY(!code.thumb);
        disassemble(code, Arch::Arm, std::nullopt);
        QVERIFY2(code.error.isEmpty(), qPrintable(code.error));
        const QString diff
            = checkAgainstObjdump(code, {QStringLiteral("-m"), QStringLiteral("arm"), QStringLiteral("-EL")});
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(code.disassembly.size(), 5);
        QCOMPARE(trapping(code), 1);
        QCOMPARE(trapInsn(code)->text, QStringLiteral("ldrb r3, [r3, r6]"));
        QCOMPARE(trapInsn(code)->address, quint64(16));
        QCOMPARE(code.disassembly.at(2).text, QStringLiteral("mov r5, r0"));

        // With the pc register (0xbf19b018 in the seed) the addresses are the kernel's.
        disassemble(code, Arch::Arm, 0xbf19b018ULL);
        QCOMPARE(code.disassembly.first().address, 0xbf19b008ULL);
        QCOMPARE(trapInsn(code)->address, 0xbf19b018ULL);
    }

    void thumbCode()
    {
        // Halfword units mean Thumb-2: 16- and 32-bit instructions mixed.
        CodeBytes code = armCode(QStringLiteral("b508 4b04 f8d3 3000 681b (5cd3) 4770"));
        QVERIFY(code.thumb);
        disassemble(code, Arch::Arm, std::nullopt);
        QVERIFY2(code.error.isEmpty(), qPrintable(code.error));
        const QString diff = checkAgainstObjdump(code,
                                                 {QStringLiteral("-m"), QStringLiteral("arm"), QStringLiteral("-EL"),
                                                  QStringLiteral("-M"), QStringLiteral("force-thumb")});
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(trapping(code), 1);
        QCOMPARE(trapInsn(code)->text, QStringLiteral("ldrb r3, [r2, r3]"));
        QCOMPARE(code.disassembly.size(), 6);
    }

    void arm64Code()
    {
        CodeBytes code = armCode(QStringLiteral("a9bf7bfd 910003fd f9400000 (39400c00) a8c17bfd d65f03c0"));
        disassemble(code, Arch::Arm64, std::nullopt);
        QVERIFY2(code.error.isEmpty(), qPrintable(code.error));
        const QString diff = checkAgainstObjdump(code, {QStringLiteral("-m"), QStringLiteral("aarch64")});
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(code.disassembly.size(), 6);
        QCOMPARE(trapping(code), 1);
        QCOMPARE(trapInsn(code)->text, QStringLiteral("ldrb w0, [x0, #3]"));
        QCOMPARE(code.disassembly.last().text, QStringLiteral("ret"));
    }

    void i386Code()
    {
        CodeBytes code = x86Code(QStringLiteral("55 89 e5 8b 45 08 <8b> 40 04 5d c3"));
        disassemble(code, Arch::I386, std::nullopt);
        QVERIFY2(code.error.isEmpty(), qPrintable(code.error));
        const QString diff = checkAgainstObjdump(
            code, {QStringLiteral("-m"), QStringLiteral("i386"), QStringLiteral("-M"), QStringLiteral("intel")});
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(trapInsn(code)->text, QStringLiteral("mov eax, dword ptr [eax + 4]"));
    }

    void noTrapMarkerAndErrors()
    {
        CodeBytes code = x86Code(QStringLiteral("55 48 89 e5 5d c3"));
        disassemble(code, Arch::X86_64, std::nullopt);
        QCOMPARE(code.disassembly.size(), 4);
        QCOMPARE(trapping(code), 0);

        CodeBytes empty;
        disassemble(empty, Arch::X86_64, std::nullopt);
        QVERIFY(empty.disassembly.isEmpty());
        QVERIFY(!empty.error.isEmpty());

        CodeBytes ppc = x86Code(QStringLiteral("7c 08 02 a6"));
        disassemble(ppc, Arch::Ppc64, std::nullopt);
        QVERIFY(ppc.disassembly.isEmpty());
        QVERIFY2(ppc.error.contains(QLatin1String("ppc64")), qPrintable(ppc.error));

        // A second call replaces the first result.
        disassemble(code, Arch::Unknown, std::nullopt);
        QVERIFY(code.disassembly.isEmpty());
        QVERIFY(!code.error.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestDisassembler)
#include "tst_disassembler.moc"
