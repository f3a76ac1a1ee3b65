// Puts the pieces of a fault explanation together: the access (accessdecoder), the kind of
// address (addresskind), and from the module's DWARF at the trapping PC the pointer variable and
// the member, or the access chain of the source line whose offset is the faulting one.
#pragma once

#include "explain/faultexplanation.h"
#include "report/kernelreport.h"

namespace kms {

class Symbolizer;

// The explanation of a report with a fault address or a general protection fault, nullopt for
// other reports. Call after the symbolizer resolved the report's frames (it reads the faulting
// frame's source line). Never fails: what cannot be told is said in error/notes.
std::optional<FaultExplanation> explainFault(const KernelReport &report, Symbolizer &symbolizer);

// The summary paragraph of an explanation (FaultExplanation::summary), for front ends that
// build one from parts (JSON read back).
QString summarize(const FaultExplanation &explanation);

} // namespace kms
