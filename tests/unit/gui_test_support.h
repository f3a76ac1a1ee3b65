// What the GUI tests share: settings, session logs and fetched files of the test run's own (tests
// may run concurrently, and beside a user's kmodscope), text fed as a link would deliver it, and
// finding a report by its guilty function.
#pragma once

#include "log/logline.h"
#include "reportsmodel.h"

#include <QCoreApplication>
#include <QSettings>
#include <QTemporaryDir>

namespace guitest {

inline void isolate(const QTemporaryDir &dir, const QString &applicationName)
{
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.filePath(QStringLiteral("settings")));
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.filePath(QStringLiteral("settings")));
    QCoreApplication::setOrganizationName(QStringLiteral("kmodscope-tests"));
    QCoreApplication::setApplicationName(applicationName);
    QSettings().clear();
    qputenv("XDG_DATA_HOME", dir.filePath(QStringLiteral("data")).toUtf8());
    qputenv("XDG_CACHE_HOME", dir.filePath(QStringLiteral("cache")).toUtf8());
}

inline QList<kms::LogLine> asLines(const QByteArray &text, const QString &source)
{
    QList<kms::LogLine> lines;
    for (const QByteArray &l : text.split('\n'))
        lines.append({kms::hostTimeNowNs(), source, l, 0});
    return lines;
}

inline const kms::gui::ReportsModel::Entry *findReport(const kms::gui::ReportsModel *model, const QString &guilty)
{
    for (int row = 0; row < model->rowCount(); ++row) {
        const kms::gui::ReportsModel::Entry *e = model->entryAt(row);
        if (e->report.guiltyFunction == guilty)
            return e;
    }
    return nullptr;
}

inline int reportCount(const kms::gui::ReportsModel *model, const QString &guilty)
{
    int n = 0;
    for (int row = 0; row < model->rowCount(); ++row)
        n += model->entryAt(row)->report.guiltyFunction == guilty ? 1 : 0;
    return n;
}

} // namespace guitest
