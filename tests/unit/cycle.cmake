kms_add_qtest(tst_cycleparts SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cycleparts.cpp)
# The run's cycles on disk as they finish, and what is kept of them in memory (issue 9's soak).
kms_add_qtest(tst_cyclespool SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cyclespool.cpp)
