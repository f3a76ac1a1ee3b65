# The Cycles dock's core part: the Markdown export of a run.
kms_add_qtest(tst_cyclemarkdown SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cyclemarkdown.cpp)
