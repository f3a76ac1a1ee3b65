#include "report/reportjson.h"

#include "explain/explanationjson.h"

#include <QJsonArray>

namespace kms {

QString hexString(std::uint64_t value)
{
    return QStringLiteral("0x") + QString::number(value, 16);
}

namespace {

QJsonValue hexOrNull(const std::optional<std::uint64_t> &value)
{
    return value ? QJsonValue(hexString(*value)) : QJsonValue(QJsonValue::Null);
}

QJsonValue intOrNull(const std::optional<std::uint64_t> &value)
{
    return value ? QJsonValue(static_cast<qint64>(*value)) : QJsonValue(QJsonValue::Null);
}

QJsonValue intOrNull(const std::optional<int> &value)
{
    return value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null);
}

QJsonValue stringOrNull(const QString &value)
{
    return value.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(value);
}

QJsonValue positiveOrNull(int value)
{
    return value > 0 ? QJsonValue(value) : QJsonValue(QJsonValue::Null);
}

std::optional<std::uint64_t> parseHex(const QJsonValue &value)
{
    if (!value.isString())
        return std::nullopt;
    bool ok = false;
    const std::uint64_t v = value.toString().toULongLong(&ok, 0);
    return ok ? std::optional(v) : std::nullopt;
}

std::optional<std::uint64_t> parseUnsigned(const QJsonValue &value)
{
    if (!value.isDouble())
        return std::nullopt;
    return static_cast<std::uint64_t>(value.toInteger());
}

std::optional<int> parseInt(const QJsonValue &value)
{
    if (!value.isDouble())
        return std::nullopt;
    return value.toInt();
}

QJsonObject codeToJson(const CodeBytes &code)
{
    QJsonArray disassembly;
    for (const DisassembledInstruction &insn : code.disassembly) {
        QJsonObject o{
            {QStringLiteral("address"), hexString(insn.address)},
            {QStringLiteral("text"), insn.text},
            {QStringLiteral("trapping"), insn.trapping},
        };
        if (insn.beforeFunction)
            o.insert(QStringLiteral("before_function"), true);
        disassembly.append(o);
    }
    return QJsonObject{
        {QStringLiteral("bytes"), QString::fromLatin1(code.bytes.toHex(' '))},
        {QStringLiteral("trap_index"), code.trapIndex >= 0 ? QJsonValue(code.trapIndex) : QJsonValue()},
        {QStringLiteral("function_start"), code.functionStart >= 0 ? QJsonValue(code.functionStart) : QJsonValue()},
        {QStringLiteral("thumb"), code.thumb},
        {QStringLiteral("disassembly"), disassembly},
        {QStringLiteral("error"), stringOrNull(code.error)},
    };
}

CodeBytes codeFromJson(const QJsonObject &object)
{
    CodeBytes code;
    code.bytes = QByteArray::fromHex(object.value(QStringLiteral("bytes")).toString().toLatin1());
    code.trapIndex = object.value(QStringLiteral("trap_index")).toInt(-1);
    code.thumb = object.value(QStringLiteral("thumb")).toBool();
    code.functionStart = object.value(QStringLiteral("function_start")).toInt(-1);
    code.error = object.value(QStringLiteral("error")).toString();
    const QJsonArray disassembly = object.value(QStringLiteral("disassembly")).toArray();
    for (const QJsonValue &v : disassembly) {
        const QJsonObject o = v.toObject();
        code.disassembly.append(
            {parseHex(o.value(QStringLiteral("address"))).value_or(0), o.value(QStringLiteral("text")).toString(),
             o.value(QStringLiteral("trapping")).toBool(), o.value(QStringLiteral("before_function")).toBool()});
    }
    return code;
}

Frame frameFromJson(const QJsonObject &o)
{
    Frame f;
    f.function = o.value(QStringLiteral("function")).toString();
    f.offset = parseUnsigned(o.value(QStringLiteral("offset")));
    f.size = parseUnsigned(o.value(QStringLiteral("size")));
    f.module = o.value(QStringLiteral("module")).toString();
    f.buildId = o.value(QStringLiteral("build_id")).toString();
    f.address = parseHex(o.value(QStringLiteral("address")));
    f.reliable = o.value(QStringLiteral("reliable")).toBool(true);
    f.exactPc = o.value(QStringLiteral("exact_pc")).toBool();
    const QString context = o.value(QStringLiteral("context")).toString();
    for (FrameContext c : {FrameContext::Task, FrameContext::Irq, FrameContext::SoftIrq, FrameContext::Nmi}) {
        if (toString(c) == context)
            f.context = c;
    }
    f.inputLine = o.value(QStringLiteral("input_line")).toInt();
    f.file = o.value(QStringLiteral("file")).toString();
    f.line = o.value(QStringLiteral("line")).toInt();
    f.column = o.value(QStringLiteral("column")).toInt();
    f.sourceExists = o.value(QStringLiteral("source_exists")).toBool();
    f.inlinedFunction = o.value(QStringLiteral("inlined_function")).toString();
    f.error = o.value(QStringLiteral("error")).toString();
    const QJsonArray inlined = o.value(QStringLiteral("inlined_by")).toArray();
    for (const QJsonValue &v : inlined) {
        const QJsonObject i = v.toObject();
        f.inlinedBy.append({i.value(QStringLiteral("function")).toString(), i.value(QStringLiteral("file")).toString(),
                            i.value(QStringLiteral("line")).toInt(), i.value(QStringLiteral("column")).toInt(),
                            QString()});
    }
    return f;
}

} // namespace

