// Debug files by GNU build id from debuginfod servers, through elfutils' client library
// (libdebuginfod), which honours DEBUGINFOD_URLS and DEBUGINFOD_CACHE_PATH as gdb does.
//
// Each build id is fetched once per client, in a thread of its own: a caller waits only as long
// as it chooses (the CLI until the fetch ends, the GUI's report worker a moment, then resolves
// again when told the fetch ended). A fetch that receives nothing for the stall timeout is
// abandoned, so a server that accepts connections and never answers costs a bounded time.
#pragma once

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>

namespace kms {

class DebuginfodClient
{
public:
    struct Result {
        enum class State { Found, Failed, Pending };
        State state = State::Pending;
        QString path; // the debug file in the client cache, when Found
        QString error; // "debuginfod: ...", when Failed or Pending
        bool found() const { return state == State::Found; }
    };

    // stallTimeoutMs <= 0: $DEBUGINFOD_TIMEOUT (seconds) when set, else 15 s.
    explicit DebuginfodClient(int stallTimeoutMs = 0);
    // Running fetches are cancelled; they stop within about a second (waited for up to 3 s, then
    // left to end on their own: they hold no reference to the client).
    ~DebuginfodClient();
    DebuginfodClient(const DebuginfodClient &) = delete;
    DebuginfodClient &operator=(const DebuginfodClient &) = delete;

    // The servers asked ($DEBUGINFOD_URLS, read when the client was made); empty: none.
    QString urls() const;
    bool enabled() const { return !urls().isEmpty(); }
    int stallTimeoutMs() const;

    // The debug file for a build id (hex, any case). A known answer is returned at once; else a
    // fetch is started (if none runs) and waited for up to waitMs (negative: until it ends).
    // Answers are kept for the client's life, except "unreachable" and timeouts, which are asked
    // again after a minute (the server may be back).
    Result find(const QByteArray &buildIdHex, int waitMs);

    // Called, from the fetch's thread, when a fetch ends (whatever its result).
    void setFinishedCallback(std::function<void(const QByteArray &buildIdHex)> callback);

    // Text for the errors, shared with the symbolizer's messages.
    static QString notFoundError(const QByteArray &buildIdHex);

private:
    struct Private;
    std::shared_ptr<Private> d;
};

} // namespace kms
