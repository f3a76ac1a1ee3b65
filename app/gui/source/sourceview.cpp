#include "sourceview.h"

#include "elidedlabel.h"

#include "report/reportformatter.h"

#include <Qsci/qscilexercpp.h>
#include <Qsci/qsciscintilla.h>

#include <QDesktopServices>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QProcess>
#include <QProcessEnvironment>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QUrl>
#include <QVBoxLayout>

namespace kms::gui {

SourceView::SourceView(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *bar = new QHBoxLayout;
    m_header = new ElidedLabel(tr("Click a frame to see its source."), this);
    m_header->setObjectName(QStringLiteral("sourceHeader"));
    m_editorButton = new QPushButton(tr("Open in editor"), this);
    m_editorButton->setEnabled(false);
    connect(m_editorButton, &QPushButton::clicked, this, &SourceView::openInEditor);
    bar->addWidget(m_header, 1);
    bar->addWidget(m_editorButton);
    layout->addLayout(bar);

    m_stack = new QStackedWidget(this);
    m_editor = new QsciScintilla(m_stack);
    m_lexer = new QsciLexerCPP(m_editor);
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_lexer->setDefaultFont(mono);
    m_lexer->setFont(mono);
    m_editor->setLexer(m_lexer);
    m_editor->setReadOnly(true);
    m_editor->setMarginType(0, QsciScintilla::NumberMargin);
    m_editor->setMarginWidth(0, QStringLiteral("000000"));
    m_editor->setMarginType(1, QsciScintilla::SymbolMargin);
    m_editor->setMarginWidth(1, 14);
    m_editor->setFolding(QsciScintilla::NoFoldStyle);
    m_editor->setCaretLineVisible(false);
    m_editor->markerDefine(QsciScintilla::Background, m_markCurrent);
    m_editor->setMarkerBackgroundColor(QColor(255, 200, 200), m_markCurrent);
    m_editor->markerDefine(QsciScintilla::Background, m_markOther);
    m_editor->setMarkerBackgroundColor(QColor(255, 236, 190), m_markOther);
    // Arrows in the symbol margin, beside the background marks.
    m_editor->markerDefine(QsciScintilla::RightArrow, m_markCurrent + 2);
    m_editor->setMarkerBackgroundColor(QColor(200, 0, 0), m_markCurrent + 2);
    m_editor->setMarginMarkerMask(1, (1 << (m_markCurrent + 2)));
    m_stack->addWidget(m_editor);

    auto *missingPage = new QWidget(m_stack);
    auto *ml = new QVBoxLayout(missingPage);
    m_missing = new QLabel(missingPage);
    m_missing->setWordWrap(true);
    m_missing->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_mapButton = new QPushButton(tr("Add a source path map…"), missingPage);
    connect(m_mapButton, &QPushButton::clicked, this, [this] { Q_EMIT pathMapRequested(m_missingPath); });
    m_fetchButton = new QPushButton(tr("Fetch from the node over SSH"), missingPage);
    m_fetchButton->setEnabled(false);
    m_fetchButton->setToolTip(tr("No SSH link is up"));
    connect(m_fetchButton, &QPushButton::clicked, this, [this] {
        m_fetchStatus->setText(tr("Fetching %1 from the node…").arg(m_missingBuildPath));
        Q_EMIT sourceFetchRequested(m_missingBuildPath);
    });
    m_fetchStatus = new QLabel(missingPage);
    m_fetchStatus->setWordWrap(true);
    m_fetchStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    ml->addWidget(m_missing);
    ml->addWidget(m_mapButton, 0, Qt::AlignLeft);
    ml->addWidget(m_fetchButton, 0, Qt::AlignLeft);
    ml->addWidget(m_fetchStatus);
    ml->addStretch(1);
    m_stack->addWidget(missingPage);
    layout->addWidget(m_stack, 1);
}

bool SourceView::showsMissing() const
{
    return m_stack->currentIndex() == 1;
}

QString SourceView::missingText() const
{
    return m_missing->text();
}

void SourceView::setFetchAvailable(bool on, const QString &why)
{
    m_fetchButton->setEnabled(on);
    m_fetchButton->setToolTip(on ? tr("Copy the file from the node into the node's cache and open it") : why);
}

void SourceView::setFetchStatus(const QString &text)
{
    m_fetchStatus->setText(text);
}

QString SourceView::fetchStatus() const
{
    return m_fetchStatus->text();
}

void SourceView::showMissing(const QString &path, const QString &why, const QString &buildPath)
{
    m_missingPath = path;
    m_missingBuildPath = buildPath;
    m_fetchButton->setVisible(!buildPath.isEmpty());
    m_fetchStatus->clear();
    m_file.clear();
    m_line = 0;
    m_missing->setText(why);
    m_mapButton->setVisible(!path.isEmpty());
    m_editorButton->setEnabled(false);
    m_stack->setCurrentIndex(1);
}

void SourceView::showFrame(const KernelReport &report, int frameIndex, int callerIndex)
{
    if (frameIndex < 0 || frameIndex >= report.frames.size())
        return;
    const Frame &f = report.frames[frameIndex];
    QString file = f.file;
    QString buildFile = f.buildFile;
    int line = f.line;
    if (callerIndex >= 0 && callerIndex < f.inlinedBy.size()) {
        file = f.inlinedBy[callerIndex].file;
        buildFile = f.inlinedBy[callerIndex].buildFile;
        line = f.inlinedBy[callerIndex].line;
    }
    m_header->setText(QStringLiteral("%1 — %2").arg(formatFrameSymbol(f), formatFrameLocation(f)));
    if (file.isEmpty()) {
        showMissing({},
                    tr("No source line for %1: %2.")
                        .arg(formatFrameSymbol(f), f.error.isEmpty() ? tr("not resolved yet") : f.error));
        return;
    }
    QList<int> others;
    for (qsizetype i = 0; i < report.frames.size(); ++i) {
        const Frame &o = report.frames[i];
        if (i != frameIndex && o.file == file && o.line > 0)
            others.append(o.line);
        for (const InlineCaller &c : o.inlinedBy) {
            if (c.file == file && c.line > 0 && c.line != line)
                others.append(c.line);
        }
    }
    if (!openFile(file, line, others)) {
        showMissing(file,
                    tr("Source file not found: looked for\n%1\n\nIf the sources live elsewhere on this machine, "
                       "add a source path map (build path = local path) to the profile. If the module was built "
                       "on the node, fetch the file from there.")
                        .arg(file),
                    buildFile);
    }
}

bool SourceView::openFile(const QString &path, int line, const QList<int> &others)
{
    if (path != m_file || m_stack->currentIndex() != 0) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return false;
        m_editor->setText(QString::fromUtf8(f.readAll()));
        m_file = path;
    }
    m_stack->setCurrentIndex(0);
    m_editor->markerDeleteAll();
    for (int o : others)
        m_editor->markerAdd(o - 1, m_markOther);
    m_editor->markerAdd(line - 1, m_markCurrent);
    m_editor->markerAdd(line - 1, m_markCurrent + 2);
    m_line = line;
    // Centre the line: first visible = line - half a page.
    const int onScreen = int(m_editor->SendScintilla(QsciScintilla::SCI_LINESONSCREEN));
    m_editor->setFirstVisibleLine(std::max(0, line - 1 - onScreen / 2));
    m_editor->setCursorPosition(line - 1, 0);
    m_editorButton->setEnabled(true);
    if (!m_header->text().contains(QFileInfo(path).fileName()))
        m_header->setText(QStringLiteral("%1:%2").arg(path).arg(line));
    return true;
}

