# The guided demo's menu, virtual-node profile and hunt grid without a node (label gui).
if(TARGET kmodscope-gui)
    kms_add_qtest(tst_gui_demo SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_demo.cpp LABELS gui LIBS kmodscope-gui)
    set_tests_properties(tst_gui_demo PROPERTIES TIMEOUT 120)
endif()
