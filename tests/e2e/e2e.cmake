# End-to-end tests on the virtual node (scripts/vnode, packaging/vnode/README.md), label e2e.
# One node per architecture, in the build tree (${PROJECT_BINARY_DIR}/e2e-vnode-ARCH): a fixture
# boots it (e2e_vnode_up_ARCH) and stops it (e2e_vnode_down_ARCH); the tests in between share it
# and run one at a time (RESOURCE_LOCK). A test exits 77 (skipped) when something it needs is not
# there yet (prudaq.ko, kmodscope-cli decode), and says what.
#
#   KMS_E2E_ARCHES        architectures to run (x86_64;armhf). The ARM run is limited to boot +
#                         unload_race (TCG on 2 cores: the whole suite stays near 10 minutes).
#   KMS_E2E_PRUDAQ_KO_<arch>  the prudaq.ko the node loads and the decoder is given; default
#                         for x86_64 the build's (target prudaq_ko), else scripts/vnode builds it
#                         with scripts/build-kmod into the node's ko_dir.
#   KMS_E2E_CLI           kmodscope-cli (default: the kmodscope-cli target of this build)
find_package(Python3 COMPONENTS Interpreter)
find_program(KMS_QEMU_X86_64 qemu-system-x86_64)
find_program(KMS_QEMU_ARM qemu-system-arm)

set(KMS_E2E_ARCHES "x86_64;armhf" CACHE STRING "Virtual-node architectures for the e2e tests")
set(KMS_E2E_PRUDAQ_KO_x86_64 "" CACHE FILEPATH "prudaq.ko for the x86_64 node (empty: the build's)")
set(KMS_E2E_PRUDAQ_KO_armhf "" CACHE FILEPATH "prudaq.ko for the armhf node (empty: build-kmod)")
if(TARGET kmodscope-cli)
    set(_kms_e2e_cli_default $<TARGET_FILE:kmodscope-cli>)
else()
    set(_kms_e2e_cli_default ${PROJECT_BINARY_DIR}/app/cli/kmodscope-cli)
endif()
set(KMS_E2E_CLI "" CACHE FILEPATH "kmodscope-cli for the e2e decode checks (empty: this build's)")
if(KMS_E2E_CLI)
    set(_kms_e2e_cli ${KMS_E2E_CLI})
else()
    set(_kms_e2e_cli ${_kms_e2e_cli_default})
endif()

# x86_64: the prudaq.ko of this build (kmod/, target prudaq_ko) unless one is given.
if(NOT KMS_E2E_PRUDAQ_KO_x86_64 AND KMS_PRUDAQ_KO AND TARGET prudaq_ko)
    set(KMS_E2E_PRUDAQ_KO_x86_64 ${KMS_PRUDAQ_KO})
endif()

# kms_add_e2e(ARCH NAME TIMEOUT ARGS...)
function(kms_add_e2e arch name timeout)
    set(node ${PROJECT_BINARY_DIR}/e2e-vnode-${arch})
    add_test(NAME e2e_${name}_${arch}
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/vnode_e2e.py
            --vnode ${PROJECT_SOURCE_DIR}/scripts/vnode --node-dir ${node} --arch ${arch}
            --cli ${_kms_e2e_cli} --ko "${KMS_E2E_PRUDAQ_KO_${arch}}" ${ARGN})
    set_tests_properties(e2e_${name}_${arch} PROPERTIES
        LABELS e2e TIMEOUT ${timeout} SKIP_RETURN_CODE 77 RESOURCE_LOCK vnode_${arch})
    if(name STREQUAL "vnode_up")
        set_tests_properties(e2e_${name}_${arch} PROPERTIES FIXTURES_SETUP vnode_${arch})
    elseif(name STREQUAL "vnode_down")
        set_tests_properties(e2e_${name}_${arch} PROPERTIES FIXTURES_CLEANUP vnode_${arch})
    else()
        set_tests_properties(e2e_${name}_${arch} PROPERTIES FIXTURES_REQUIRED vnode_${arch})
    endif()
endfunction()

if(Python3_Interpreter_FOUND)
    foreach(arch ${KMS_E2E_ARCHES})
        if(arch STREQUAL "x86_64" AND KMS_QEMU_X86_64)
            kms_add_e2e(${arch} vnode_up 600 up)
            kms_add_e2e(${arch} prudaq_telemetry 180 telemetry)
            kms_add_e2e(${arch} prudaq_cycles 300 cycles)
            kms_add_e2e(${arch} telemetry_stall 120 telemetry_stall)
            kms_add_e2e(${arch} telemetry_jump 120 telemetry_jump)
            kms_add_e2e(${arch} telemetry_report 300 telemetry_report)
            kms_add_e2e(${arch} prudaq_unload_race 300 panic --fault unload_race)
            kms_add_e2e(${arch} prudaq_unload_uaf 300 panic --fault unload_uaf)
            kms_add_e2e(${arch} prudaq_null_exit 240 null_exit)
            kms_add_e2e(${arch} watch_serial_and_ssh 180 watch)
            kms_add_e2e(${arch} watch_debuginfod 240 watch_debuginfod)
            if(TARGET kmodscope-gui)
                # The desktop app on the same node: panic on serial, .ko fetched over SSH.
                kms_add_qtest(tst_gui_vnode SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_vnode.cpp
                    LABELS e2e LIBS kmodscope-gui)
                target_include_directories(tst_gui_vnode PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
                target_compile_definitions(tst_gui_vnode PRIVATE
                    KMS_E2E_VNODE_DIR="${PROJECT_BINARY_DIR}/e2e-vnode-${arch}")
                set_tests_properties(tst_gui_vnode PROPERTIES TIMEOUT 420
                    RESOURCE_LOCK vnode_${arch} FIXTURES_REQUIRED vnode_${arch})
            endif()
            kms_add_e2e(${arch} vnode_down 60 down)
        elseif(arch STREQUAL "armhf" AND KMS_QEMU_ARM)
            kms_add_e2e(${arch} vnode_up 900 up)
            kms_add_e2e(${arch} prudaq_unload_race 400 panic --fault unload_race)
            kms_add_e2e(${arch} vnode_down 60 down)
        endif()
    endforeach()
endif()
