// The module sections a fault address may lie in, for classifyAddress(): a live load's (the
// section addresses given to the symbolizer: `module_section`), else a load that has been
// unloaded since (Symbolizer::earlierLoads(), which the cycle runner and the node session fill
// from the loads a cycle run recorded: `previous_load`, the teardown-race signature). Section
// sizes come from the module's file when the symbolizer has it, else from the section starts.
#pragma once

#include "explain/addresskind.h"

namespace kms {

class Symbolizer;

// The symbolizer must outlive the lookup.
SectionLookup moduleSectionLookup(const Symbolizer &symbolizer);

} // namespace kms
