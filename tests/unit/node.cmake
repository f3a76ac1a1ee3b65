# The node session's pieces that need no link.
kms_add_qtest(tst_sessionreports SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_sessionreports.cpp)
