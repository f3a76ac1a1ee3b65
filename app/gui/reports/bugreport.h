// "Copy as bug report": a resolved report as Markdown (summary, decoded trace, a source excerpt
// around each module frame, registers, kernel release), ready for a mailing list or a tracker.
#pragma once

#include "report/kernelreport.h"

namespace kms::gui {

// Lines of context either side of each frame's line in the source excerpts.
QString bugReportMarkdown(const KernelReport &report, int excerptContext = 3);
// The lines [line-context, line+context] of file, numbered, the line itself marked with '>'.
QString sourceExcerpt(const QString &file, int line, int context);

} // namespace kms::gui
