// The messages printed before a report's "WARNING:" or "kernel BUG at" line (WARN(),
// CHECK_DATA_CORRUPTION(), pr_emerg() then BUG()): they name what went wrong, the line after
// them only where. The report starts at the message and the WARNING/BUG line joins it.
#include "report/markerparts.h"

#include "report/bytes.h"

namespace kms::markerparts {

using namespace kms::bytes;

// lib/debugobjects.c debug_print_object(): "ODEBUG: free active (active state 0) object type:
// timer_list hint: foo+0x0/0x40 [mod]" (4.x), with "object: 0000000012345678 " before
// "object type" since 5.x; debug_object_is_on_stack(): "ODEBUG: object 000000 is on stack
// 0000000, but NOT annotated.". Not "ODEBUG: selftest passed" or "ODEBUG: 42 of 42 active
// objects replaced".
std::optional<ReportStart> classifyOdebug(QByteArrayView rest)
{
    const qsizetype state = rest.indexOf(" (active state ");
    if (state > 0) {
        QByteArray what = QByteArray("ODEBUG: ") + rest.first(state).toByteArray();
        bool found = false;
        QByteArrayView type = after(rest, "object type: ", &found);
        if (found) {
            const qsizetype sp = type.indexOf(' ');
            what += ' ' + (sp < 0 ? type : type.first(sp)).toByteArray();
        }
        ReportStart s = message(ReportKind::Odebug, what);
        s.headlineSymbol = symbolAfter(rest, "hint: ");
        return s;
    }
    if (startsWith(rest, "object ") && contains(rest, "on stack")) {
        const bool notOn = contains(rest, " is NOT on stack");
        return message(ReportKind::Odebug,
                       notOn ? "ODEBUG: object is NOT on stack, but annotated"
                             : "ODEBUG: object is on stack, but NOT annotated");
    }
    return std::nullopt;
}

// lib/refcount.c refcount_warn_saturate() (5.x-6.x) and refcount_*_checked() (4.11-5.4):
// "refcount_t: underflow; use-after-free.", "refcount_t: saturated; leaking memory.",
// "refcount_t: addition on 0; use-after-free.", "refcount_t: decrement hit 0; leaking memory.",
// "refcount_t: increment on 0; use-after-free."; x86's fast refcount (4.13-5.4):
// "refcount_t overflow at foo+0x1/0x2 in insmod[123], uid/euid: 0/0".
std::optional<ReportStart> classifyRefcount(QByteArrayView t)
{
    // Every refcount_t message names the event and its consequence: "underflow; use-after-free".
    if (startsWith(t, "refcount_t: ") && contains(t, "; ")) {
        QByteArrayView what = trimmed(t);
        while (what.endsWith('.'))
            what.chop(1);
        return message(ReportKind::Refcount, stableMessage(what));
    }
    if (startsWith(t, "refcount_t overflow at ") || startsWith(t, "refcount_t underflow at ")) {
        ReportStart s = message(ReportKind::Refcount, t.first(t.indexOf(" at ")));
        const qsizetype in = t.indexOf(" in ", 20);
        s.headlineSymbol = symbolAfter(in > 0 ? t.first(in) : t, " at ");
        return s;
    }
    return std::nullopt;
}

// mm/usercopy.c usercopy_abort(), then BUG(): "usercopy: Kernel memory exposure attempt
// detected from SLUB object 'kmalloc-64' (offset 0, size 128)!" (4.16+), "usercopy: kernel
// memory overwrite attempt detected to ffff8800 (kmalloc-64) (128 bytes)" (4.8-4.15); with
// a whitelist usercopy_warn() WARN()s the same words. What was copied and where varies with
// the object: the title keeps the direction.
std::optional<ReportStart> classifyUsercopy(QByteArrayView t)
{
    QByteArrayView rest = t.sliced(10); // after "usercopy: "
    if (!(startsWith(rest, "Kernel memory ") || startsWith(rest, "kernel memory ")))
        return std::nullopt;
    const qsizetype attempt = rest.indexOf(" attempt detected");
    if (attempt < 0)
        return std::nullopt;
    QByteArray what = "usercopy: kernel memory " + rest.sliced(14, attempt - 14).toByteArray() + " attempt detected";
    return message(ReportKind::Bug, what);
}

std::optional<ReportStart> classifyFortify(QByteArrayView t)
{
    // lib/string_helpers.c fortify_panic() (4.13-6.7, lib/string.c before 5.x): pr_emerg()
    // then BUG(): "detected buffer overflow in strcpy".
    if (startsWith(t, "detected buffer overflow in ") && trimmed(t.sliced(28)).indexOf(' ') < 0)
        return message(ReportKind::Bug, "fortify: detected buffer overflow");
    // lib/string_helpers.c __fortify_report(): WARN(1, "%s: detected buffer %s overflow") (6.8),
    // "%s: detected buffer overflow: %zu byte %s of buffer size %zu" (6.9+);
    // include/linux/fortify-string.h fortify_memcpy_chk()
    // (6.1+): WARN_ONCE(..., "memcpy: detected field-spanning write (size %zu) of single %s").
    const qsizetype colon = t.indexOf(": detected ");
    if (colon <= 0 || colon > 16)
        return std::nullopt;
    for (char c : t.first(colon)) {
        if (!(isAlpha(c) || isDigit(c) || c == '_'))
            return std::nullopt;
    }
    const QByteArrayView rest = t.sliced(colon + 2);
    if ((startsWith(rest, "detected buffer overflow: ") && rest.size() > 26 && isDigit(rest[26]))
        || startsWith(rest, "detected buffer write overflow") || startsWith(rest, "detected buffer read overflow"))
        return message(ReportKind::Bug, "fortify: detected buffer overflow");
    if (startsWith(rest, "detected field-spanning write (size "))
        return message(ReportKind::Warning, "fortify: detected field-spanning write");
    return std::nullopt;
}

// mm/slab_common.c kmem_cache_destroy() at a module's unload with objects still allocated:
// "kmem_cache_destroy prudaq_desc: Slab cache still has objects when called from
// prudaq_exit+0x2c/0x1000 [prudaq]", then dump_stack() (4.x-5.x) or as the WARN() message (6.x).
// The cache's name varies; the function that destroyed it is named.
std::optional<ReportStart> classifySlabDestroy(QByteArrayView t)
{
    if (!contains(t, ": Slab cache still has objects"))
        return std::nullopt;
    ReportStart s = message(ReportKind::Bug, "kmem_cache_destroy: Slab cache still has objects");
    s.headlineSymbol = symbolAfter(t, " called from ");
    return s;
}

} // namespace kms::markerparts
