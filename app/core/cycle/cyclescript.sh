# kmodscope reload-cycle script (busybox ash, dash or bash; POSIX sh only), used two ways:
# - one call: sent on stdin to `sh -s -- MODE [KEY=VALUE...] -- [PARAM...]` (probe, stop ...);
# - a run's cycles: sent once to a `sh -s` kept open for the run (CycleShell), then one line per
#   cycle, `kms_call NONCE MODE [KEY=VALUE...] -- [PARAM...]`, every word quoted by the host; the
#   call's output ends with "@kms done NONCE". No channel, login or shell start per cycle.
# Every step runs here and reports on stdout as "@kms ..." records (CycleScriptOutput parses them).
#
# MODE: probe | cycle | unload | ensure | inspect | kmemleak | pstore
# KEY=VALUE: module=NAME insmod=PATH rundir=DIR n=CYCLE token=RUN settle=SECONDS
#            pre=CMD post=CMD deps="A B" mark=0|1 leaks=0|1 unload_first=0|1 want=loaded|unloaded
#            tlm=PATH
# PARAM...: the module's parameters, each one word (k=v), passed to modprobe/insmod as is.
# KMS_SYSROOT (environment) prefixes /sys and /proc: only the integration tests' fake node sets it.
#
# Nothing here reads stdin (the script itself arrives on it): every command gets </dev/null.
# The host sends only the lines a mode needs ("# @mode M..." to "# @end" blocks are kept for
# those modes) without comments and indentation: the node's sh parses less. Forks are what a
# cycle costs on a small node (10-50 ms each in a TCG guest): in a kept shell the steady state
# has two, modprobe and modprobe -r; the files `read` cannot read go through one awk kept running
# (helper below). No function exits: the kept shell must survive every call.
# Output costs too: every write to stdout wakes the node's sshd (a packet each, 0.5-1 ms under
# TCG), so a kept shell gathers a call's records (say) and writes them once, with its "done".

R=${KMS_SYSROOT:-}
NL='
'
H='' # the helper's pipes are open (fd 3: requests, fd 4: acknowledgements)
serve='' # a kept shell (kms_call)
O='' # a kept shell's records of the call so far
b_id='' sec_files='' # the module file's build id and section files (see kofile_changed)
s_list='' # the section files the helper holds (sent again only when they change)

# say RECORD: one "@kms" record, gathered in a kept shell (a bulk loop of records echoes its own).
say() {
    if [ -n "$serve" ]; then
        O="$O$*$NL"
    else
        echo "$*"
    fi
}

kms_main() {
mode=$1
shift
module='' insmod='' rundir=/tmp n=0 token=x settle=0 pre='' post='' deps='' mark=1 leaks=0
unload_first=0 kofile='' tlm='' t_pid='' slept=''

want=unloaded
while [ $# -gt 0 ]; do
    case $1 in
    --) shift; break ;;
    module=*) module=${1#*=} ;;
    insmod=*) insmod=${1#*=} ;;
    rundir=*) rundir=${1#*=} ;;
    n=*) n=${1#*=} ;;
    token=*) token=${1#*=} ;;
    settle=*) settle=${1#*=} ;;
    pre=*) pre=${1#*=} ;;
    post=*) post=${1#*=} ;;
    deps=*) deps=${1#*=} ;;
    mark=*) mark=${1#*=} ;;
    leaks=*) leaks=${1#*=} ;;
    unload_first=*) unload_first=${1#*=} ;;
    want=*) want=${1#*=} ;;
    kofile=*) kofile=${1#*=} ;;
    tlm=*) tlm=${1#*=} ;;
    esac
    shift
done
say "@kms v 1 $mode"
kms_mode "$@"
}

# kms_call NONCE MODE ...: one call of the kept shell, ended by a record the host waits for.
kms_call() {
    c_nonce=$1
    serve=1
    shift
    kms_main "$@"
    # Through the helper when there is one: its records and the call's go out in one write.
    if [ -z "$H" ]; then
        printf '%s@kms done %s\n' "$O" "$c_nonce"
    elif ! printf 'B\n%s@kms done %s\nP\n' "$O" "$c_nonce" >&3 2>/dev/null; then
        H=
        printf '%s@kms helper_lost\n@kms done %s\n' "$O" "$c_nonce"
    fi
    O=''
}

