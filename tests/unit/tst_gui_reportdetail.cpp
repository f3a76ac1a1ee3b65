// The Reports dock's detail tabs as a user reads them, on the real main window offscreen: the Code
// tab at the trap with `function+offset` addresses and the bytes before the function set apart
// (instruction boundaries and offsets from binutils' objdump on the fixture module), the Registers
// tab with the PC line and the registers as the kernel printed them (read back from the oops text
// by the test's own parse), and "?" frames grey in every column, listed with their "?" in the bug
// report without an excerpt of their own.
#include "bugreport.h"
#include "codelisting.h"
#include "codeview.h"
#include "mainwindow.h"
#include "reportfollower.h"
#include "reportsmodel.h"
#include "reportsview.h"

#include "gui_fixture.h"
#include "gui_oracle.h"
#include "gui_test_support.h"

#include <QDockWidget>
#include <QRegularExpression>
#include <QScrollBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTreeWidget>

using namespace kms;
using namespace kms::gui;

namespace {

struct ObjdumpInsn {
    quint64 offset; // in the section
    QString mnemonic;
};

// objdump's instructions of the .text section, and each function's start there.
bool objdumpText(const QString &ko, QList<ObjdumpInsn> *insns, QHash<QString, quint64> *functions, QString *error)
{
    const symtest::RunResult r
        = symtest::run(QStringLiteral("objdump"),
                       {QStringLiteral("-d"), QStringLiteral("-M"), QStringLiteral("intel"),
                        QStringLiteral("--no-show-raw-insn"), QStringLiteral("-j"), QStringLiteral(".text"), ko});
    if (!r.ok) {
        *error = r.error;
        return false;
    }
    static const QRegularExpression fn(QStringLiteral("^([0-9a-f]+) <([^>]+)>:$"));
    static const QRegularExpression in(QStringLiteral("^\\s*([0-9a-f]+):\\s+(?:(?:cs|ds|notrack|bnd)\\s+)?(\\S+)"));
    for (const QString &l : QString::fromUtf8(r.out).split(QLatin1Char('\n'))) {
        if (const auto m = fn.match(l); m.hasMatch())
            functions->insert(m.captured(2), m.captured(1).toULongLong(nullptr, 16));
        else if (const auto m2 = in.match(l); m2.hasMatch() && !l.contains(QLatin1String("(bad)")))
            insns->append({m2.captured(1).toULongLong(nullptr, 16), m2.captured(2)});
    }
    return !insns->isEmpty();
}

QByteArray sectionBytes(const QString &ko, const QString &section, const QTemporaryDir &dir, QString *error)
{
    const QString out = dir.filePath(QStringLiteral("text.bin"));
    const symtest::RunResult r = symtest::run(
        QStringLiteral("objcopy"),
        {QStringLiteral("-O"), QStringLiteral("binary"), QStringLiteral("--only-section=") + section, ko, out});
    QFile f(out);
    if (!r.ok || !f.open(QIODevice::ReadOnly)) {
        *error = r.error.isEmpty() ? QStringLiteral("objcopy wrote nothing") : r.error;
        return {};
    }
    return f.readAll();
}

} // namespace

class TestGuiReportDetail : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void codeTabAtTrapWithFunctionOffsets();
    void registersTabAsPrinted();
    void unreliableFramesStayUnreliable();

private:
    QTemporaryDir m_dir;
    QString m_ko;
};

void TestGuiReportDetail::initTestCase()
{
    QVERIFY(m_dir.isValid());
    guitest::isolate(m_dir, QStringLiteral("tst_gui_reportdetail"));
    m_ko = QStringLiteral(KMS_FIXTURE_KO_X86_64);
}

