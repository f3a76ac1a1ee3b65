# Links issue: real peers. Serial against ptys; SSH against an OpenSSH sshd the test starts on
# 127.0.0.1 with its own keys and config. RUN_SERIAL: timing goals (reconnect < 1 s, loss
# detection < 3 s) are measured, and 2 shared cores are enough noise already.
kms_add_qtest(tst_seriallink SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_seriallink.cpp LABELS integration)
set_tests_properties(tst_seriallink PROPERTIES TIMEOUT 120 RUN_SERIAL ON)
kms_add_qtest(tst_sshlink SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_sshlink.cpp LABELS integration)
set_tests_properties(tst_sshlink PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
# `kmodscope-cli watch` end to end (needs the executable, which needs the report and symbols
# areas).
if(TARGET kmodscope-cli)
    kms_add_qtest(tst_watch SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_watch.cpp LABELS integration)
    add_dependencies(tst_watch kmodscope-cli)
    set_tests_properties(tst_watch PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
endif()
# NodeSession (core of the GUI, watch and cycle) against a pty and a real sshd.
kms_add_qtest(tst_nodesession SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_nodesession.cpp LABELS integration)
set_tests_properties(tst_nodesession PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