QJsonObject toJson(const Frame &frame)
{
    QJsonArray inlinedBy;
    for (const InlineCaller &caller : frame.inlinedBy) {
        inlinedBy.append(QJsonObject{
            {QStringLiteral("function"), caller.function},
            {QStringLiteral("file"), stringOrNull(caller.file)},
            {QStringLiteral("line"), positiveOrNull(caller.line)},
            {QStringLiteral("column"), positiveOrNull(caller.column)},
        });
    }
    return QJsonObject{
        {QStringLiteral("function"), stringOrNull(frame.function)},
        {QStringLiteral("offset"), intOrNull(frame.offset)},
        {QStringLiteral("size"), intOrNull(frame.size)},
        {QStringLiteral("module"), stringOrNull(frame.module)},
        {QStringLiteral("build_id"), stringOrNull(frame.buildId)},
        {QStringLiteral("address"), hexOrNull(frame.address)},
        {QStringLiteral("reliable"), frame.reliable},
        {QStringLiteral("exact_pc"), frame.exactPc},
        {QStringLiteral("context"), stringOrNull(toString(frame.context))},
        {QStringLiteral("input_line"), positiveOrNull(frame.inputLine)},
        {QStringLiteral("file"), stringOrNull(frame.file)},
        {QStringLiteral("line"), positiveOrNull(frame.line)},
        {QStringLiteral("column"), positiveOrNull(frame.column)},
        {QStringLiteral("source_exists"), frame.file.isEmpty() ? QJsonValue() : QJsonValue(frame.sourceExists)},
        {QStringLiteral("inlined_function"), stringOrNull(frame.inlinedFunction)},
        {QStringLiteral("inlined_by"), inlinedBy},
        {QStringLiteral("error"), stringOrNull(frame.error)},
    };
}

