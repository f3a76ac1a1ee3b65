# Links issue: line assembly, session log, shell quoting (unit); the pty/sshd tests are in
# tests/integration/link.cmake.
kms_add_qtest(tst_lineassembler SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_lineassembler.cpp)
kms_add_qtest(tst_sessionlog SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_sessionlog.cpp)
kms_add_qtest(tst_dmesgreplay SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_dmesgreplay.cpp)
kms_add_qtest(tst_shellquote SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_shellquote.cpp)
