// Internal to explain/: reading variables and type layouts from a module's DWARF (libdw) at a
// program counter. Offsets and bitfields as pahole and gdb's `ptype /o` print them.
#pragma once

#include "report/kernelreport.h"

#include <QList>
#include <QString>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <optional>

namespace kms::dwarf {

// Through typedefs and const/volatile/restrict/atomic qualifiers.
Dwarf_Die strip(Dwarf_Die type);
// The type a DIE (variable, member, pointer...) names, following abstract origins.
std::optional<Dwarf_Die> typeOf(Dwarf_Die *die);
// C spelling, as gdb's ptype prints it: "struct prudaq_shm *", "u32", "u8[28]".
QString typeName(Dwarf_Die *type);
std::optional<std::uint64_t> byteSize(Dwarf_Die *type);
// The pointed-to type of a pointer (after strip()); nullopt when not a pointer (or void *).
std::optional<Dwarf_Die> pointee(Dwarf_Die *type);
bool isAggregate(Dwarf_Die *type); // struct, union or class (after strip())

struct Layout {
    QString path; // "cfg.limits.high", "samples[7]"
    std::uint64_t offset = 0; // bytes from the start of the outer object
    std::uint64_t size = 0; // bytes covered (bitfields: the bytes their bits touch)
    int bitOffset = -1; // bitfields: bit position in the byte at `offset`, else -1
    int bitSize = 0;
    Dwarf_Die type{};
};

// The named member of a struct/union (anonymous struct and union members are looked through).
std::optional<Layout> member(Dwarf_Die *aggregate, const QString &name);
// The innermost members (leaves) of `type` covering byte `offset`, descending into nested
// structs, unions and arrays; several for unions and bitfields sharing a byte. Empty when the
// offset is in padding or outside the type.
QList<Layout> membersAt(Dwarf_Die *type, std::uint64_t offset);

struct Variable {
    QString name;
    bool parameter = false;
    Dwarf_Die type{};
    std::int64_t registerPlus = 0; // the variable is the register's value plus this
};

// The scopes (innermost first) at a PC of a module: variables by location and by name.
class Scope
{
public:
    Scope(Dwfl_Module *module, Dwarf_Addr address);
    ~Scope() = default;
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

    bool valid() const { return !m_scopes.isEmpty(); }
    // Variables and parameters whose value at the PC is DWARF register `reg` (plus a constant),
    // exact ones first.
    QList<Variable> inRegister(int reg) const;
    // The variable, parameter or CU-level global of that name visible at the PC.
    std::optional<Variable> named(const QString &name) const;

private:
    Dwarf_Die m_cu{};
    QList<Dwarf_Die> m_scopes; // innermost first, the CU excluded
    Dwarf_Addr m_pc = 0;
};

// The DWARF register number of a register as the report names it; -1 when unknown.
int registerNumber(Arch arch, const QString &reportName);

} // namespace kms::dwarf
