# kmodscope reload-cycle script: sent on stdin to `sh -s -- MODE [KEY=VALUE...] -- [PARAM...]`
# (busybox ash, dash or bash; POSIX sh only). One round trip per call: every step runs here and
# reports on stdout as "@kms ..." records, which CycleScriptOutput parses on the host.
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
# those modes) without comments and indentation: the node's sh parses less per cycle. Forks are
# what a cycle costs on a small node: the steady state has four (modprobe, modprobe -r, two awk).

R=${KMS_SYSROOT:-}
mode=$1
shift
module='' insmod='' rundir=/tmp n=0 token=x settle=0 pre='' post='' deps='' mark=1 leaks=0
unload_first=0 kofile='' tlm='' t_pid=''

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
NL='
'
echo "@kms v 1 $mode"

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
        echo "@kms out $1 ${o_t%%"$NL"*}"
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
    r_out=$("$@" </dev/null 2>&1)
    RC=$?
    now
    echo "@kms step $r_step $r_t0 $T $RC"
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

# snapshot TAG: the taint mask and the memory counters. awk, not `read`: busybox reads byte by
# byte, and /proc/sys (like the module's section files) answers only a read at offset 0.
# snapshot TAG [FILE...]: FILEs are the module's section files (their addresses), read by the
# same awk, which also writes the code sections into the kernel log ("kmodscope: cycle N
# loaded run=TOKEN .text=0x..."): when the unload panics the node, this script's own output
# never arrives, but the serial console has carried that line before the crash.
snapshot() {
    s_tag=$1
    shift
    s_mark=
    [ "$mark" = 1 ] && [ $# -gt 0 ] && s_mark="kmodscope: cycle $n loaded run=$token"
    awk -v tag="$s_tag" -v marker="$s_mark" -v kmsg="$R/dev/kmsg" '
FILENAME ~ /tainted$/ { print "@kms taint " tag " " $1; next }
FILENAME ~ /meminfo$/ { if ($1 ~ /^(MemAvailable|Slab|SUnreclaim|MemFree):$/) { sub(/:$/, "", $1); print "@kms mem " tag " " $1 " " $2 }; next }
{ n = FILENAME; sub(/.*\//, "", n); print "@kms sec " n " " $1; if (n ~ /text/) code = code " " n "=" $1 }
END { if (marker != "" && code != "") { print "<5>" marker code > kmsg; close(kmsg) } }' \
        "$R/proc/sys/kernel/tainted" "$R/proc/meminfo" "$@" 2>/dev/null
}

# @mode cycle
# The build id, read again only when the module file changed since it was last read (the
# same file gives the same id; od is a fork).
buildid() {
    f="$R/sys/module/$module/notes/.note.gnu.build-id"
    [ -r "$f" ] || return 0
    c="$rundir/buildid"
    # shellcheck disable=SC3013 # -nt: busybox, dash and bash all have it
    if [ -z "$kofile" ] || [ ! -s "$c" ] || [ "$kofile" -nt "$c" ]; then
        # shellcheck disable=SC2046 # split on purpose: the bytes, without od's spacing
        set -- $(od -An -v -tx1 "$f")
        o_ifs=$IFS
        IFS=''
        echo "$*" >"$c"
        IFS=$o_ifs
    fi
    read -r b <"$c"
    echo "@kms note .note.gnu.build-id $b"
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
    echo "@kms step verify_gone $g_t0 $T 0"
    echo "@kms state unloaded $S"
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
    : >"$rundir/sleep"
    echo "@kms end $1"
    exit 0
}

# settle SECONDS: sleeps in the background so that a stop (mode unload/ensure) can cut it short.
settle() {
    [ "$1" = 0 ] && return 0
    echo settle >"$rundir/step"
    now
    s_t0=$T
    sleep "$1" &
    echo $! >"$rundir/sleep"
    wait $!
    now
    echo "@kms step settle $s_t0 $T 0"
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
        cat "$R$tlm" >"$rundir/tlm" 2>/dev/null </dev/null &
        t_pid=$!
        echo "$t_pid" >"$rundir/tlm_pid"
    else
        echo "@kms tlm_missing $tlm"
    fi
}
tlm_stop() {
    [ -n "$t_pid" ] || return 0
    kill "$t_pid" 2>/dev/null
    wait "$t_pid" 2>/dev/null
    t_pid=
    : >"$rundir/tlm_pid"
    now
    echo "@kms step telemetry $t_t0 $T 0"
    i=0
    while IFS= read -r l; do
        [ $i -lt 2000 ] && echo "@kms tlm $l"
        i=$((i + 1))
    done <"$rundir/tlm"
    echo "@kms tlm_lines $i"
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

case $mode in
# @mode probe
probe)
    echo "@kms uid $(id -u)"
    echo "@kms boot $(cat "$R/proc/sys/kernel/random/boot_id")"
    echo "@kms uname $(uname -r) $(uname -m)"
    state
    echo "@kms state start $S"
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
    kmsg "cycle $n begin run=$token"
    state
    if [ "$unload_first" = 1 ] && [ "$S" != absent ]; then
        unload
        verify_gone
        [ "$S" = absent ] || { kmsg "cycle $n end run=$token"; end stuck_at_start; }
    fi
    if [ -n "$pre" ]; then
        run pre user_cmd "$pre" || { kmsg "cycle $n end run=$token"; end pre_failed; }
    fi
    stopped && end stopped
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
    echo "@kms step verify $v_t0 $T 0"
    echo "@kms state loaded $s"
    d="$R/sys/module/$module/sections"
    if [ "$s" = live ]; then
        now
        s_t0=$T
        if [ "$settle" = 0 ]; then
            # No settle time: the checks and the sections in one read.
            snapshot loaded "$d"/.[!.]* "$d"/*
        else
            snapshot sections "$d"/.[!.]* "$d"/*
        fi
        buildid
        now
        echo "@kms step sections $s_t0 $T 0"
    fi
    if [ "$lrc" != 0 ] || [ "$s" != live ]; then
        [ "$s" = live ] || snapshot loaded
        [ "$s" = absent ] || { unload; verify_gone; }
        kmsg "cycle $n end run=$token"
        end load_failed
    fi
    tlm_start
    stopped && { kmsg "cycle $n end run=$token"; end stopped; }
    if [ "$settle" != 0 ]; then
        settle "$settle"
        now
        c_t0=$T
        snapshot loaded
        now
        echo "@kms step checks $c_t0 $T 0"
    fi
    tlm_stop
    stopped && { kmsg "cycle $n end run=$token"; end stopped; }
    unload
    verify_gone
    # The unload's boundary on the telemetry's time axis (the post checks may take long).
    kmsg "cycle $n unloaded run=$token"
    now
    p_t0=$T
    snapshot unloaded
    [ "$leaks" = 1 ] && leakscan
    now
    echo "@kms step post_checks $p_t0 $T 0"
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
    echo "@kms state start $S"
    if [ "$want" = loaded ]; then
        [ "$S" = absent ] && load "$@"
    elif [ "$S" != absent ] && [ "$S" != builtin ]; then
        unload
    fi
    state
    echo "@kms state final $S"
    rm -rf "$rundir" 2>/dev/null
    echo "@kms end ok"
    ;;
# @end
# @mode inspect
inspect)
    # After a cycle timed out on the host: where it hangs, and the module's state.
    [ -r "$rundir/step" ] && echo "@kms hung $(cat "$rundir/step")"
    state
    echo "@kms state now $S"
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
