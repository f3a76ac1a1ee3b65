// The GUI tests' way to a decoded report of the fixture module (kmsfixture): its oops as the
// kernel prints it (make-oops.py), and a main window that connects to nothing and symbolizes
// with the fixture's .ko.
#pragma once

#include "mainwindow.h"
#include "reportsmodel.h"
#include "tst_symbols_helpers.h"

#include <QTest>

namespace guitest {

// The fixture's oops with `frames` call-trace frames; empty, with a warning, when make-oops.py failed.
inline QByteArray fixtureOops(const QString &ko, int frames)
{
    const symtest::RunResult r
        = symtest::run(QStringLiteral("python3"),
                       {QStringLiteral(KMS_SOURCE_DIR "/tests/fixtures/kmsfixture/make-oops.py"), ko,
                        QStringLiteral("x86_64"), QStringLiteral("--frames"), QString::number(frames)});
    if (!r.ok)
        qWarning("make-oops.py: %s", qPrintable(r.error));
    return r.out;
}

// A window with no link (lines are fed to it), the module `ko` given as on the command line.
inline kms::gui::StartOptions offlineOptions(const QString &ko = {})
{
    kms::gui::StartOptions options;
    options.connect = false;
    if (!ko.isEmpty())
        options.koPaths = {ko};
    return options;
}

// Waits up to 30 s for the window's first report to be resolved; its id, -1 when none was.
inline int firstResolvedReport(const kms::gui::MainWindow &w)
{
    const kms::gui::ReportsModel *m = w.reportsModel();
    [&] {
        QTRY_VERIFY_WITH_TIMEOUT(m->rowCount() > 0 && m->entryAt(0)->resolved, 30000);
    }();
    return m->rowCount() > 0 ? m->entryAt(0)->id : -1;
}

} // namespace guitest