void TestGuiReportDetail::codeTabAtTrapWithFunctionOffsets()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    QString error;
    QList<ObjdumpInsn> insns;
    QHash<QString, quint64> functions;
    QVERIFY2(objdumpText(m_ko, &insns, &functions, &error), qPrintable(error));
    const QString fn = QStringLiteral("kmsfix_walk");
    QVERIFY(functions.contains(fn));
    const quint64 start = functions[fn];
    QVERIFY2(start > 0, "kmsfix_walk must not open .text: the test needs bytes before it");
    // The trap: kmsfix_walk's third instruction; 42 bytes before it and 21 after, as x86 prints.
    QList<quint64> inFn;
    for (const ObjdumpInsn &i : insns) {
        if (i.offset >= start)
            inFn.append(i.offset);
    }
    QVERIFY(inFn.size() > 3);
    const quint64 trap = inFn[2];
    const QByteArray text = sectionBytes(m_ko, QStringLiteral(".text"), m_dir, &error);
    QVERIFY2(!text.isEmpty(), qPrintable(error));
    const qsizetype first = qMax<qsizetype>(0, qsizetype(trap) - 42);
    const qsizetype end = qMin<qsizetype>(text.size(), qsizetype(trap) + 21);
    QStringList code;
    for (qsizetype i = first; i < end; ++i)
        code.append(QString(i == qsizetype(trap) ? QStringLiteral("<%1>") : QStringLiteral("%1"))
                        .arg(quint8(text[i]), 2, 16, QLatin1Char('0')));
    QByteArray report = guitest::fixtureOops(m_ko, 6);
    static const QRegularExpression rip(QStringLiteral("RIP: 0010:[^\\n]*"));
    static const QRegularExpression codeLine(QStringLiteral("Code: [^\\n]*"));
    QString r = QString::fromUtf8(report);
    r.replace(rip, QStringLiteral("RIP: 0010:%1+0x%2/0x1e [kmsfixture]").arg(fn).arg(trap - start, 0, 16));
    r.replace(codeLine, QStringLiteral("Code: ") + code.join(QLatin1Char(' ')));

    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.resize(1000, 650); // small enough that the listing does not fit the Code tab
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.feedLines(guitest::asLines(r.toUtf8(), QStringLiteral("serial")));
    const int id = guitest::firstResolvedReport(w);
    QVERIFY(id >= 0);
    w.reportsView()->selectReport(id);
    const KernelReport &rep = w.reportsModel()->entry(id)->report;
    QVERIFY(rep.code);
    QCOMPARE(rep.code->functionStart, int(start - first));

    const CodeListing listing = codeListing(rep);
    const QStringList lines = listing.text.split(QLatin1Char('\n'));
    QVERIFY(listing.trapLine >= 0);
    const QString trapText = lines[listing.trapLine];
    QVERIFY2(trapText.startsWith(QLatin1String("=> %1+0x%2:").arg(fn).arg(trap - start, 0, 16)), qPrintable(trapText));
    // Every instruction of the function in the bytes, at objdump's offsets, with its mnemonic;
    // nothing else claims to be in the function.
    static const QRegularExpression label(QStringLiteral("^(?:=> |   )(\\w+)([+-])0x([0-9a-f]+):\\s+(\\S+)"));
    QList<quint64> shownInFn;
    int before = 0;
    for (int n = 0; n < lines.size(); ++n) {
        const auto m = label.match(lines[n]);
        if (!m.hasMatch())
            continue;
        QCOMPARE(m.captured(1), fn);
        if (m.captured(2) == QLatin1String("-")) {
            QVERIFY2(listing.beforeLines.contains(n), qPrintable(lines[n]));
            ++before;
            continue;
        }
        QVERIFY2(!listing.beforeLines.contains(n), qPrintable(lines[n]));
        const quint64 offset = m.captured(3).toULongLong(nullptr, 16);
        shownInFn.append(start + offset);
        for (const ObjdumpInsn &i : insns) {
            if (i.offset == start + offset)
                QCOMPARE(m.captured(4), i.mnemonic);
        }
    }
    QList<quint64> expected;
    for (quint64 o : inFn) {
        if (qsizetype(o) < end && (o <= trap || qsizetype(o + 1) < end))
            expected.append(o);
    }
    // The last instruction may run past the printed bytes: objdump's list up to it.
    while (shownInFn.size() < expected.size())
        expected.removeLast();
    QCOMPARE(shownInFn, expected);
    QVERIFY(before > 0); // kmsfix_receive's tail and the padding are shown, set apart
    QVERIFY(lines.join(QLatin1Char('\n')).contains(QLatin1String("before %1 starts").arg(fn)));

    // The tab shows the listing and scrolls to the trap by itself.
    auto *tabs = w.reportsView()->findChild<QTabWidget *>();
    QVERIFY(tabs);
    tabs->setCurrentWidget(w.reportsView()->codeView());
    CodeView *view = w.reportsView()->codeView();
    QCOMPARE(view->toPlainText(), listing.text);
    QTRY_VERIFY(view->verticalScrollBar()->maximum() > 0);
    QTRY_VERIFY(view->trapLineVisible());
    QVERIFY(view->verticalScrollBar()->value() > 0);
    QCOMPARE(view->textCursor().blockNumber(), listing.trapLine);
}

