// The source of a frame: QScintilla with the C lexer, the frame's line marked, the other frames
// of the same report that fall in this file marked too; "Open in editor" runs a configurable
// command (%f file, %l line). A missing file says which path was looked for and offers a path map
// or fetching it from the node over SSH (from the path DWARF records, where a module built on the
// node has its sources).
#pragma once

#include "report/kernelreport.h"

#include <QWidget>

class QsciScintilla;
class QsciLexerCPP;
class QLabel;
namespace kms::gui {
class ElidedLabel;
}
class QPushButton;
class QStackedWidget;

namespace kms::gui {

class SourceView : public QWidget
{
    Q_OBJECT
public:
    explicit SourceView(QWidget *parent = nullptr);

    // Opens the frame's file at its line (or the inline caller's, callerIndex >= 0).
    void showFrame(const KernelReport &report, int frameIndex, int callerIndex = -1);
    // Opens a file at a line; `others` are further lines to mark.
    bool openFile(const QString &path, int line, const QList<int> &others = {});

    QString currentFile() const { return m_file; }
    int currentLine() const { return m_line; } // 1-based, 0 when nothing is shown
    bool showsMissing() const;
    QString missingText() const;
    QsciScintilla *editor() const { return m_editor; }

    // "%f"/"%l" command; empty: $VISUAL/$EDITOR, else the desktop's handler.
    static QString editorCommand();
    static void setEditorCommand(const QString &command);
    // The command line that "Open in editor" runs for file:line (empty: desktop handler).
    static QStringList editorArguments(const QString &file, int line);
    // The same, for a given configured command and environment: a terminal editor ($EDITOR
    // without $VISUAL) gets a terminal emulator, `terminal` (empty: none found, run as is).
    static QStringList editorArguments(const QString &file, int line, const QString &command, const QString &visual,
                                       const QString &editor, const QString &terminal);
    // Whether "Fetch from node" can work now (an SSH link is up).
    void setFetchAvailable(bool on, const QString &why = {});
    // Shown on the missing-file page (fetch progress or its error).
    void setFetchStatus(const QString &text);
    QString fetchStatus() const;

public Q_SLOTS:
    void openInEditor();

Q_SIGNALS:
    // The user wants a path map for a file that was not found (from the DWARF path).
    void pathMapRequested(const QString &missingPath);
    // The user wants the file fetched from the node: its path there (as DWARF records it).
    void sourceFetchRequested(const QString &buildPath);

private:
    void showMissing(const QString &path, const QString &why, const QString &buildPath = {});

    QStackedWidget *m_stack = nullptr;
    QsciScintilla *m_editor = nullptr;
    QsciLexerCPP *m_lexer = nullptr;
    ElidedLabel *m_header = nullptr;
    QLabel *m_missing = nullptr;
    QPushButton *m_mapButton = nullptr;
    QPushButton *m_fetchButton = nullptr;
    QLabel *m_fetchStatus = nullptr;
    QString m_missingBuildPath;
    QPushButton *m_editorButton = nullptr;
    QString m_file;
    QString m_missingPath;
    int m_line = 0;
    int m_markCurrent = 0;
    int m_markOther = 1;
};

} // namespace kms::gui
