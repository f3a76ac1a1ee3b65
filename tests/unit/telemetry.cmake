# Telemetry core (issue 10): parser robustness, clock maths, alarm rules, recorder and CSV, cycle
# boundaries on the time axis.
kms_add_qtest(tst_telemetryparser SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_telemetryparser.cpp)
kms_add_qtest(tst_telemetryclock SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_telemetryclock.cpp)
kms_add_qtest(tst_telemetryalarms SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_telemetryalarms.cpp)
kms_add_qtest(tst_telemetryrecorder SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_telemetryrecorder.cpp)
kms_add_qtest(tst_telemetrycycles SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_telemetrycycles.cpp)
