# The Hunt dock on the x86_64 virtual node (label e2e), after e2e.cmake (its cache settings):
# vnode_x86_64, one test at a time on it.
find_program(KMS_QEMU_X86_64 qemu-system-x86_64)
if(TARGET kmodscope-gui AND KMS_QEMU_X86_64 AND "x86_64" IN_LIST KMS_E2E_ARCHES)
    kms_add_qtest(tst_gui_hunt_vnode SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_hunt_vnode.cpp
        LABELS e2e LIBS kmodscope-gui)
    target_include_directories(tst_gui_hunt_vnode PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
    target_compile_definitions(tst_gui_hunt_vnode PRIVATE
        KMS_E2E_VNODE_DIR="${PROJECT_BINARY_DIR}/e2e-vnode-x86_64")
    set_tests_properties(tst_gui_hunt_vnode PROPERTIES TIMEOUT 600
        RESOURCE_LOCK vnode_x86_64 FIXTURES_REQUIRED vnode_x86_64)
endif()
