// "One click to the line": a new report is selected, its frames shown and the source opened at its
// guilty module frame, unless the user is busy elsewhere. Busy means a report or a frame picked by
// hand in the last few seconds (someone reading an older report is not yanked away); "Follow
// newest report" on follows every new report regardless.
#pragma once

#include "report/kernelreport.h"

#include <QElapsedTimer>
#include <QObject>

namespace kms::gui {

class ReportsModel;
class ReportsView;

class ReportFollower : public QObject
{
    Q_OBJECT
public:
    // A hand-made selection younger than this keeps the view where the user put it.
    static constexpr int busyMs = 5000;

    ReportFollower(ReportsModel *model, ReportsView *view, QObject *parent = nullptr);

    bool followNewest() const { return m_always; }
    void setFollowNewest(bool on) { m_always = on; }
    // The frame whose source answers "where did it go wrong": the guilty function's frame in a
    // module, else the first reliable module frame with a source line, else the first frame with
    // one. -1 when no frame has a line.
    static int guiltyFrame(const KernelReport &report);

    // Called by the window: a report was detected / resolved (after the models have it).
    void reportDetected(int id);
    void reportResolved(int id);

Q_SIGNALS:
    // Open this frame's source (the window's "frame activated" path).
    void openFrame(int reportId, int frameIndex);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    bool userBusy() const;

    ReportsModel *m_model;
    ReportsView *m_view;
    bool m_always = false;
    bool m_selecting = false; // our own selectReport: not the user's
    QElapsedTimer m_lastManual; // invalid: never
    int m_pending = -1; // selected by us, its source to open once resolved
};

} // namespace kms::gui
