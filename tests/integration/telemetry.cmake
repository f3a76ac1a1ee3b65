# Telemetry (issue 10): TelemetryHub's stream, poll and regex sources against a real sshd.
kms_add_qtest(tst_telemetry_ssh SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_telemetry_ssh.cpp LABELS integration)
set_tests_properties(tst_telemetry_ssh PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
if(TARGET kmodscope-cli)
    add_dependencies(tst_telemetry_ssh kmodscope-cli)
endif()
