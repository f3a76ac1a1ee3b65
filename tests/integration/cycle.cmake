# CycleRunner against a real sshd running the real cycle script on a fake node
# (tests/integration/fakenode/README.md): verdicts and health checks; the CLI's exit status and
# report, through sudo too; stop() in every state and a node that never comes back.
kms_add_qtest(tst_cyclerunner SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cyclerunner.cpp LABELS integration)
set_tests_properties(tst_cyclerunner PROPERTIES TIMEOUT 300 RUN_SERIAL ON)
kms_add_qtest(tst_cyclerunner_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cyclerunner_cli.cpp LABELS integration)
add_dependencies(tst_cyclerunner_cli kmodscope-cli)
set_tests_properties(tst_cyclerunner_cli PROPERTIES TIMEOUT 300 RUN_SERIAL ON)
kms_add_qtest(tst_cyclerunner_stop SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cyclerunner_stop.cpp LABELS integration)
set_tests_properties(tst_cyclerunner_stop PROPERTIES TIMEOUT 300 RUN_SERIAL ON)
# The shell a run's cycles share (CycleShell) on the same fake node.
kms_add_qtest(tst_cycleshell SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cycleshell.cpp LABELS integration)
set_tests_properties(tst_cycleshell PROPERTIES TIMEOUT 300 RUN_SERIAL ON)
# The runner's spool (every finished cycle on disk, the report streamed from it) on the same node.
kms_add_qtest(tst_cyclespool_runner SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cyclespool_runner.cpp LABELS integration)
set_tests_properties(tst_cyclespool_runner PROPERTIES TIMEOUT 300 RUN_SERIAL ON)
