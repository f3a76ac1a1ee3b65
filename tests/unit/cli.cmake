kms_add_qtest(tst_reportjson SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_reportjson.cpp)
kms_add_qtest(tst_sectionspec SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_sectionspec.cpp
    ${PROJECT_SOURCE_DIR}/app/cli/sectionspec.cpp)
target_include_directories(tst_sectionspec PRIVATE ${PROJECT_SOURCE_DIR}/app/cli)
