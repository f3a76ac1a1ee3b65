#include "symbols/debuginfod.h"

#include <QHash>

#include <elfutils/debuginfod.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include <unistd.h>

namespace kms {

namespace {

using Clock = std::chrono::steady_clock;

// Transient failures (server down, timeout) are asked again after this long.
constexpr auto retryAfter = std::chrono::seconds(60);
constexpr int defaultStallTimeoutMs = 15000;
// libdebuginfod looks at its progress callback about once a second: a waiter gives the fetch
// this much beyond the stall timeout before it calls the fetch stalled itself (libdebuginfod
// versions that call back only once a server answered).
constexpr auto watchdogGrace = std::chrono::milliseconds(1500);

qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// One fetch's progress, shared by its thread (through the progress callback) and its waiters.
struct Transfer {
    std::atomic<bool> cancel{false};
    std::atomic<bool> timedOut{false};
    std::atomic<qint64> lastProgressNs{nowNs()};
    long lastBytes = -1; // the fetch thread's only
    int stallTimeoutMs = 0;
    const std::atomic<bool> *clientGone = nullptr;
};

// Cancels the transfer when nothing arrived for the stall timeout, or when asked to.
int onProgress(debuginfod_client *client, long a, long b)
{
    auto *t = static_cast<Transfer *>(debuginfod_get_user_data(client));
    if (!t)
        return 0;
    if (t->cancel.load() || t->clientGone->load())
        return 1;
    // Before a server answers, `a` counts the callback's calls and `b` is 0; once one answers
    // with a size (debuginfod servers send Content-Length or X-Debuginfod-Size), `a` is bytes.
    if (b > 0 && a != t->lastBytes) {
        t->lastBytes = a;
        t->lastProgressNs.store(nowNs());
        return 0;
    }
    if (nowNs() - t->lastProgressNs.load() >= qint64(t->stallTimeoutMs) * 1000000) {
        t->timedOut.store(true);
        return 1;
    }
    return 0;
}

bool isTransient(int error)
{
    switch (error) {
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ECONNRESET:
    case ETIME:
    case ETIMEDOUT:
    case EINTR:
    case ECANCELED:
        return true;
    default:
        return false;
    }
}

} // namespace

struct DebuginfodClient::Private {
    struct Entry {
        Result result;
        bool transient = false;
        Clock::time_point finishedAt;
        std::shared_ptr<Transfer> transfer; // while a fetch runs
    };

    QString urls;
    int stallTimeoutMs = defaultStallTimeoutMs;
    std::mutex mutex;
    std::condition_variable changed;
    QHash<QByteArray, Entry> entries; // by lower-case hex build id
    int running = 0;
    std::atomic<bool> gone{false};
    std::mutex callbackMutex; // held while the callback runs, and by the destructor
    std::function<void(const QByteArray &)> callback;

    QString timedOutError() const
    {
        return QStringLiteral("debuginfod: timed out, no data for %1 s (%2)")
            .arg(QString::number(stallTimeoutMs / 1000.0), urls);
    }

    QString describe(const QByteArray &buildId, int error) const
    {
        switch (error) {
        case ENOENT:
            return DebuginfodClient::notFoundError(buildId);
        case ETIME:
        case ETIMEDOUT:
            return timedOutError();
        case ECONNREFUSED:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case ECONNRESET:
            return QStringLiteral("debuginfod: server unreachable (%1)").arg(urls);
        default:
            return QStringLiteral("debuginfod: %1 (%2)").arg(QString::fromLocal8Bit(strerror(error)), urls);
        }
    }

