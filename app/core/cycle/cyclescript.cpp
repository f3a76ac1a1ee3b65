#include "cycle/cyclescript.h"

#include "link/shellquote.h"

#include <QByteArrayList>

namespace kms {

extern const char kmsCycleScriptText[]; // cyclescript_text.cpp, generated from cyclescript.sh

QByteArray cycleScriptText()
{
    return QByteArray(kmsCycleScriptText);
}

QByteArray cycleScriptText(const QString &mode)
{
    // Lines of "# @mode A B" ... "# @end" blocks only for those modes; comments and indentation
    // dropped (the script has no here-documents and no multi-line strings whose leading blanks
    // matter: the awk programs do not care).
    QByteArray out;
    bool keep = true;
    const QByteArray wanted = mode.toUtf8();
    for (const QByteArray &raw : QByteArray(kmsCycleScriptText).split('\n')) {
        const QByteArray line = raw.trimmed();
        if (line.startsWith("# @mode ")) {
            keep = line.mid(8).split(' ').contains(wanted);
            continue;
        }
        if (line == "# @end") {
            keep = true;
            continue;
        }
        if (!keep || line.isEmpty() || line.startsWith('#'))
            continue;
        out += line;
        out += '\n';
    }
    return out;
}

QStringList cycleScriptBaseArgs(const CycleRunConfig &config, const QString &runDir)
{
    QStringList args{QStringLiteral("module=") + config.module, QStringLiteral("rundir=") + runDir,
                     QStringLiteral("mark=") + (config.markKernelLog ? QLatin1Char('1') : QLatin1Char('0'))};
    if (!config.insmodPath.isEmpty())
        args << QStringLiteral("insmod=") + config.insmodPath;
    if (!config.dependents.isEmpty())
        args << QStringLiteral("deps=") + config.dependents.join(QLatin1Char(' '));
    if (!config.telemetryPath.isEmpty())
        args << QStringLiteral("tlm=") + config.telemetryPath;
    return args;
}

QByteArray cycleScriptCommand(const CycleRunConfig &config, const CycleScriptCall &call)
{
    QStringList argv;
    if (config.useSudo)
        argv << QStringLiteral("sudo") << QStringLiteral("-n");
    argv << QStringLiteral("sh") << QStringLiteral("-s") << QStringLiteral("--") << call.mode;
    argv += call.keyValues;
    if (call.withParams) {
        argv << QStringLiteral("--");
        argv += config.params;
    }
    return shellCommand(argv);
}

namespace {

bool parseHex(const QByteArray &text, quint64 *value)
{
    bool ok = false;
    *value = text.startsWith("0x") ? text.mid(2).toULongLong(&ok, 16) : text.toULongLong(&ok, 16);
    return ok;
}

// "1796593472.336450" (or with a decimal comma, from a bash in another locale).
double parseSeconds(QByteArray text)
{
    text.replace(',', '.');
    return text.toDouble();
}

QString buildIdFromNote(const QByteArray &hex)
{
    // Elf_Nhdr (namesz, descsz, type: 4 bytes each, host order: little-endian on every node
    // kmodscope knows), the name "GNU\0", then the id.
    const QByteArray bytes = QByteArray::fromHex(hex);
    if (bytes.size() < 16)
        return {};
    const auto u32 = [&bytes](int at) {
        return quint32(quint8(bytes[at])) | quint32(quint8(bytes[at + 1])) << 8 | quint32(quint8(bytes[at + 2])) << 16
            | quint32(quint8(bytes[at + 3])) << 24;
    };
    const quint32 nameSize = u32(0);
    const quint32 descSize = u32(4);
    const qsizetype descAt = 12 + ((nameSize + 3) & ~3u);
    if (descSize == 0 || descSize > 64 || quint64(descAt) + descSize > quint64(bytes.size()))
        return {};
    return QString::fromLatin1(bytes.mid(descAt, descSize).toHex());
}

} // namespace

const ScriptStep *CycleScriptOutput::step(const QString &name) const
{
    for (const ScriptStep &s : steps) {
        if (s.name == name)
            return &s;
    }
    return nullptr;
}

double CycleScriptOutput::stepMs(const QString &name) const
{
    double total = -1;
    for (const ScriptStep &s : steps) {
        if (s.name == name)
            total = qMax(total, 0.0) + (s.endS - s.startS) * 1000.0;
    }
    return total;
}

CycleScriptOutput parseCycleScriptOutput(const QByteArray &standardOutput)
{
    CycleScriptOutput out;
    CycleScriptOutput::Trace *trace = nullptr;
    for (const QByteArray &line : standardOutput.split('\n')) {
        if (!line.startsWith("@kms ")) {
            if (!line.isEmpty())
                out.otherLines.append(QString::fromUtf8(line));
            continue;
        }
        const QByteArray body = line.mid(5);
        const qsizetype space = body.indexOf(' ');
        const QByteArray key = space < 0 ? body : body.left(space);
        const QByteArray rest = space < 0 ? QByteArray() : body.mid(space + 1);
        const QByteArrayList words = rest.split(' ');
        if (key != "tl")
            trace = nullptr;
        if (key == "v") {
            out.started = true;
        } else if (key == "end") {
            out.end = QString::fromUtf8(rest.trimmed());
        } else if (key == "step" && words.size() >= 4) {
            out.steps.append(ScriptStep{
                QString::fromUtf8(words[0]), parseSeconds(words[1]), parseSeconds(words[2]), words[3].toInt(), {}});
        } else if (key == "out" && !words.isEmpty()) {
            const QString step = QString::fromUtf8(words[0]);
            const QString text = QString::fromUtf8(rest.mid(words[0].size() + 1));
            for (auto it = out.steps.rbegin(); it != out.steps.rend(); ++it) {
                if (it->name == step) {
                    it->output.append(text);
                    break;
                }
            }
        } else if (key == "state" && words.size() >= 2) {
            out.states.insert(QString::fromUtf8(words[0]), QString::fromUtf8(words[1]));
        } else if (key == "taint" && words.size() >= 2) {
            out.taint.insert(QString::fromUtf8(words[0]), words[1].toULongLong());
        } else if (key == "mem" && words.size() >= 3) {
            MemorySample &m = out.memory[QString::fromUtf8(words[0])];
            const qint64 kb = words[2].toLongLong();
            if (words[1] == "Slab")
                m.slabKb = kb;
            else if (words[1] == "SUnreclaim")
                m.unreclaimableKb = kb;
            else if (words[1] == "MemAvailable")
                m.availableKb = kb;
        } else if (key == "sec" && words.size() >= 2) {
            quint64 address = 0;
            if (parseHex(words[1], &address))
                out.load.sections.append({QString::fromUtf8(words[0]), address});
        } else if (key == "note" && words.size() >= 2 && words[0] == ".note.gnu.build-id") {
            out.load.buildId = buildIdFromNote(words[1]);
        } else if (key == "pstore") {
            out.pstoreFiles.append(QString::fromUtf8(rest));
        } else if (key == "pl") {
            out.pstoreLines.append(QString::fromUtf8(rest));
        } else if (key == "tlm") {
            out.telemetryLines.append(QString::fromUtf8(rest));
        } else if (key == "kl") {
            out.kmemleakLines.append(QString::fromUtf8(rest));
        } else if (key == "trace" && words.size() >= 2) {
            out.traces.append({QString::fromUtf8(words[0]), words[1].toInt(), {}});
            trace = &out.traces.last();
        } else if (key == "tl") {
            if (!out.traces.isEmpty()) {
                trace = &out.traces.last();
                trace->lines.append(QString::fromUtf8(rest));
            }
        } else {
            out.facts.insert(QString::fromUtf8(key), QString::fromUtf8(rest));
        }
    }
    return out;
}

QString taintLetters(quint64 mask)
{
    // kernel/panic.c taint_flags, bit by bit (P is the one whose clear form is G).
    static const char letters[] = "PFSRMBUDAWCIOELKXTN";
    QString text;
    for (int bit = 0; bit < int(sizeof letters) - 1; ++bit) {
        if (mask & (quint64(1) << bit))
            text += QLatin1Char(letters[bit]);
    }
    return text;
}

} // namespace kms
