// The Demo menu's short hunt, run by the window's own Hunt dock: the settings it puts in the
// Hunt dock's form (prudaq's fault=none against fault=unload_race at two settle times, a few
// cycles a cell, one crash ends a cell: each costs a reboot of the node), and the lines it leaves
// in the console when the hunt ends (source "hunt", events: never taken for kernel output, kept
// in the session log), as the CLI prints them.
#pragma once

#include "hunt/hunt.h"

#include <QStringList>

namespace kms::gui {

class HuntForm;

namespace demohunt {

// Fills the form as a user would for the demo's 2x2 grid, in grid order (the clean cells of a
// settle time first).
void fillForm(HuntForm *form, int cyclesPerCell = 4);

// "settle 0 ms, fault=none" and "1/4 crashed, 25% (95% CI 4.6-70%)".
QString conditionsText(const kms::hunt::CellResult &cell);
QString rateText(const kms::hunt::CellResult &cell);
// The hunt's grid as console lines: the total, one line a cell, the best reproducer.
QStringList summary(const kms::hunt::HuntResult &result);

} // namespace demohunt
} // namespace kms::gui
