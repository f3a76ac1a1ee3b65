#include "cyclesdecoder.h"

#include "symbols/modulecatalog.h"
#include "symbols/pathmap.h"
#include "symbols/symbolizer.h"

namespace kms::gui {

struct CyclesDecoder::Built {
    // The symbolizer refers to the catalog: the catalog goes last.
    std::unique_ptr<ModuleCatalog> catalog;
    std::unique_ptr<Symbolizer> symbolizer;
    QStringList modules;
    QStringList problems;
};

CyclesDecoder::CyclesDecoder(QObject *parent)
    : QObject(parent)
{
}

CyclesDecoder::~CyclesDecoder()
{
    if (m_thread) {
        // A catalog being read cannot be interrupted; it is small next to the app's exit.
        m_thread->wait();
        delete m_thread;
    }
}

Symbolizer *CyclesDecoder::symbolizer() const
{
    return m_current ? m_current->symbolizer.get() : nullptr;
}

void CyclesDecoder::prepare(const SymbolConfig &config, const QString &module)
{
    const quint64 generation = ++m_generation;
    auto built = std::make_shared<Built>();
    QThread *thread = QThread::create([built, config, module] {
        built->catalog = std::make_unique<ModuleCatalog>();
        for (const QString &path : config.koPaths) {
            QString error;
            if (!built->catalog->addPath(path, &error))
                built->problems.append(QStringLiteral("%1: %2").arg(path, error));
        }
        PathMap map;
        for (const QString &rule : config.pathMaps) {
            const qsizetype eq = rule.indexOf(QLatin1Char('='));
            if (eq > 0)
                map.add(rule.left(eq), rule.mid(eq + 1));
        }
        built->symbolizer = std::make_unique<Symbolizer>(*built->catalog, map);
        for (const ModuleCatalog::Entry &e : built->catalog->entries())
            built->modules.append(e.name);
        // The module's DWARF is read on first use: use it here, off the GUI thread.
        Frame warm;
        warm.module = QString(module).replace(QLatin1Char('-'), QLatin1Char('_'));
        warm.function = QStringLiteral("init_module");
        warm.offset = 0;
        built->symbolizer->resolve(warm);
    });
    if (m_thread) {
        // The older build finishes on its own and deletes itself; its result is dropped.
        connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
    }
    m_thread = thread;
    connect(thread, &QThread::finished, this, [this, thread, built, generation] {
        if (generation != m_generation)
            return;
        m_thread = nullptr;
        thread->deleteLater();
        m_current = built;
        m_modules = built->modules;
        m_problems = built->problems;
        Q_EMIT ready();
    });
    thread->start(QThread::LowPriority);
}

} // namespace kms::gui
