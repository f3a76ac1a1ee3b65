#include "explain/explanationjson.h"

#include <QJsonArray>

namespace kms {

namespace {

QJsonValue hex(std::optional<std::uint64_t> v)
{
    return v ? QJsonValue(QStringLiteral("0x") + QString::number(*v, 16)) : QJsonValue();
}

QJsonValue signedHex(std::int64_t v)
{
    return v < 0 ? QStringLiteral("-0x") + QString::number(0 - std::uint64_t(v), 16)
                 : QStringLiteral("0x") + QString::number(std::uint64_t(v), 16);
}

QJsonValue text(const QString &s)
{
    return s.isEmpty() ? QJsonValue() : QJsonValue(s);
}

std::optional<std::uint64_t> unhex(const QJsonValue &v)
{
    if (!v.isString())
        return std::nullopt;
    bool ok = false;
    const std::uint64_t x = v.toString().toULongLong(&ok, 0);
    return ok ? std::optional(x) : std::nullopt;
}

std::int64_t unsignedHexToSigned(const QString &text)
{
    const bool negative = text.startsWith(QLatin1Char('-'));
    const std::uint64_t v = text.mid(negative ? 1 : 0).toULongLong(nullptr, 0);
    return std::int64_t(negative ? 0 - v : v);
}

} // namespace

QJsonObject toJson(const FaultExplanation &e)
{
    QJsonValue access;
    if (e.access) {
        const MemoryAccess &a = *e.access;
        access = QJsonObject{
            {QStringLiteral("instruction"), a.instruction},
            {QStringLiteral("base"), text(a.base)},
            {QStringLiteral("base_value"), hex(a.baseValue)},
            {QStringLiteral("index"), text(a.index)},
            {QStringLiteral("index_value"), hex(a.indexValue)},
            {QStringLiteral("scale"), a.scale},
            {QStringLiteral("displacement"), signedHex(a.displacement)},
            {QStringLiteral("size"), a.size > 0 ? QJsonValue(a.size) : QJsonValue()},
            {QStringLiteral("write"), a.write},
            {QStringLiteral("address"), hex(a.address)},
            {QStringLiteral("expression"), a.expression},
            {QStringLiteral("matches_fault_address"), a.matchesFault ? QJsonValue(*a.matchesFault) : QJsonValue()},
        };
    }
    QJsonArray address;
    for (const AddressReading &r : e.address)
        address.append(QJsonObject{{QStringLiteral("kind"), r.kind},
                                   {QStringLiteral("base"), hex(r.base)},
                                   {QStringLiteral("offset"), signedHex(r.offset)},
                                   {QStringLiteral("text"), r.text}});
    QJsonValue pointer;
    if (e.pointer)
        pointer = QJsonObject{{QStringLiteral("expression"), e.pointer->expression},
                              {QStringLiteral("kind"), e.pointer->kind},
                              {QStringLiteral("type"), e.pointer->type},
                              {QStringLiteral("value"), hex(e.pointer->value)}};
    QJsonValue member;
    if (e.member)
        member = QJsonObject{
            {QStringLiteral("chain"), e.member->chain},
            {QStringLiteral("type"), e.member->type},
            {QStringLiteral("offset"), hex(e.member->offset)},
            {QStringLiteral("size"), e.member->size},
            {QStringLiteral("bit_offset"), e.member->bitSize > 0 ? QJsonValue(e.member->bitOffset) : QJsonValue()},
            {QStringLiteral("bit_size"), e.member->bitSize > 0 ? QJsonValue(e.member->bitSize) : QJsonValue()},
        };
    return QJsonObject{
        {QStringLiteral("summary"), e.summary},
        {QStringLiteral("error"), text(e.error)},
        {QStringLiteral("access"), access},
        {QStringLiteral("address"), address},
        {QStringLiteral("pointer"), pointer},
        {QStringLiteral("member"), member},
        {QStringLiteral("source_line"), text(e.sourceLine)},
        {QStringLiteral("confidence"), text(e.confidence)},
        {QStringLiteral("notes"), QJsonArray::fromStringList(e.notes)},
    };
}

FaultExplanation explanationFromJson(const QJsonObject &o)
{
    FaultExplanation e;
    e.summary = o.value(QStringLiteral("summary")).toString();
    e.error = o.value(QStringLiteral("error")).toString();
    if (o.value(QStringLiteral("access")).isObject()) {
        const QJsonObject a = o.value(QStringLiteral("access")).toObject();
        MemoryAccess m;
        m.instruction = a.value(QStringLiteral("instruction")).toString();
        m.base = a.value(QStringLiteral("base")).toString();
        m.baseValue = unhex(a.value(QStringLiteral("base_value")));
        m.index = a.value(QStringLiteral("index")).toString();
        m.indexValue = unhex(a.value(QStringLiteral("index_value")));
        m.scale = a.value(QStringLiteral("scale")).toInt(1);
        m.displacement = unsignedHexToSigned(a.value(QStringLiteral("displacement")).toString());
        m.size = a.value(QStringLiteral("size")).toInt();
        m.write = a.value(QStringLiteral("write")).toBool();
        m.address = unhex(a.value(QStringLiteral("address")));
        m.expression = a.value(QStringLiteral("expression")).toString();
        if (a.value(QStringLiteral("matches_fault_address")).isBool())
            m.matchesFault = a.value(QStringLiteral("matches_fault_address")).toBool();
        e.access = m;
    }
    for (const QJsonValue &v : o.value(QStringLiteral("address")).toArray()) {
        const QJsonObject r = v.toObject();
        e.address.append({r.value(QStringLiteral("kind")).toString(),
                          unhex(r.value(QStringLiteral("base"))).value_or(0),
                          unsignedHexToSigned(r.value(QStringLiteral("offset")).toString()),
                          r.value(QStringLiteral("text")).toString()});
    }
    if (o.value(QStringLiteral("pointer")).isObject()) {
        const QJsonObject p = o.value(QStringLiteral("pointer")).toObject();
        e.pointer
            = PointerInfo{p.value(QStringLiteral("expression")).toString(), p.value(QStringLiteral("kind")).toString(),
                          p.value(QStringLiteral("type")).toString(), unhex(p.value(QStringLiteral("value")))};
    }
    if (o.value(QStringLiteral("member")).isObject()) {
        const QJsonObject m = o.value(QStringLiteral("member")).toObject();
        MemberInfo info;
        info.chain = m.value(QStringLiteral("chain")).toString();
        info.type = m.value(QStringLiteral("type")).toString();
        info.offset = unhex(m.value(QStringLiteral("offset"))).value_or(0);
        info.size = m.value(QStringLiteral("size")).toInt();
        info.bitOffset = m.value(QStringLiteral("bit_offset")).toInt(-1);
        info.bitSize = m.value(QStringLiteral("bit_size")).toInt();
        e.member = info;
    }
    e.sourceLine = o.value(QStringLiteral("source_line")).toString();
    e.confidence = o.value(QStringLiteral("confidence")).toString();
    for (const QJsonValue &n : o.value(QStringLiteral("notes")).toArray())
        e.notes.append(n.toString());
    return e;
}

} // namespace kms
