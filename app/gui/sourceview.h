// The source of a frame: QScintilla with the C lexer, the frame's line marked, the other frames
// of the same report that fall in this file marked too; "Open in editor" runs a configurable
// command (%f file, %l line). A missing file says which path was looked for and offers a path map.
#pragma once

#include "report/kernelreport.h"

#include <QWidget>

class QsciScintilla;
class QsciLexerCPP;
class QLabel;
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

public Q_SLOTS:
    void openInEditor();

Q_SIGNALS:
    // The user wants a path map for a file that was not found (from the DWARF path).
    void pathMapRequested(const QString &missingPath);

private:
    void showMissing(const QString &path, const QString &why);

    QStackedWidget *m_stack = nullptr;
    QsciScintilla *m_editor = nullptr;
    QsciLexerCPP *m_lexer = nullptr;
    QLabel *m_header = nullptr;
    QLabel *m_missing = nullptr;
    QPushButton *m_mapButton = nullptr;
    QPushButton *m_editorButton = nullptr;
    QString m_file;
    QString m_missingPath;
    int m_line = 0;
    int m_markCurrent = 0;
    int m_markOther = 1;
};

} // namespace kms::gui
