# kmodscope-cli hunt against a real sshd and the real cycle script on the fake node.
kms_add_qtest(tst_hunt_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_hunt_cli.cpp LABELS integration)
add_dependencies(tst_hunt_cli kmodscope-cli)
set_tests_properties(tst_hunt_cli PROPERTIES TIMEOUT 300 RUN_SERIAL ON)
