// The modules and symbolizer a cycle run resolves its reports and leak sites with. Reading the
// .ko paths (directories are searched) and the module's DWARF takes a while: it is done in a
// thread of its own before the run starts, never on the GUI thread.
#pragma once

#include "node/reportengine.h" // SymbolConfig

#include <QObject>
#include <QPointer>
#include <QThread>

#include <memory>

namespace kms {
class ModuleCatalog;
class Symbolizer;
} // namespace kms

namespace kms::gui {

class CyclesDecoder : public QObject
{
    Q_OBJECT
public:
    explicit CyclesDecoder(QObject *parent = nullptr);
    ~CyclesDecoder() override;

    // Builds a new symbolizer for `module` from config in a thread; ready() follows. A build
    // in progress is abandoned (its result dropped).
    void prepare(const kms::SymbolConfig &config, const QString &module);
    bool preparing() const { return m_thread != nullptr; }
    // The last ready one (nullptr before); it lives until the next prepare() is ready.
    kms::Symbolizer *symbolizer() const;
    // The modules the catalog holds ("prudaq"), and the paths that could not be read.
    QStringList modules() const { return m_modules; }
    QStringList problems() const { return m_problems; }

Q_SIGNALS:
    void ready();

private:
    struct Built;
    std::shared_ptr<Built> m_current;
    QThread *m_thread = nullptr;
    quint64 m_generation = 0;
    QStringList m_modules;
    QStringList m_problems;
};

} // namespace kms::gui
