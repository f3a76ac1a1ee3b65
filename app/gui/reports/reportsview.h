// The reports panel: the session's reports (newest first) and the selected one's frames
// (function+offset, module, context, file:line or why not, inline callers as child rows),
// registers, fault address and disassembly with the trapping instruction marked.
#pragma once

#include <QWidget>

class QTableView;
class QTreeWidget;
class QTreeWidgetItem;
class QPlainTextEdit;
class QLabel;
class QPushButton;

namespace kms {
struct KernelReport;
}

namespace kms::gui {

class CodeView;
class ReportActions;
class ReportsModel;

class ReportsView : public QWidget
{
    Q_OBJECT
public:
    explicit ReportsView(ReportsModel *model, QWidget *parent = nullptr);

    QTableView *reportList() const { return m_list; }
    QTreeWidget *frameTree() const { return m_frames; }
    QPlainTextEdit *registersView() const { return m_registers; }
    QPlainTextEdit *disassemblyView() const;
    CodeView *codeView() const { return m_code; }
    // Copy, export, decode again, next/previous report, open in editor: menus and shortcuts.
    ReportActions *actions() const { return m_actions; }
    // The current frame row: its frame and inline caller (-1: the frame itself); false if none.
    bool currentFrame(int *frame, int *caller) const;
    int currentReportId() const { return m_reportId; }
    // markRead false: shown by the app itself (a new report followed), still counted as new.
    void selectReport(int id, bool markRead = true);
    // Inside selectReport(id, false): the selection is the app's, not the user's.
    bool selectingByApp() const { return m_keepUnread; }
    // The top-level frame row of frame i (nullptr when out of range).
    QTreeWidgetItem *frameItem(int frameIndex) const;
    QString bugReport() const;
    // Whether "Fetch from node" can work now (an SSH link is up), and its progress or error.
    void setFetchAvailable(bool on, const QString &why = {});
    void setFetchStatus(const QString &text);
    QString noticeText() const;

public Q_SLOTS:
    void copyBugReport();

Q_SIGNALS:
    // callerIndex >= 0: an inline caller row of that frame.
    void frameActivated(int reportId, int frameIndex, int callerIndex);
    void missingModules(const QStringList &modules);
    // The user picked a module file for the missing ones.
    void moduleFilePicked(const QString &path);
    // The user wants the missing modules' .ko fetched from the node.
    void moduleFetchRequested(const QStringList &modules);
    // A report became the current one (a click, the keyboard, selectReport).
    void reportSelected(int reportId);

private:
    void showReport(int id);
    void showExplanation(const KernelReport &report);

    ReportsModel *m_model;
    QTableView *m_list;
    QTreeWidget *m_frames;
    QPlainTextEdit *m_registers;
    CodeView *m_code;
    ReportActions *m_actions = nullptr;
    QLabel *m_summary;
    QLabel *m_notice;
    QLabel *m_explanation; // the fault explanation, above the frames
    QLabel *m_fetchStatus;
    QPushButton *m_fetch;
    QStringList m_missing;
    QWidget *m_noticeBox;
    QPushButton *m_copy;
    int m_reportId = -1;
    bool m_keepUnread = false;
};

} // namespace kms::gui
