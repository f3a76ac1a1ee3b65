# The Telemetry dock, offscreen, fed with a captured prudaq stream.
if(TARGET kmodscope-gui)
    kms_add_qtest(tst_gui_telemetry SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_telemetry.cpp
        LABELS gui LIBS kmodscope-gui)
endif()
# The main window with telemetry, a report and reload cycles on one axis; clicks on markers.
if(TARGET kmodscope-gui)
    kms_add_qtest(tst_gui_telemetry_window SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_telemetry_window.cpp
        LABELS gui LIBS kmodscope-gui)
    set_tests_properties(tst_gui_telemetry_window PROPERTIES TIMEOUT 120)
endif()
