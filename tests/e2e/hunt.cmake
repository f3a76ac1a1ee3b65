# Race hunting on the x86_64 virtual node (issue 14), sharing e2e.cmake's node and fixture:
# hunt_e2e.py race|none|compare (the figures are `hunt_e2e.py figures`, not a test).
if(Python3_Interpreter_FOUND AND KMS_QEMU_X86_64 AND "x86_64" IN_LIST KMS_E2E_ARCHES)
    foreach(t race none compare)
        add_test(NAME e2e_hunt_${t}_x86_64
            COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/hunt_e2e.py
                --vnode ${PROJECT_SOURCE_DIR}/scripts/vnode --node-dir ${PROJECT_BINARY_DIR}/e2e-vnode-x86_64
                --arch x86_64 --cli ${_kms_e2e_cli} --ko "${KMS_E2E_PRUDAQ_KO_x86_64}" ${t})
        set_tests_properties(e2e_hunt_${t}_x86_64 PROPERTIES
            LABELS e2e TIMEOUT 600 SKIP_RETURN_CODE 77 RESOURCE_LOCK vnode_x86_64
            FIXTURES_REQUIRED vnode_x86_64)
    endforeach()
endif()