QString SourceView::editorCommand()
{
    return QSettings().value(QStringLiteral("editorCommand")).toString();
}

void SourceView::setEditorCommand(const QString &command)
{
    QSettings().setValue(QStringLiteral("editorCommand"), command);
}

QStringList SourceView::editorArguments(const QString &file, int line)
{
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // Debian's alternative first, then what the user's environment names.
    QString terminal = QStandardPaths::findExecutable(QStringLiteral("x-terminal-emulator"));
    if (terminal.isEmpty() && !env.value(QStringLiteral("TERMINAL")).isEmpty())
        terminal = QStandardPaths::findExecutable(env.value(QStringLiteral("TERMINAL")));
    return editorArguments(file, line, editorCommand(), env.value(QStringLiteral("VISUAL")),
                           env.value(QStringLiteral("EDITOR")), terminal);
}

QStringList SourceView::editorArguments(const QString &file, int line, const QString &configured, const QString &visual,
                                        const QString &editor, const QString &terminal)
{
    QString command = configured;
    bool needsTerminal = false;
    if (command.isEmpty()) {
        // By convention $VISUAL is a full-screen or windowed editor the desktop can start, while
        // $EDITOR is a terminal one (vi, nano): started from a GUI it would have no terminal.
        if (!visual.isEmpty()) {
            command = visual;
        } else if (!editor.isEmpty()) {
            command = editor;
            needsTerminal = !terminal.isEmpty();
        } else {
            return {};
        }
        command += QStringLiteral(" +%l %f");
    }
    QStringList args = QProcess::splitCommand(command);
    for (QString &a : args) {
        a.replace(QStringLiteral("%f"), file);
        a.replace(QStringLiteral("%l"), QString::number(line));
    }
    if (needsTerminal)
        args = QStringList{terminal, QStringLiteral("-e")} + args;
    return args;
}

void SourceView::openInEditor()
{
    if (m_file.isEmpty())
        return;
    const QStringList args = editorArguments(m_file, m_line);
    if (args.isEmpty()) {
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_file));
        return;
    }
    QProcess::startDetached(args.first(), args.mid(1));
}

} // namespace kms::gui
