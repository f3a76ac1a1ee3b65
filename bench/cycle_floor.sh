# A floor for bench/cycle_script_ab.py: a kept shell whose call runs only modprobe and
# modprobe -r (the guest's own loop, one call per cycle over the same transport).
kms_call() {
    n=$1
    now0=$EPOCHREALTIME
    modprobe prudaq
    now1=$EPOCHREALTIME
    modprobe -r prudaq
    now2=$EPOCHREALTIME
    printf '@kms step load %s %s 0\n@kms step unload %s %s 0\n@kms end ok\n@kms done %s\n' \
        "$now0" "$now1" "$now1" "$now2" "$n"
}
