// What can be done with a report and a frame, as actions: the right-click menus of the report
// rows and the frame rows use them, and so does the window's Reports menu (with the shortcuts).
// Acts on the Reports view's current report and frame; what needs the session or the Source dock
// goes out as signals.
#pragma once

#include <QObject>
#include <QPoint>

class QAction;
class QMenu;

namespace kms {
struct Frame;
}

namespace kms::gui {

class ReportsModel;
class ReportsView;

class ReportActions : public QObject
{
    Q_OBJECT
public:
    ReportActions(ReportsModel *model, ReportsView *view);

    QAction *copyTitle() const { return m_copyTitle; }
    QAction *copyBugReport() const { return m_copyBugReport; }
    QAction *exportReport() const { return m_export; }
    QAction *decodeAgain() const { return m_decodeAgain; }
    QAction *nextReport() const { return m_next; }
    QAction *previousReport() const { return m_previous; }
    QAction *openInEditor() const { return m_openInEditor; }
    QAction *copyLocation() const { return m_copyLocation; }
    QAction *copyFrame() const { return m_copyFrame; }
    // The menus as a right-click shows them (tests look at their entries).
    QMenu *reportMenu() const { return m_reportMenu; }
    QMenu *frameMenu() const { return m_frameMenu; }
    // Adds the report entries and the navigation to a menu of the window.
    void fillMenu(QMenu *menu) const;

    // "file:line" of the current frame (or its inline caller), and the frame as one line of text.
    QString currentLocation() const;
    QString currentFrameText() const;
    // Writes the current report: Markdown (.md, the bug report) or the CLI's JSON (.json).
    bool exportTo(const QString &path, QString *error) const;

Q_SIGNALS:
    void decodeAgainRequested(int reportId);
    void openInEditorRequested(int reportId, int frameIndex, int callerIndex);
    void message(const QString &text, int timeoutMs);

private:
    void updateEnabled();
    void step(int delta); // next (+1, older) or previous (-1, newer) report
    void showReportMenu(const QPoint &pos);
    void showFrameMenu(const QPoint &pos);
    void askExport();
    // The current frame and inline caller (-1: the frame itself); false when none.
    bool currentFrame(int *frame, int *caller) const;
    // The frame selected in the current report (caller: the inline caller row, or -1), or null.
    const Frame *selectedFrame(int *caller) const;

    ReportsModel *m_model;
    ReportsView *m_view;
    QAction *m_copyTitle;
    QAction *m_copyBugReport;
    QAction *m_export;
    QAction *m_decodeAgain;
    QAction *m_next;
    QAction *m_previous;
    QAction *m_openInEditor;
    QAction *m_copyLocation;
    QAction *m_copyFrame;
    QMenu *m_reportMenu;
    QMenu *m_frameMenu;
};

} // namespace kms::gui