void TestGuiReportDetail::registersTabAsPrinted()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    const QByteArray text = guitest::fixtureOops(m_ko, 6);
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.show();
    w.feedLines(guitest::asLines(text, QStringLiteral("serial")));
    const int id = guitest::firstResolvedReport(w);
    QVERIFY(id >= 0);
    w.reportsView()->selectReport(id);
    const QString regs = w.reportsView()->registersView()->toPlainText();
    // The RIP line as printed, first.
    static const QRegularExpression ripLine(QStringLiteral("RIP: (0010:\\S+ \\[kmsfixture\\])"));
    const auto rip = ripLine.match(QString::fromUtf8(text));
    QVERIFY(rip.hasMatch());
    QVERIFY2(regs.startsWith(QStringLiteral("RIP: ") + rip.captured(1)), qPrintable(regs));
    // Then where it is: addr2line's file:line of the PC.
    const KernelReport &r = w.reportsModel()->entry(id)->report;
    const Frame *pc = pcFrame(r);
    QVERIFY(pc);
    QString file;
    int line = 0;
    QString error;
    QVERIFY2(guitest::oracle(m_ko, *pc, &file, &line, &error), qPrintable(error));
    QVERIFY2(regs.contains(QStringLiteral("at %1:%2").arg(QFileInfo(file).fileName()).arg(line)), qPrintable(regs));
    // Every register of the printed register lines, with its value as printed ("CS: 0010").
    static const QRegularExpression regLine(QStringLiteral("\\] ((?:RSP|RAX|RDX|RBP|R10|R13|FS|CS|CR2):.*)$"),
                                            QRegularExpression::MultilineOption);
    static const QRegularExpression pair(QStringLiteral("(\\w+):\\s*(\\S+)"));
    int checked = 0;
    // The kernel's registers: before the trace (the user-space ones after it are not the oops').
    const QString kernelPart = QString::fromUtf8(text.left(text.indexOf("Call Trace:")));
    for (auto lines = regLine.globalMatch(kernelPart); lines.hasNext();) {
        const QString printed = lines.next().captured(1);
        for (auto p = pair.globalMatch(printed); p.hasNext();) {
            const auto m = p.next();
            const QRegularExpression shown(
                QStringLiteral("(^|\\s)%1: %2(\\s|$)").arg(m.captured(1), QRegularExpression::escape(m.captured(2))),
                QRegularExpression::MultilineOption);
            QVERIFY2(shown.match(regs).hasMatch(), qPrintable(m.captured(0) + QStringLiteral(" not in:\n") + regs));
            ++checked;
        }
    }
    QVERIFY2(checked >= 20, qPrintable(QString::number(checked)));
    static const QRegularExpression cs(QStringLiteral("(^|\\s)CS: 0010(\\s|$)"), QRegularExpression::MultilineOption);
    QVERIFY(cs.match(regs).hasMatch());
    QVERIFY(!regs.contains(QLatin1String("000000000010")));
    // The bug report has them the same way.
    QVERIFY(cs.match(bugReportMarkdown(r)).hasMatch());
}

void TestGuiReportDetail::unreliableFramesStayUnreliable()
{
    SYMTEST_REQUIRE_FIXTURE(m_ko);
    // kmsfix_exit's frame as the unwinder prints a stale return address: "? kmsfix_exit+...".
    QByteArray text = guitest::fixtureOops(m_ko, 8);
    const qsizetype at = text.indexOf(" kmsfix_exit+");
    QVERIFY(at > 0);
    text.insert(at + 1, "? ");
    StartOptions options = guitest::offlineOptions(m_ko);
    MainWindow w(options);
    w.show();
    w.feedLines(guitest::asLines(text, QStringLiteral("serial")));
    const int id = guitest::firstResolvedReport(w);
    QVERIFY(id >= 0);
    w.reportsView()->selectReport(id);
    const KernelReport &r = w.reportsModel()->entry(id)->report;
    int unreliable = -1;
    for (qsizetype i = 0; i < r.frames.size(); ++i) {
        if (!r.frames[i].reliable && r.frames[i].function == QLatin1String("kmsfix_exit"))
            unreliable = int(i);
    }
    QVERIFY(unreliable >= 0);
    QVERIFY(!r.frames[unreliable].file.isEmpty()); // resolved, yet not presented as the path
    QTreeWidget *tree = w.reportsView()->frameTree();
    QTreeWidgetItem *item = w.reportsView()->frameItem(unreliable);
    QVERIFY(item->text(0).startsWith(QLatin1String("? kmsfix_exit+")));
    const QColor grey = item->foreground(0).color();
    for (int col = 0; col < tree->columnCount(); ++col)
        QCOMPARE(item->foreground(col).color(), grey);
    QCOMPARE(grey, QColor(Qt::gray));
    QVERIFY(item->toolTip(0).contains(QLatin1String("not certainly part of this call chain")));
    const QTreeWidgetItem *reliable = w.reportsView()->frameItem(ReportFollower::guiltyFrame(r));
    QVERIFY(reliable->foreground(0).color() != grey);
    // The bug report lists it marked, without an excerpt of its own.
    const QString md = bugReportMarkdown(r);
    QVERIFY(md.contains(QLatin1String("? kmsfix_exit+")));
    const Frame &f = r.frames[unreliable];
    QVERIFY2(!md.contains(QStringLiteral("`kmsfix_exit` at %1:%2:").arg(f.file).arg(f.line)), qPrintable(md));
    QVERIFY(md.contains(QLatin1String("### Source")));
}

QTEST_MAIN(TestGuiReportDetail)
#include "tst_gui_reportdetail.moc"