QJsonObject toJson(const KernelReport &report)
{
    QJsonObject registers;
    for (const Register &reg : report.registers)
        registers.insert(reg.name, hexString(reg.value));
    QJsonArray frames;
    for (const Frame &frame : report.frames)
        frames.append(toJson(frame));
    QJsonArray registerFrames;
    for (const Frame &frame : report.registerFrames) {
        QJsonObject o = toJson(frame);
        o.insert(QStringLiteral("register"), frame.registerName);
        registerFrames.append(o);
    }
    QJsonObject out{
        {QStringLiteral("kind"), toString(report.kind)},
        {QStringLiteral("title"), report.title},
        {QStringLiteral("guilty_function"), stringOrNull(report.guiltyFunction)},
        {QStringLiteral("guilty_module"), stringOrNull(report.guiltyModule)},
        {QStringLiteral("arch"), toString(report.arch)},
        {QStringLiteral("panicked"), report.panicked},
        {QStringLiteral("corrupted"), report.corrupted},
        {QStringLiteral("first_line"), report.firstLine},
        {QStringLiteral("last_line"), report.lastLine},
        {QStringLiteral("fault_address"), hexOrNull(report.faultAddress)},
        {QStringLiteral("cpu"), intOrNull(report.cpu)},
        {QStringLiteral("pid"), intOrNull(report.pid)},
        {QStringLiteral("comm"), stringOrNull(report.comm)},
        {QStringLiteral("taint"), stringOrNull(report.taint)},
        {QStringLiteral("kernel_release"), stringOrNull(report.kernelRelease)},
        {QStringLiteral("modules"), QJsonArray::fromStringList(report.modules)},
        {QStringLiteral("registers"), registers},
        {QStringLiteral("code"), report.code ? QJsonValue(codeToJson(*report.code)) : QJsonValue()},
        {QStringLiteral("frames"), frames},
        {QStringLiteral("source"), stringOrNull(report.source)},
        {QStringLiteral("explanation"), report.explanation ? QJsonValue(toJson(*report.explanation)) : QJsonValue()},
    };
    out.insert(QStringLiteral("interleaved"), report.interleaved);
    out.insert(QStringLiteral("register_frames"), registerFrames);
    out.insert(QStringLiteral("register_info"), QJsonArray::fromStringList(report.registerInfo));
    return out;
}

KernelReport reportFromJson(const QJsonObject &o)
{
    KernelReport r;
    r.kind = reportKindFromString(o.value(QStringLiteral("kind")).toString()).value_or(ReportKind::Other);
    r.title = o.value(QStringLiteral("title")).toString();
    r.guiltyFunction = o.value(QStringLiteral("guilty_function")).toString();
    r.guiltyModule = o.value(QStringLiteral("guilty_module")).toString();
    r.arch = archFromString(o.value(QStringLiteral("arch")).toString()).value_or(Arch::Unknown);
    r.panicked = o.value(QStringLiteral("panicked")).toBool();
    r.corrupted = o.value(QStringLiteral("corrupted")).toBool();
    r.firstLine = o.value(QStringLiteral("first_line")).toInt();
    r.lastLine = o.value(QStringLiteral("last_line")).toInt();
    r.faultAddress = parseHex(o.value(QStringLiteral("fault_address")));
    r.cpu = parseInt(o.value(QStringLiteral("cpu")));
    r.pid = parseInt(o.value(QStringLiteral("pid")));
    r.comm = o.value(QStringLiteral("comm")).toString();
    r.taint = o.value(QStringLiteral("taint")).toString();
    r.kernelRelease = o.value(QStringLiteral("kernel_release")).toString();
    for (const QJsonValue &m : o.value(QStringLiteral("modules")).toArray())
        r.modules.append(m.toString());
    const QJsonObject registers = o.value(QStringLiteral("registers")).toObject();
    for (auto it = registers.begin(); it != registers.end(); ++it)
        r.registers.append({it.key(), parseHex(it.value()).value_or(0)});
    if (o.value(QStringLiteral("code")).isObject())
        r.code = codeFromJson(o.value(QStringLiteral("code")).toObject());
    for (const QJsonValue &f : o.value(QStringLiteral("frames")).toArray())
        r.frames.append(frameFromJson(f.toObject()));
    r.interleaved = o.value(QStringLiteral("interleaved")).toBool();
    for (const QJsonValue &f : o.value(QStringLiteral("register_frames")).toArray()) {
        Frame frame = frameFromJson(f.toObject());
        frame.registerName = f.toObject().value(QStringLiteral("register")).toString();
        r.registerFrames.append(frame);
    }
    for (const QJsonValue &l : o.value(QStringLiteral("register_info")).toArray())
        r.registerInfo.append(l.toString());
    r.source = o.value(QStringLiteral("source")).toString();
    if (o.value(QStringLiteral("explanation")).isObject())
        r.explanation = explanationFromJson(o.value(QStringLiteral("explanation")).toObject());
    return r;
}

} // namespace kms
