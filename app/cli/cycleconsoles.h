// The consoles `cycle` watches while it runs: the serial console and `dmesg -w` over the same
// SshLink the cycles use, each with its own report detector, one report for a copy printed on
// both, handed to the CycleRunner. (The same wiring NodeSession owns for the GUI and `watch`.)
#pragma once

#include "link/seriallink.h"
#include "link/sshlink.h"
#include "log/dmesgreplay.h"
#include "report/duplicatereports.h"
#include "report/reportdetector.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <memory>
#include <vector>

namespace kms {
class CycleRunner;
}

namespace kms::cli {

class CycleConsoles : public QObject
{
public:
    CycleConsoles(CycleRunner *runner, SshLink *ssh);
    ~CycleConsoles() override;
    void addSerial(const SerialSettings &settings);
    void followDmesg();
    // Open reports are handed over (end of the run).
    void flush();

private:
    struct Source {
        std::unique_ptr<ReportDetector> detector;
        QTimer idle;
        DmesgReplayFilter replay;
        QString name;
    };
    Source &addSource(const QString &name);
    void feed(Source &source, const QList<LogLine> &lines, bool replayFilter);
    void report(KernelReport &&report);

    CycleRunner *m_runner;
    SshLink *m_ssh;
    std::unique_ptr<SerialLink> m_serial;
    std::vector<std::unique_ptr<Source>> m_sources;
    DuplicateReports m_duplicates;
    QElapsedTimer m_clock;
    int m_lastId = 0;
};

} // namespace kms::cli
