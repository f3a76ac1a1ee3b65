# scripts/demo --down (label integration): stops the virtual node named by KMODSCOPE_VNODE_DIR.
add_test(NAME demo_down COMMAND ${CMAKE_CURRENT_LIST_DIR}/demo_down.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(demo_down PROPERTIES LABELS integration TIMEOUT 60)
