#include "demohunt.h"

#include "hunt/huntsetup.h"
#include "huntform.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QLineEdit>
#include <QSpinBox>

namespace kms::gui::demohunt {

using namespace kms::hunt;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("DemoHunt", text);
}

} // namespace

void fillForm(HuntForm *form, int cyclesPerCell)
{
    form->moduleEdit()->setText(QStringLiteral("prudaq"));
    form->paramsEdit()->clear();
    form->insmodEdit()->clear();
    form->settleEdit()->setText(QStringLiteral("0,20"));
    form->varyParamsEdit()->setText(QStringLiteral("fault=none,unload_race"));
    for (BackgroundLoad l : {BackgroundLoad::None, BackgroundLoad::Cpu, BackgroundLoad::Irq})
        form->loadBox(l)->setChecked(l == BackgroundLoad::None);
    form->readerBox(false)->setChecked(true);
    form->readerBox(true)->setChecked(false);
    form->cyclesSpin()->setValue(cyclesPerCell);
    form->crashesSpin()->setValue(1);
    form->batchSpin()->setValue(cyclesPerCell);
    form->budgetEdit()->clear();
    form->orderBox()->setCurrentIndex(form->orderBox()->findData(QStringLiteral("grid")));
    form->compareBox()->setCurrentIndex(int(HuntForm::CompareMode::Off));
    form->returnTimeoutSpin()->setValue(180); // a reboot of the node under TCG
}

QString conditionsText(const CellResult &cell)
{
    QStringList parts;
    if (!cell.build.isEmpty())
        parts << tr("build %1").arg(cell.build.toUpper());
    parts << tr("settle %1 ms").arg(cell.conditions.settleMs);
    if (!cell.conditions.params.isEmpty())
        parts << formatModuleParams(cell.conditions.params);
    if (cell.conditions.load != BackgroundLoad::None)
        parts << tr("load %1").arg(loadName(cell.conditions.load));
    return parts.join(QStringLiteral(", "));
}

QString rateText(const CellResult &cell)
{
    if (cell.cycles == 0)
        return tr("not run yet");
    const Interval ci = cell.interval();
    QString text = tr("%1/%2 crashed").arg(cell.crashes).arg(cell.cycles);
    if (cell.crashes == 0)
        return text + tr(", rate below %1 at 95%").arg(formatPercent(ci.high));
    return text
        + tr(", rate %1 (95% CI %2-%3)").arg(formatPercent(cell.rate()), formatPercent(ci.low), formatPercent(ci.high));
}

QStringList summary(const HuntResult &result)
{
    QStringList lines;
    lines << tr("hunt: %1 cycles in %2 s (%3)")
                 .arg(result.totalCycles)
                 .arg(result.wallMs / 1000.0, 0, 'f', 1)
                 .arg(endReasonName(result.ended));
    for (qsizetype i = 0; i < result.cells.size(); ++i)
        lines
            << tr("hunt: cell %1 (%2): %3").arg(i + 1).arg(conditionsText(result.cells[i]), rateText(result.cells[i]));
    if (result.best)
        lines << tr("hunt: best reproducer, on the node: %1").arg(result.best->nodeCommand);
    return lines;
}

} // namespace kms::gui::demohunt