# Time stamps: busybox ash and bash have $EPOCHREALTIME (no fork); dash needs date(1).
if [ -n "${EPOCHREALTIME:-}" ]; then
    now() { T=$EPOCHREALTIME; }
elif t=$(date +%s.%N 2>/dev/null) && [ "${t#*N}" = "$t" ]; then
    now() { T=$(date +%s.%N); }
else
    now() { read -r T _ <"$R/proc/uptime"; }
fi

# out STEP TEXT: a command's output, one record per line.
out() {
    o_t=$2
    while [ -n "$o_t" ]; do
        say "@kms out $1 ${o_t%%"$NL"*}"
        case $o_t in *"$NL"*) o_t=${o_t#*"$NL"} ;; *) o_t= ;; esac
    done
}

# run STEP CMD...: runs a command, records its time, exit status and output.
run() {
    r_step=$1
    shift
    echo "$r_step" >"$rundir/step" 2>/dev/null
    now
    r_t0=$T
    r_out=$("$@" </dev/null 2>&1 3>&- 4>&-)
    RC=$?
    now
    say "@kms step $r_step $r_t0 $T $RC"
    out "$r_step" "$r_out"
    return $RC
}

# A user's shell command (pre/post), run as the user wrote it.
user_cmd() { sh -c "$1"; }

kmsg() { [ "$mark" != 1 ] || echo "<5>kmodscope: $1" >"$R/dev/kmsg" 2>/dev/null; }

stopped() { [ -e "$rundir/stop" ]; }

# S: the module's state (live, coming, going, absent, builtin), without a fork.
state() {
    if [ -r "$R/sys/module/$module/initstate" ]; then
        read -r S <"$R/sys/module/$module/initstate" || S=unknown
    elif [ -e "$R/sys/module/$module" ]; then
        S=builtin
    else
        S=absent
    fi
}