    // Runs in the fetch's own thread; `self` keeps the state alive if the client goes first.
    static void fetch(std::shared_ptr<Private> self, QByteArray buildId, std::shared_ptr<Transfer> transfer)
    {
        Result result;
        int error = ENOMEM;
        if (debuginfod_client *client = debuginfod_begin()) {
            debuginfod_set_user_data(client, transfer.get());
            debuginfod_set_progressfn(client, onProgress);
            char *path = nullptr;
            // Length 0: the build id is given as a NUL-terminated hex string.
            const int fd = debuginfod_find_debuginfo(
                client, reinterpret_cast<const unsigned char *>(buildId.constData()), 0, &path);
            error = fd >= 0 ? 0 : -fd;
            if (fd >= 0) {
                ::close(fd);
                result.state = Result::State::Found;
                result.path = QString::fromLocal8Bit(path);
            }
            free(path);
            debuginfod_end(client);
        }
        const bool timedOut = transfer->timedOut.load();
        if (!result.found()) {
            result.state = Result::State::Failed;
            result.error = self->gone.load() ? QStringLiteral("debuginfod: cancelled")
                : timedOut                   ? self->timedOutError()
                                             : self->describe(buildId, error);
        }
        {
            std::lock_guard lock(self->mutex);
            Entry &entry = self->entries[buildId];
            // A waiter may have called it stalled already: only a late success overrides that.
            if (entry.result.state == Result::State::Pending || result.found()) {
                entry.result = result;
                entry.transient = timedOut || isTransient(error);
                entry.finishedAt = Clock::now();
            }
            entry.transfer.reset();
            --self->running;
        }
        self->changed.notify_all();
        std::lock_guard lock(self->callbackMutex);
        if (self->callback && !self->gone.load())
            self->callback(buildId);
    }
};

DebuginfodClient::DebuginfodClient(int stallTimeoutMs)
    : d(std::make_shared<Private>())
{
    d->urls = QString::fromLocal8Bit(qgetenv(DEBUGINFOD_URLS_ENV_VAR)).simplified();
    if (stallTimeoutMs <= 0) {
        bool ok = false;
        const double seconds = qEnvironmentVariable(DEBUGINFOD_TIMEOUT_ENV_VAR).toDouble(&ok);
        stallTimeoutMs = ok && seconds > 0 ? int(seconds * 1000) : defaultStallTimeoutMs;
    }
    d->stallTimeoutMs = stallTimeoutMs;
}

DebuginfodClient::~DebuginfodClient()
{
    {
        std::lock_guard lock(d->callbackMutex);
        d->gone.store(true);
        d->callback = nullptr;
    }
    std::unique_lock lock(d->mutex);
    d->changed.wait_for(lock, std::chrono::seconds(3), [this] { return d->running == 0; });
}

QString DebuginfodClient::urls() const
{
    return d->urls;
}

int DebuginfodClient::stallTimeoutMs() const
{
    return d->stallTimeoutMs;
}

QString DebuginfodClient::notFoundError(const QByteArray &buildIdHex)
{
    return QStringLiteral("debuginfod: no debug info for build id %1").arg(QString::fromLatin1(buildIdHex));
}

void DebuginfodClient::setFinishedCallback(std::function<void(const QByteArray &)> callback)
{
    std::lock_guard lock(d->callbackMutex);
    d->callback = std::move(callback);
}

DebuginfodClient::Result DebuginfodClient::find(const QByteArray &buildIdHex, int waitMs)
{
    const QByteArray id = buildIdHex.toLower();
    Result none;
    none.state = Result::State::Failed;
    if (d->urls.isEmpty()) {
        none.error = QStringLiteral("debuginfod: no server (DEBUGINFOD_URLS is not set)");
        return none;
    }
    static const QByteArray hexDigits = QByteArrayLiteral("0123456789abcdef");
    if (id.isEmpty() || id.size() % 2 != 0
        || !std::all_of(id.begin(), id.end(), [](char c) { return hexDigits.contains(c); })) {
        none.error = QStringLiteral("debuginfod: '%1' is not a build id").arg(QString::fromLatin1(buildIdHex));
        return none;
    }

    std::unique_lock lock(d->mutex);
    auto it = d->entries.find(id);
    const bool retry = it != d->entries.end() && it->result.state == Result::State::Failed && it->transient
        && !it->transfer && Clock::now() - it->finishedAt >= retryAfter;
    if (it == d->entries.end() || retry) {
        Private::Entry pending;
        pending.result.state = Result::State::Pending;
        pending.result.error
            = QStringLiteral("debuginfod: still fetching build id %1 (%2)").arg(QString::fromLatin1(id), d->urls);
        pending.transfer = std::make_shared<Transfer>();
        pending.transfer->stallTimeoutMs = d->stallTimeoutMs;
        pending.transfer->clientGone = &d->gone;
        ++d->running;
        std::thread(Private::fetch, d, id, pending.transfer).detach();
        it = d->entries.insert(id, pending);
    }
    const auto deadline = waitMs < 0 ? Clock::time_point::max() : Clock::now() + std::chrono::milliseconds(waitMs);
    const auto stall = std::chrono::milliseconds(d->stallTimeoutMs) + watchdogGrace;
    for (;;) {
        Private::Entry &entry = d->entries[id];
        if (entry.result.state != Result::State::Pending)
            return entry.result;
        const std::shared_ptr<Transfer> transfer = entry.transfer;
        if (transfer && nowNs() - transfer->lastProgressNs.load() >= std::chrono::nanoseconds(stall).count()) {
            // The fetch did not stop itself: say so now; it ends on its own (a late success
            // still counts).
            transfer->timedOut.store(true);
            transfer->cancel.store(true);
            entry.result.state = Result::State::Failed;
            entry.result.error = d->timedOutError();
            entry.transient = true;
            entry.finishedAt = Clock::now();
            return entry.result;
        }
        const auto now = Clock::now();
        if (now >= deadline)
            return entry.result;
        d->changed.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(250)));
    }
}

} // namespace kms
