// The virtual node (scripts/vnode) as the app finds it: its state directory ($KMODSCOPE_VNODE_DIR,
// else ${XDG_CACHE_HOME:-~/.cache}/kmodscope/vnode) holds node.conf (ssh_port, ko_dir, arch ...),
// keys/ (the client key and the pinned known_hosts), the stable serial pty link `serial`, and
// run/ (the supervisor's pid and state). The same files scripts/vnode status prints from, read
// here so that an installed kmodscope finds a node without the source tree.
#pragma once

#include "profile.h"

#include <QString>

#include <optional>

namespace kms::gui {

struct VirtualNode {
    QString dir;
    QString state; // up, booting, panicked (a node that is not running is not returned)
    QString arch;
    int sshPort = 0;
    QString sshKey;
    QString knownHosts;
    QString serialPty;
    QString koDir;
    QString kernelRelease;
    QString kernelArgs;
};

// Where scripts/vnode keeps its state, as it decides it (the environment first).
QString defaultVirtualNodeDir();
// The node in `dir` when its supervisor runs; else nullopt and *why says what is missing.
std::optional<VirtualNode> readVirtualNode(const QString &dir, QString *why);
// The running node of defaultVirtualNodeDir(), with a message a user can act on.
std::optional<VirtualNode> findVirtualNode(QString *why);

// The profile scripts/demo makes: serial console on the node's pty, SSH as root with the node's
// key and pinned host key, prudaq's .ko directory, prudaq's telemetry stream.
Profile profileForVirtualNode(const VirtualNode &node, const QString &name = QStringLiteral("Virtual node"));
// A profile made for a virtual node: its SSH key is the one in a vnode state directory
// (<dir>/keys/id_ed25519 beside <dir>/node.conf). Returns that directory, or empty.
QString virtualNodeDirOf(const Profile &profile);
inline bool isVirtualNodeProfile(const Profile &profile)
{
    return !virtualNodeDirOf(profile).isEmpty();
}

} // namespace kms::gui