# snapshot TAG [FILE...]: the taint mask and the memory counters, and the FILEs: the module's
# section files (their addresses). Read by awk, not `read`: busybox reads byte by byte, and
# /proc/sys (like the section files) answers only a read at offset 0. The same awk writes the
# code sections into the kernel log ("kmodscope: cycle N loaded run=TOKEN .text=0x..."): when
# the unload panics the node, this script's own output never arrives, but the serial console
# has carried that line before the crash. The request is lines: T<tag>, M<marker>, L (a new
# list of files follows), F<file>, S (read the listed files), "." (do it, then acknowledge); a
# kept helper keeps the list, so a cycle sends it only when the module's files changed. The
# records wait in the helper; a block "B", the shell's own records, "P" joins them and writes
# them all out at once (no acknowledgement), so a kept shell's call is one write to stdout.
# shellcheck disable=SC2016 # an awk program: its $0 is awk's
SNAP_AWK='
BEGIN { key[1] = "MemFree"; key[2] = "MemAvailable"; key[3] = "Slab"; key[4] = "SUnreclaim" }
blk && $0 != "P" { out = out $0 "\n"; next }
$0 == "P" { printf "%s", out; fflush(); out = ""; blk = 0; next }
$0 == "B" { blk = 1; next }
/^T/ { tag = substr($0, 2); next }
/^M/ { marker = substr($0, 2); next }
/^L/ { nf = 0; next }
/^F/ { f[nf] = substr($0, 2); b = f[nf]; sub(/.*\//, "", b); name[nf] = b; code[nf] = b ~ /text/; nf++; next }
/^S/ { secs = 1; next }
$0 != "." { next }
{
    o = ""
    x = root "/proc/sys/kernel/tainted"
    if ((getline v < x) > 0) { split(v, w, " "); o = "@kms taint " tag " " w[1] "\n" }
    close(x)
    # meminfo as one record (RS: a byte it never holds): a getline per line costs ten times more
    # in busybox. mawk -W interactive reads lines whatever RS says: then up to the last key.
    x = root "/proc/meminfo"
    RS = "\001"
    v = ""
    while ((getline l < x) > 0) {
        v = v "\n" l
        if (index(l, "SUnreclaim:")) break
    }
    if (v != "") {
        for (k = 1; k <= 4; k++) {
            i = index(v, "\n" key[k] ":")
            if (i == 0) continue
            m = substr(v, i + length(key[k]) + 2, 40)
            if (match(m, /[0-9]+/)) o = o "@kms mem " tag " " key[k] " " substr(m, RSTART, RLENGTH) "\n"
        }
    }
    RS = "\n"
    close(x)
    c = ""
    for (i = 0; secs && i < nf; i++) {
        if ((getline v < f[i]) > 0) { o = o "@kms sec " name[i] " " v "\n"; if (code[i]) c = c " " name[i] "=" v }
        close(f[i])
    }
    if (marker != "" && c != "") { print "<5>" marker c > kmsg; close(kmsg) }
    out = out o
    print "k" > ack
    fflush(ack)
    secs = 0; marker = ""
}'
snapshot() {
    s_q="T$1$NL"
    shift
    if [ $# -gt 0 ]; then
        [ "$mark" = 1 ] && s_q="${s_q}Mkmodscope: cycle $n loaded run=$token$NL"
        s_s="S$NL"
    else
        s_s=''
    fi
    # A write to a helper that died fails (EPIPE, ignored as a signal): one awk does it then.
    if [ -n "$H" ]; then
        s_l=''
        if [ $# -gt 0 ] && [ "$*" != "$s_list" ]; then
            s_l="L$NL"
            for s_f in "$@"; do s_l="${s_l}F$s_f$NL"; done
        fi
        if echo "$s_q$s_l$s_s." >&3 2>/dev/null && read -r _ <&4; then
            [ $# -eq 0 ] || s_list=$*
            return 0
        fi
    fi
    # (a helper that died took the records it held: say so)
    [ -z "$H" ] || say "@kms helper_lost"
    H='' s_list=''
    s_l="L$NL"
    for s_f in "$@"; do s_l="${s_l}F$s_f$NL"; done
    echo "$s_q$s_l$s_s.${NL}P" | awk -v root="$R" -v kmsg="$R/dev/kmsg" -v ack=/dev/null "$SNAP_AWK" 2>/dev/null
}

# helper: in a kept shell, one awk runs SNAP_AWK for the shell's life, asked through two FIFOs
# in the run's directory: a snapshot costs no fork. It ends when the shell does (EOF on fd 3).
helper() {
    [ -z "$H" ] || return 0
    # Named after this shell: a previous shell of the run (closed, still finishing) keeps its own.
    h_q="$rundir/req.$$" h_a="$rundir/ack.$$"
    [ -p "$h_q" ] || mkfifo "$h_q" "$h_a" 2>/dev/null || return 0
    # -W interactive: mawk (Debian's awk) otherwise waits for a full buffer of requests; other
    # awks ignore it.
    awk -W interactive -v root="$R" -v kmsg="$R/dev/kmsg" -v ack="$h_a" "$SNAP_AWK" <"$h_q" 2>/dev/null &
    # Opening the request FIFO waits for the reader above; the answer FIFO is opened read-write
    # so that the open never waits (awk opens it for writing at its first answer).
    exec 3>"$h_q" 4<>"$h_a"
    trap '' PIPE
    H=1 s_list=''
}

# @mode cycle
# The module file changed since this shell last looked (or it is not known): the build id and
# the list of section files are read again. The same file gives the same id and the same
# sections (the kernel exports one file per allocated section of the ELF file); their addresses
# are read at every load.
# shellcheck disable=SC3013 # -nt: busybox, dash and bash all have it
kofile_changed() { [ -z "$kofile" ] || [ ! -s "$rundir/buildid" ] || [ "$kofile" -nt "$rundir/buildid" ]; }

# The build id, read again only when the module file changed (od is a fork); a kept shell also
# keeps it in memory (busybox `read` takes a byte per system call).
buildid() {
    f="$R/sys/module/$module/notes/.note.gnu.build-id"
    [ -r "$f" ] || return 0
    c="$rundir/buildid"
    if [ "$1" = 1 ]; then
        # shellcheck disable=SC2046 # split on purpose: the bytes, without od's spacing
        set -- $(od -An -v -tx1 "$f")
        o_ifs=$IFS
        IFS=''
        b_id="$*"
        IFS=$o_ifs
        echo "$b_id" >"$c"
    elif [ -z "$b_id" ]; then
        read -r b_id <"$c"
    fi
    say "@kms note .note.gnu.build-id $b_id"
}
# @end

load() {
    if [ -n "$insmod" ]; then
        run load insmod "$insmod" "$@"
    else
        run load modprobe "$module" "$@"
    fi
}

unload() {
    for d in $deps; do
        [ -e "$R/sys/module/$d" ] && run unload_dep modprobe -r "$d"
    done
    if [ -n "$insmod" ]; then
        run unload rmmod "$module"
    else
        run unload modprobe -r "$module"
    fi
}

# Gone, or its state once the unload returned (busybox modprobe -r returns 0 after an oops in
# the exit function: only /sys/module tells).
verify_gone() {
    now
    g_t0=$T
    state
    now
    say "@kms step verify_gone $g_t0 $T 0"
    say "@kms state unloaded $S"
}

# @mode probe cycle
# Live allocations whose stack has a frame printed as a bare address: after an unload, the
# frames in the unloaded module's text (kallsyms no longer names them). Slab caches with
# store-user (slub_debug=U) only; the host attributes them with the load's sections.
leakscan() {
    set -- "$R/sys/kernel/debug/slab/"*/alloc_traces
    [ -r "$1" ] || return 0
    awk -v root="$R" '
function flush(   i, sz, f) {
    if (raw && n > 0) {
        if (!(cache in size)) {
            f = root "/sys/kernel/slab/" cache "/object_size"
            sz = 0
            if ((getline sz < f) <= 0) sz = 0
            close(f)
            size[cache] = sz
        }
        print "@kms trace " cache " " size[cache]
        for (i = 0; i < n; i++) print "@kms tl " buf[i]
    }
    n = 0; raw = 0
}
FNR == 1 { flush(); cache = FILENAME; sub(/\/alloc_traces$/, "", cache); sub(/.*\//, "", cache) }
/^ *[0-9]+ / { flush() }
/^[ \t]*$/ { flush(); next }
{ buf[n++] = $0 }
/^ *0x[0-9a-f]+ *$/ || /^ *[0-9]+ 0x[0-9a-f]+( |$)/ { raw = 1 }
END { flush() }' "$@" 2>/dev/null
}
# @end

# @mode cycle
# The cycle's own files in the run's directory (truncated, not removed: no fork).
begin() {
    [ -d "$rundir" ] || mkdir -p "$rundir" 2>/dev/null
    echo $$ >"$rundir/pid"
    : >"$rundir/step"
}
end() {
    tlm_stop
    : >"$rundir/pid"
    [ -z "$slept" ] || : >"$rundir/sleep"
    slept=''
    say "@kms end $1"
}

# settle SECONDS: sleeps in the background so that a stop (mode unload/ensure) can cut it short.
settle() {
    [ "$1" = 0 ] && return 0
    echo settle >"$rundir/step"
    now
    s_t0=$T
    sleep "$1" &
    echo $! >"$rundir/sleep"
    slept=1
    # A stop that read the pid file before this write kills nothing: it left the stop file.
    stopped && kill $! 2>/dev/null
    wait $!
    now
    say "@kms step settle $s_t0 $T 0"
}
# @end

# @mode cycle
# ---- telemetry reader (tlm=PATH) ----
# A reader of the telemetry stream is open while the module settles; its lines come back as
# "@kms tlm" records (at most 2000; "@kms tlm_lines N" counts them all). It is killed and waited
# for before every unload and at every end: an open reader pins the module (rmmod: EBUSY).
tlm_start() {
    [ -n "$tlm" ] || return 0
    now
    t_t0=$T
    if [ -r "$R$tlm" ]; then
        cat "$R$tlm" >"$rundir/tlm" 2>/dev/null </dev/null 3>&- 4>&- &
        t_pid=$!
        echo "$t_pid" >"$rundir/tlm_pid"
    else
        say "@kms tlm_missing $tlm"
    fi
}
tlm_stop() {
    [ -n "$t_pid" ] || return 0
    kill "$t_pid" 2>/dev/null
    wait "$t_pid" 2>/dev/null
    t_pid=
    : >"$rundir/tlm_pid"
    now
    say "@kms step telemetry $t_t0 $T 0"
    i=0
    while IFS= read -r l; do
        [ $i -lt 2000 ] && echo "@kms tlm $l"
        i=$((i + 1))
    done <"$rundir/tlm"
    say "@kms tlm_lines $i"
}
# ---- end of the telemetry reader ----
# @end

# @mode unload ensure
# A stop: the cycle in flight (if any) ends at its next step; wait for it (a kernel operation in
# progress cannot be cut short).
stop_cycle() {
    mkdir -p "$rundir" 2>/dev/null
    : >"$rundir/stop"
    [ -r "$rundir/sleep" ] && read -r p <"$rundir/sleep" && kill "$p" 2>/dev/null
    i=0
    while [ -r "$rundir/pid" ] && read -r p <"$rundir/pid" && kill -0 "$p" 2>/dev/null && [ $i -lt 300 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    [ $i -lt 300 ] || echo "@kms busy $(cat "$rundir/step" 2>/dev/null)"
    # A telemetry reader left by a cycle whose shell died would pin the module.
    [ -s "$rundir/tlm_pid" ] && read -r p <"$rundir/tlm_pid" && kill "$p" 2>/dev/null
}
# @end

kms_mode() {
case $mode in
# @mode probe
probe)
    echo "@kms uid $(id -u)"
    echo "@kms boot $(cat "$R/proc/sys/kernel/random/boot_id")"
    echo "@kms uname $(uname -r) $(uname -m)"
    state
    say "@kms state start $S"
    if [ -n "$insmod" ]; then
        if [ -f "$insmod" ]; then echo "@kms have $insmod"; fi
    elif f=$(modinfo -F filename "$module" 2>/dev/null </dev/null) && [ -n "$f" ]; then
        echo "@kms have $f"
    else
        d="$R/lib/modules/$(uname -r)"
        m=$(echo "$module" | tr - _)
        find "$d" -name '*.ko*' 2>/dev/null | while IFS= read -r f; do
            b=${f##*/}
            b=${b%%.ko*}
            [ "$(echo "$b" | tr - _)" = "$m" ] && echo "@kms have $f" && break
        done
    fi
    snapshot probe
    [ -d "$R/sys/kernel/debug/slab" ] && echo "@kms debugfs_slab yes"
    set -- "$R/sys/kernel/debug/slab/"*/alloc_traces
    [ -r "$1" ] && echo "@kms alloc_traces $#"
    [ -e "$R/sys/kernel/debug/kmemleak" ] && echo "@kms kmemleak yes"
    for f in "$R/sys/fs/pstore/"*; do [ -f "$f" ] && echo "@kms pstore ${f##*/}"; done
    [ "$leaks" = 1 ] && leakscan
    rm -rf "$rundir" 2>/dev/null
    echo "@kms end ok"
    ;;
# @end
# @mode cycle
cycle)
    begin
    [ -z "$serve" ] || helper
    kmsg "cycle $n begin run=$token"
    state
    if [ "$unload_first" = 1 ] && [ "$S" != absent ]; then
        unload
        verify_gone
        [ "$S" = absent ] || { kmsg "cycle $n end run=$token"; end stuck_at_start; return; }
    fi
    if [ -n "$pre" ]; then
        run pre user_cmd "$pre" || { kmsg "cycle $n end run=$token"; end pre_failed; return; }
    fi
    stopped && { end stopped; return; }
    load "$@"
    lrc=$RC
    now
    v_t0=$T
    state
    i=0
    # modprobe returns after the init function: "coming" only while another loader races us.
    while [ "$S" = coming ] && [ $i -lt 100 ]; do
        sleep 0.01
        state
        i=$((i + 1))
    done
    s=$S
    now
    say "@kms step verify $v_t0 $T 0"
    say "@kms state loaded $s"
    d="$R/sys/module/$module/sections"
    if [ "$s" = live ]; then
        now
        s_t0=$T
        k_new=0
        kofile_changed && k_new=1
        if [ "$k_new" = 1 ] || [ -z "$sec_files" ] || [ -z "$serve" ]; then
            set -- "$d"/.[!.]* "$d"/*
            o_ifs=$IFS
            IFS=$NL
            sec_files="$*"
            IFS=$o_ifs
        else
            o_ifs=$IFS
            IFS=$NL
            # shellcheck disable=SC2086 # split on purpose, at newlines only
            set -- $sec_files
            IFS=$o_ifs
        fi
        if [ "$settle" = 0 ]; then
            # No settle time: the checks and the sections in one read.
            snapshot loaded "$@"
        else
            snapshot sections "$@"
        fi
        buildid $k_new
        now
        say "@kms step sections $s_t0 $T 0"
    fi
    if [ "$lrc" != 0 ] || [ "$s" != live ]; then
        [ "$s" = live ] || snapshot loaded
        [ "$s" = absent ] || { unload; verify_gone; }
        kmsg "cycle $n end run=$token"
        end load_failed
        return
    fi
    tlm_start
    stopped && { kmsg "cycle $n end run=$token"; end stopped; return; }
    if [ "$settle" != 0 ]; then
        settle "$settle"
        now
        c_t0=$T
        snapshot loaded
        now
        say "@kms step checks $c_t0 $T 0"
    fi
    tlm_stop
    stopped && { kmsg "cycle $n end run=$token"; end stopped; return; }
    unload
    verify_gone
    # The unload's boundary on the telemetry's time axis (the post checks may take long).
    kmsg "cycle $n unloaded run=$token"
    now
    p_t0=$T
    snapshot unloaded
    [ "$leaks" = 1 ] && leakscan
    now
    say "@kms step post_checks $p_t0 $T 0"
    if [ -n "$post" ]; then
        run post user_cmd "$post"
    fi
    kmsg "cycle $n end run=$token"
    end ok
    ;;
# @end
# @mode unload ensure
unload | ensure)
    # A stop (or the end of a run): the module left as the user chose.
    stop_cycle
    state
    say "@kms state start $S"
    if [ "$want" = loaded ]; then
        [ "$S" = absent ] && load "$@"
    elif [ "$S" != absent ] && [ "$S" != builtin ]; then
        unload
    fi
    state
    say "@kms state final $S"
    rm -rf "$rundir" 2>/dev/null
    echo "@kms end ok"
    ;;
# @end
# @mode inspect
inspect)
    # After a cycle timed out on the host: where it hangs, and the module's state.
    [ -r "$rundir/step" ] && echo "@kms hung $(cat "$rundir/step")"
    state
    say "@kms state now $S"
    echo "@kms end ok"
    ;;
# @end
# @mode kmemleak
kmemleak)
    k="$R/sys/kernel/debug/kmemleak"
    if [ -e "$k" ]; then
        # (>> rather than >: the kernel ignores the offset, and a stand-in file keeps its text)
        echo scan >>"$k" 2>/dev/null
        while IFS= read -r l; do echo "@kms kl $l"; done <"$k"
        echo "@kms end ok"
    else
        echo "@kms end unavailable"
    fi
    ;;
# @end
# @mode pstore
pstore)
    for f in "$R/sys/fs/pstore/"*; do
        [ -f "$f" ] || continue
        echo "@kms pstore ${f##*/}"
        while IFS= read -r l; do echo "@kms pl $l"; done <"$f"
    done
    echo "@kms end ok"
    ;;
# @end
*)
    echo "@kms end bad_mode"
    ;;
esac
}

[ $# -eq 0 ] || kms_main "$@"
