# `kmodscope-cli cycle` on the virtual node (tests/e2e/cycle_e2e.py), label e2e. The tests share
# the node of e2e.cmake (fixture vnode_ARCH, RESOURCE_LOCK vnode_ARCH); the leak test boots a node
# of its own with slub_debug=U (so the other tests' timing is unchanged) while holding the same
# lock, so that only one QEMU is busy at a time.
function(kms_add_cycle_e2e arch name timeout)
    set(node ${PROJECT_BINARY_DIR}/e2e-vnode-${arch})
    if(name STREQUAL "cycle_leak")
        set(node ${PROJECT_BINARY_DIR}/e2e-vnode-${arch}-slub)
    endif()
    add_test(NAME e2e_${name}_${arch}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/cycle_e2e.py
            --vnode ${PROJECT_SOURCE_DIR}/scripts/vnode --node-dir ${node} --arch ${arch}
            --cli ${_kms_e2e_cli} --ko "${KMS_E2E_PRUDAQ_KO_${arch}}" ${ARGN})
    set_tests_properties(e2e_${name}_${arch} PROPERTIES
        LABELS e2e TIMEOUT ${timeout} SKIP_RETURN_CODE 77 RESOURCE_LOCK vnode_${arch}
        FIXTURES_REQUIRED vnode_${arch})
endfunction()

if(Python3_Interpreter_FOUND)
    foreach(arch ${KMS_E2E_ARCHES})
        if(arch STREQUAL "x86_64" AND KMS_QEMU_X86_64)
            kms_add_cycle_e2e(${arch} cycle_pass 600 pass --count 100)
            kms_add_cycle_e2e(${arch} cycle_race 600 race)
            kms_add_cycle_e2e(${arch} cycle_race3 900 race3)
            kms_add_cycle_e2e(${arch} cycle_null_exit 400 null_exit)
            kms_add_cycle_e2e(${arch} cycle_noserial 400 noserial)
            kms_add_cycle_e2e(${arch} cycle_leak 600 leak)
            kms_add_cycle_e2e(${arch} cycle_telemetry 400 telemetry --count 5)
        elseif(arch STREQUAL "armhf" AND KMS_QEMU_ARM)
            kms_add_cycle_e2e(${arch} cycle_armrace 900 armrace)
        endif()
    endforeach()
endif()
